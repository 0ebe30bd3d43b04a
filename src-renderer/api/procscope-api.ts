/*
 * The renderer's typed client of the IPC contract. It picks the transport once — the Electron preload's
 * window.procscope when present, else the browser host's WebSocket — and from then on the components call
 * request()/on() without knowing which. request() unwraps the envelope and throws IpcRequestError.
 */
import { BRIDGE_GLOBAL_NAME, type ProcscopeBridge } from '../../src-shared/ipc/bridge';
import type { PushChannel, PushPayload, RequestArgs, RequestChannel, RequestResult } from '../../src-shared/ipc/contract';
import { IpcRequestError } from '../../src-shared/ipc/ipc-result';
import { setConnectionState, type ConnectionState } from './connection';
import { createWebSocketBridge } from './web-socket-bridge';

export interface ProcscopeApi {
  request<C extends RequestChannel>(channel: C, args: RequestArgs<C>): Promise<RequestResult<C>>;
  on<C extends PushChannel>(channel: C, listener: (payload: PushPayload<C>) => void): () => void;
  /** Called when the transport closes (browser host stopped or unreachable). */
  onDisconnect(listener: (reason: string) => void): void;
  /** The transport going down and coming back (the browser host retries); absent where it never goes (Electron). */
  onConnectionChange?(listener: (state: ConnectionState) => void): () => void;
}

export function createApi(
  bridge: ProcscopeBridge,
  onDisconnect: (listener: (reason: string) => void) => void = () => {},
  onConnectionChange?: (listener: (state: ConnectionState) => void) => () => void,
): ProcscopeApi {
  return {
    ...(onConnectionChange ? { onConnectionChange } : {}),
    async request(channel, args) {
      const envelope = await bridge.invoke(channel, args);
      if (!envelope.ok) throw new IpcRequestError(envelope.error.code, envelope.error.message, channel);
      return envelope.value;
    },
    on: (channel, listener) => bridge.on(channel, listener),
    onDisconnect,
  };
}

export function createDefaultApi(): ProcscopeApi {
  const fromPreload = (window as unknown as Record<string, ProcscopeBridge | undefined>)[BRIDGE_GLOBAL_NAME];
  if (fromPreload) return createApi(fromPreload);
  const web = createWebSocketBridge(window.location);
  // The page's connection state (banner, greyed list, disabled actions) follows the socket.
  web.onConnectionChange(setConnectionState);
  return createApi(web, (listener) => web.onClose(listener), (listener) => web.onConnectionChange(listener));
}
