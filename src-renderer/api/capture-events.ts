/*
 * Feeds the Capture panel: listens to procscope:capture-event first, then asks for the watches main already holds
 * (a reloaded window sees armed watches and the children they saw), so no event falls between the two. A host
 * without capture (capabilities.capture false) is not asked at all.
 */
import type { StoreApi } from 'zustand';
import type { AppState } from '../store/app-store';
import type { ProcscopeApi } from './procscope-api';

export function connectCaptureEvents(api: ProcscopeApi, store: StoreApi<AppState>): () => void {
  let live = true;
  const off = api.on('procscope:capture-event', (event) => store.getState().applyCaptureServiceEvent(event));
  const list = () =>
    api.request('procscope:list-captures', {}).then(
      (watches) => live && store.getState().mergeCaptureList(watches),
      (err: unknown) => live && store.getState().notify(`The capture watches could not be listed: ${err instanceof Error ? err.message : String(err)}`),
    );
  // The capabilities come from get-app-info (connectDumpEvents asks); list once they say capture runs here.
  const ask = (state: AppState) => {
    if (!state.capabilities) return false;
    if (state.capabilities.capture) void list();
    return true;
  };
  let unsubscribe: (() => void) | null = null;
  if (!ask(store.getState())) {
    unsubscribe = store.subscribe((state) => {
      if (ask(state)) {
        unsubscribe?.();
        unsubscribe = null;
      }
    });
  }
  return () => {
    live = false;
    unsubscribe?.();
    off();
  };
}
