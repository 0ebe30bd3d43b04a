/*
 * Whether the page is connected to its host, for the whole page: the browser host's socket can go away (serve
 * stopped, a tunnel dropped) and come back; Electron's IPC never goes. While down, the list is the last one seen,
 * so the page greys it, says so in a banner, and disables what would ask the host. `epoch` counts the returns.
 */
import { useSyncExternalStore } from 'react';

export type ConnectionState = { connected: true } | { connected: false; reason: string; retryAtMs: number | null };

export interface PageConnection {
  state: ConnectionState;
  /** How many times the connection has come back: a subscription made before is gone with the old socket. */
  epoch: number;
}

let current: PageConnection = { state: { connected: true }, epoch: 0 };
const listeners = new Set<() => void>();

export function setConnectionState(state: ConnectionState): void {
  const back = state.connected && !current.state.connected;
  current = { state, epoch: current.epoch + (back ? 1 : 0) };
  for (const listener of [...listeners]) listener();
}

export function getConnection(): PageConnection {
  return current;
}

export function subscribeConnection(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useConnection(): PageConnection {
  return useSyncExternalStore(subscribeConnection, getConnection);
}

export const isConnected = (): boolean => current.state.connected;
