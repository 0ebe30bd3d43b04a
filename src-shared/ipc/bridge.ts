/*
 * The untyped-at-runtime, typed-at-compile-time bridge that each transport provides to the renderer: the Electron
 * preload exposes it as window.procscope, the browser host's WebSocket client implements it in the page. The
 * renderer codes against this interface only, so it never learns which transport it runs on.
 */
import type { PushChannel, PushPayload, RequestArgs, RequestChannel, RequestResult } from './contract';
import type { IpcEnvelope } from './ipc-result';

export interface ProcscopeBridge {
  invoke<C extends RequestChannel>(channel: C, args: RequestArgs<C>): Promise<IpcEnvelope<RequestResult<C>>>;
  /** Returns the unsubscribe function. */
  on<C extends PushChannel>(channel: C, listener: (payload: PushPayload<C>) => void): () => void;
}

/** The name the Electron preload exposes the bridge under (window.procscope). */
export const BRIDGE_GLOBAL_NAME = 'procscope';
