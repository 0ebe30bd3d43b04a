/*
 * The persisted view (issue 14) on the renderer's side: restoreView() reads the host's saved view once at start
 * (main.tsx awaits it, briefly, before the first paint) and applies it; persistView() then writes the whole view
 * back a moment after each change. A save starts only after the restore, so the defaults never overwrite a saved
 * view; a failed save says so once in a notice.
 */
import type { StoreApi } from 'zustand';
import { DEFAULT_REFRESH_INTERVAL_MS, REFRESH_INTERVALS_MS } from '../../src-shared/model/process';
import type { ViewSettings } from '../../src-shared/model/view-settings';
import type { ProcscopeApi } from '../api/procscope-api';
import type { AppState } from './app-store';

export const SAVE_DELAY_MS = 300;

export function viewSettingsOf(state: AppState): ViewSettings {
  const interval = state.pollerState?.lastRunningIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS;
  return {
    version: 1,
    columns: [...state.visibleColumns],
    widthsPx: { ...state.columnWidthsPx },
    sort: state.sortColumn ? { column: state.sortColumn, direction: state.sortDirection } : null,
    flatList: state.flatList,
    lowerPane: { visible: state.lowerPane.visible, view: state.lowerPane.mode },
    refreshIntervalMs: (REFRESH_INTERVALS_MS as readonly number[]).includes(interval) ? interval : DEFAULT_REFRESH_INTERVAL_MS,
    newHighlightMs: state.newHighlightMs,
    keepExitedMs: state.keepExitedMs,
    categories: { ...state.categoryStyles },
  };
}

/** What the host says about the view: who "own" is, and the saved view; never throws, waits at most timeoutMs. */
export async function restoreView(api: ProcscopeApi, store: StoreApi<AppState>, timeoutMs = 1500): Promise<ViewSettings | null> {
  const work = (async () => {
    const [info, saved] = await Promise.all([
      api.request('procscope:get-app-info', {}).catch(() => null),
      api.request('procscope:get-view-settings', {}).catch((err: unknown) => {
        store.getState().notify(`The saved view could not be read: ${err instanceof Error ? err.message : String(err)}`);
        return null;
      }),
    ]);
    if (info) store.getState().setCurrentUser(info.currentUser ?? null);
    if (saved?.notice) store.getState().notify(saved.notice);
    if (saved?.settings) {
      store.getState().applyViewSettings(saved.settings);
      store.getState().setHighlightDurations(saved.settings);
    }
    return saved?.settings ?? null;
  })();
  const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), timeoutMs));
  return Promise.race([work, timeout]);
}

/**
 * Carries out the host-side parts of a restored view once the poller state is known: the refresh rate (unless
 * the user paused) and handle counting for a shown Handles column.
 */
export function applyHostParts(api: ProcscopeApi, store: StoreApi<AppState>, saved: ViewSettings | null): () => void {
  let done = false;
  const run = (state: AppState) => {
    if (done || !state.pollerState) return;
    done = true;
    const poller = state.pollerState;
    if (saved && poller.intervalMs !== 0 && poller.intervalMs !== saved.refreshIntervalMs) {
      api.request('procscope:set-refresh-interval', { intervalMs: saved.refreshIntervalMs }).then(
        (next) => store.getState().setPollerState(next),
        () => {},
      );
    }
    const wantsHandles = state.visibleColumns.includes('handleCount');
    if (wantsHandles !== poller.includeHandleCount) {
      api.request('procscope:set-include-handle-count', { include: wantsHandles }).then(
        (next) => store.getState().setPollerState(next),
        () => {},
      );
    }
  };
  run(store.getState());
  const off = store.subscribe(run);
  return () => off();
}

/**
 * Saves the view SAVE_DELAY_MS after it last changed; returns the stop function. `saved` is what the host holds
 * (its rate is the one applyHostParts sets once the poller state is known), so restoring it writes nothing.
 */
export function persistView(api: ProcscopeApi, store: StoreApi<AppState>, saved: ViewSettings | null = null): () => void {
  const current = viewSettingsOf(store.getState());
  let last = JSON.stringify(saved ? { ...current, refreshIntervalMs: saved.refreshIntervalMs } : current);
  let timer: ReturnType<typeof setTimeout> | null = null;
  let failedOnce = false;
  const save = () => {
    timer = null;
    const settings = viewSettingsOf(store.getState());
    const text = JSON.stringify(settings);
    if (text === last) return;
    last = text;
    api.request('procscope:set-view-settings', { settings }).then(
      () => (failedOnce = false),
      (err: unknown) => {
        if (failedOnce) return;
        failedOnce = true;
        store.getState().notify(`The view could not be saved: ${err instanceof Error ? err.message : String(err)}`);
      },
    );
  };
  const off = store.subscribe((state, previous) => {
    if (
      state.visibleColumns === previous.visibleColumns &&
      state.columnWidthsPx === previous.columnWidthsPx &&
      state.sortColumn === previous.sortColumn &&
      state.sortDirection === previous.sortDirection &&
      state.flatList === previous.flatList &&
      state.lowerPane === previous.lowerPane &&
      state.categoryStyles === previous.categoryStyles &&
      state.newHighlightMs === previous.newHighlightMs &&
      state.keepExitedMs === previous.keepExitedMs &&
      state.pollerState?.lastRunningIntervalMs === previous.pollerState?.lastRunningIntervalMs
    ) {
      return;
    }
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, SAVE_DELAY_MS);
  });
  return () => {
    off();
    if (timer) {
      clearTimeout(timer);
      save();
    }
  };
}

/** Restore, then keep saving: what the main window runs once (app.tsx). The table waits for viewRestored. */
export function startView(api: ProcscopeApi, store: StoreApi<AppState>): () => void {
  let stopped = false;
  let stop: (() => void)[] = [];
  void restoreView(api, store).then((saved) => {
    store.getState().setViewRestored();
    if (stopped) return;
    stop = [persistView(api, store, saved), applyHostParts(api, store, saved)];
  });
  return () => {
    stopped = true;
    for (const s of stop) s();
  };
}
