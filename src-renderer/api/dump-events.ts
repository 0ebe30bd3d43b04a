/*
 * Feeds the jobs panel: listens to procscope:dump-event first, then asks for the jobs main already holds (a
 * reloaded window sees running dumps), so no event falls between the two; and again, replacing the list, when a lost connection returns. Also fetches
 * what the host can do.
 */
import type { StoreApi } from 'zustand';
import type { AppState } from '../store/app-store';
import type { ProcscopeApi } from './procscope-api';

export function connectDumpEvents(api: ProcscopeApi, store: StoreApi<AppState>): () => void {
  const off = api.on('procscope:dump-event', (event) => store.getState().applyDumpEvent(event));
  api.request('procscope:list-dump-jobs', {}).then(
    (list) => store.getState().mergeDumpJobList(list),
    (err: unknown) => store.getState().notify(`The dump jobs could not be listed: ${err instanceof Error ? err.message : String(err)}`),
  );
  api.request('procscope:get-app-info', {}).then(
    (info) => store.getState().setCapabilities(info.capabilities),
    () => {},
  );
  // Events sent while the connection was down never arrived: when it returns, main's list replaces ours.
  const offConnection = api.onConnectionChange?.((state) => {
    if (!state.connected) return;
    api.request('procscope:list-dump-jobs', {}).then(
      (list) => store.getState().replaceDumpJobList(list),
      () => {},
    );
  });
  return () => {
    off();
    offConnection?.();
  };
}
