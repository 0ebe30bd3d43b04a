/*
 * The browser host's side of ProcscopeBridge: the same typed contract over one WebSocket to `procscope serve`,
 * authenticated by the token from the page URL. Requests made before the first socket opens wait for it. When the
 * socket closes (serve stopped, an SSH tunnel dropped), pending and new requests fail at once with a typed error,
 * listeners hear that the connection is down and when the next try is due, and the bridge tries again with a
 * growing delay (1 s, 2 s, 4 s, … 30 s) to the same URL and token; when a try opens, they hear it is back and
 * subscribe again (process-stream.ts). A server started anew has another token, so it is never reached this way.
 */
import type { ProcscopeBridge } from '../../src-shared/ipc/bridge';
import type { PushChannel } from '../../src-shared/ipc/contract';
import { ipcFail, type IpcEnvelope } from '../../src-shared/ipc/ipc-result';
import { WEB_SOCKET_PATH, WEB_TOKEN_PARAM, type WebRequestFrame, type WebServerFrame } from '../../src-shared/ipc/web-protocol';
import type { ConnectionState } from './connection';

export interface WebSocketBridge extends ProcscopeBridge {
  onClose(listener: (reason: string) => void): void;
  /** Down (with when the next try is due) and back up again; returns the unsubscribe. */
  onConnectionChange(listener: (state: ConnectionState) => void): () => void;
}

export const RECONNECT_DELAYS_MS: readonly number[] = [1000, 2000, 4000, 8000, 15000, 30000];

export interface WebSocketBridgeOptions {
  delaysMs?: readonly number[];
  createSocket?(url: string): WebSocket;
}

export function createWebSocketBridge(location: Location, options: WebSocketBridgeOptions = {}): WebSocketBridge {
  const token = new URLSearchParams(location.search).get(WEB_TOKEN_PARAM) ?? '';
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const url = `${scheme}//${location.host}${WEB_SOCKET_PATH}?${WEB_TOKEN_PARAM}=${encodeURIComponent(token)}`;
  const delays = options.delaysMs ?? RECONNECT_DELAYS_MS;
  const createSocket = options.createSocket ?? ((u: string) => new WebSocket(u));
  const pending = new Map<number, (result: IpcEnvelope<unknown>) => void>();
  const listeners = new Map<PushChannel, Set<(payload: unknown) => void>>();
  const closeListeners: ((reason: string) => void)[] = [];
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  let nextId = 1;
  /** Null while connected (or on the first try); the last close's sentence while down. */
  let closedReason: string | null = null;
  let failures = 0;
  let socket: WebSocket;
  let settled: Promise<void>;

  const tell = (state: ConnectionState) => {
    for (const listener of [...connectionListeners]) listener(state);
  };

  function connect(): void {
    const ws = createSocket(url);
    socket = ws;
    // The first requests wait for the first try, whichever way it ends.
    settled = new Promise<void>((resolve) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('close', () => resolve(), { once: true });
    });
    ws.addEventListener('open', () => {
      failures = 0;
      const wasDown = closedReason !== null;
      closedReason = null;
      if (wasDown) tell({ connected: true });
    });
    ws.addEventListener('message', (event) => {
      const frame = JSON.parse(String(event.data)) as WebServerFrame;
      if (frame.type === 'response') {
        pending.get(frame.id)?.(frame.result);
        pending.delete(frame.id);
      } else {
        for (const listener of listeners.get(frame.channel) ?? []) listener(frame.payload);
      }
    });
    ws.addEventListener('close', (event) => {
      const wasUp = closedReason === null;
      closedReason = event.reason || 'The connection to procscope serve was closed.';
      for (const resolve of pending.values()) resolve(ipcFail('not-ready', closedReason));
      pending.clear();
      const delayMs = delays[Math.min(failures, delays.length - 1)] ?? 30_000;
      failures++;
      setTimeout(connect, delayMs);
      tell({ connected: false, reason: closedReason, retryAtMs: Date.now() + delayMs });
      if (wasUp) for (const listener of closeListeners) listener(closedReason);
    });
  }
  connect();

  return {
    async invoke(channel, args) {
      if (closedReason === null) await settled;
      if (closedReason !== null || socket.readyState !== 1 /* OPEN */) return ipcFail('not-ready', closedReason ?? 'Not connected to procscope serve.');
      const id = nextId++;
      const frame: WebRequestFrame = { type: 'request', id, channel, args };
      return new Promise((resolve) => {
        pending.set(id, resolve as (result: IpcEnvelope<unknown>) => void);
        socket.send(JSON.stringify(frame));
      });
    },
    on(channel, listener) {
      let set = listeners.get(channel);
      if (!set) listeners.set(channel, (set = new Set()));
      const wrapped = listener as (payload: unknown) => void;
      set.add(wrapped);
      return () => set.delete(wrapped);
    },
    onClose(listener) {
      closeListeners.push(listener);
    },
    onConnectionChange(listener) {
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
  };
}
