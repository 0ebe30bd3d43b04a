/*
 * The browser host's side of ProcscopeBridge: the same typed contract over one WebSocket to `procscope serve`,
 * authenticated by the token from the page URL. Requests made before the socket opens wait for it; if the socket
 * closes, pending requests fail with a typed error and the page shows it (no silent reconnect to a new server).
 */
import type { ProcscopeBridge } from '../../src-shared/ipc/bridge';
import type { PushChannel } from '../../src-shared/ipc/contract';
import { ipcFail, type IpcEnvelope } from '../../src-shared/ipc/ipc-result';
import { WEB_SOCKET_PATH, WEB_TOKEN_PARAM, type WebRequestFrame, type WebServerFrame } from '../../src-shared/ipc/web-protocol';

export interface WebSocketBridge extends ProcscopeBridge {
  onClose(listener: (reason: string) => void): void;
}

export function createWebSocketBridge(location: Location): WebSocketBridge {
  const token = new URLSearchParams(location.search).get(WEB_TOKEN_PARAM) ?? '';
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(`${scheme}//${location.host}${WEB_SOCKET_PATH}?${WEB_TOKEN_PARAM}=${encodeURIComponent(token)}`);
  const opened = new Promise<void>((resolve) => socket.addEventListener('open', () => resolve(), { once: true }));
  const pending = new Map<number, (result: IpcEnvelope<unknown>) => void>();
  const listeners = new Map<PushChannel, Set<(payload: unknown) => void>>();
  const closeListeners: ((reason: string) => void)[] = [];
  let nextId = 1;
  let closedReason: string | null = null;

  socket.addEventListener('message', (event) => {
    const frame = JSON.parse(String(event.data)) as WebServerFrame;
    if (frame.type === 'response') {
      pending.get(frame.id)?.(frame.result);
      pending.delete(frame.id);
    } else {
      for (const listener of listeners.get(frame.channel) ?? []) listener(frame.payload);
    }
  });
  socket.addEventListener('close', (event) => {
    closedReason = event.reason || 'The connection to procscope serve was closed.';
    for (const resolve of pending.values()) resolve(ipcFail('not-ready', closedReason));
    pending.clear();
    for (const listener of closeListeners) listener(closedReason);
  });

  return {
    async invoke(channel, args) {
      if (closedReason === null) await Promise.race([opened, new Promise((r) => socket.addEventListener('close', r))]);
      if (closedReason !== null) return ipcFail('not-ready', closedReason);
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
  };
}
