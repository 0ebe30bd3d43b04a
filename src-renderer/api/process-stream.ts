/*
 * Connects the process stream to the store: subscribe, apply each snapshot and delta, and on a gap in seq fetch a
 * fresh snapshot (deltas arriving meanwhile are dropped: the snapshot supersedes them); subscribes again when a
 * lost connection returns. Also mirrors the poller state. bench:ui hooks in through onDeltaReceived / onDeltaApplied to time each delta to the screen.
 */
import type { StoreApi } from 'zustand/vanilla';
import type { ProcessStreamMessage } from '../../src-shared/model/process';
import type { AppState } from '../store/app-store';
import type { ProcscopeApi } from './procscope-api';

export interface ProcessStreamHooks {
  onDeltaReceived?(seq: number): void;
  onDeltaApplied?(seq: number): void;
  onError?(message: string): void;
}

export function connectProcessStream(api: ProcscopeApi, store: StoreApi<AppState>, hooks: ProcessStreamHooks = {}): () => void {
  let resyncing = false;

  const resync = async () => {
    if (resyncing) return;
    resyncing = true;
    try {
      const snapshot = await api.request('procscope:get-snapshot', {});
      if (snapshot) store.getState().applySnapshot(snapshot);
    } catch (err) {
      hooks.onError?.(err instanceof Error ? err.message : String(err));
    } finally {
      resyncing = false;
    }
  };

  const onMessage = (message: ProcessStreamMessage) => {
    if (message.kind === 'snapshot') {
      store.getState().applySnapshot(message.snapshot);
      return;
    }
    if (resyncing) return;
    hooks.onDeltaReceived?.(message.delta.seq);
    const outcome = store.getState().applyDelta(message.delta);
    if (outcome === 'gap') void resync();
    else if (outcome === 'applied') hooks.onDeltaApplied?.(message.delta.seq);
  };

  const subscribe = () =>
    api.request('procscope:subscribe-processes', {}).then(
      (state) => store.getState().setPollerState(state),
      (err: unknown) => hooks.onError?.(err instanceof Error ? err.message : String(err)),
    );
  const offStream = api.on('procscope:process-stream', onMessage);
  const offState = api.on('procscope:poller-state', (state) => store.getState().setPollerState(state));
  void subscribe();
  // The subscription went with the old socket: when the connection returns, subscribe again and take a fresh
  // snapshot (the rows shown meanwhile were the last ones seen, not live).
  const offConnection = api.onConnectionChange?.((state) => {
    if (!state.connected) return;
    void subscribe().then(resync);
  });
  return () => {
    offStream();
    offState();
    offConnection?.();
    void api.request('procscope:unsubscribe-processes', {}).catch(() => {});
  };
}
