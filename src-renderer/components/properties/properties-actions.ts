/*
 * What the Properties page asks main (issue 14): the shown tab's parts, read again every refresh interval and not
 * while the poller is paused; a thread's stack and the single-thread actions. A gone or recycled target marks the
 * window exited (it keeps the last data and stops asking); any other whole-call failure is one sentence over the
 * data. Takes the store as an argument so tests drive it with a fresh store and a faked api.
 */
import type { StoreApi } from 'zustand';
import type { DetailPart, ThreadAction, ThreadStackDetail } from '../../../src-shared/model/process-detail';
import { IpcRequestError } from '../../../src-shared/ipc/ipc-result';
import type { ProcscopeApi } from '../../api/procscope-api';
import type { AppState } from '../../store/app-store';

export type PropertiesTab = 'image' | 'performance' | 'threads' | 'modules' | 'handles' | 'tcpip' | 'services' | 'environment';

/** The tabs in Process Explorer's order, with the accessible names the window gives them. */
export const PROPERTIES_TABS: readonly { id: PropertiesTab; label: string; parts: DetailPart[] }[] = [
  { id: 'image', label: 'Image', parts: ['image'] },
  { id: 'performance', label: 'Performance', parts: ['performance'] },
  { id: 'threads', label: 'Threads', parts: ['threads'] },
  { id: 'modules', label: 'Modules', parts: ['modules'] },
  { id: 'handles', label: 'Handles', parts: ['handles'] },
  { id: 'tcpip', label: 'TCP/IP', parts: ['sockets'] },
  { id: 'services', label: 'Services', parts: ['services'] },
  { id: 'environment', label: 'Environment', parts: ['environment'] },
];

/** Asked while the poller is paused, to notice the resume; detail is not read then. */
export const PAUSED_RECHECK_MS = 1000;

export const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

const isExit = (err: unknown) => err instanceof IpcRequestError && (err.code === 'process-gone' || err.code === 'pid-recycled');

/** One read of these parts into the Properties state; never throws. */
export async function readPropertiesParts(api: ProcscopeApi, store: StoreApi<AppState>, parts: DetailPart[]): Promise<void> {
  const state = store.getState().properties;
  if (!state || state.exited || parts.length === 0) return;
  try {
    const detail = await api.request('procscope:get-process-detail', { ...state.target, parts });
    store.getState().applyPropertiesDetail(detail);
  } catch (err) {
    if (isExit(err)) store.getState().markPropertiesExited();
    else store.getState().setPropertiesCallError(errorMessage(err));
  }
}

export interface RefreshLoopOptions {
  /** The parts of the tab shown now (asked afresh each round, so a tab switch takes effect at once too). */
  parts(): DetailPart[];
  setTimer?(fn: () => void, ms: number): unknown;
  clearTimer?(handle: unknown): void;
}

/**
 * Reads the shown tab now, then once per refresh interval while the poller runs (the interval the main window
 * uses, read from main each round); stops when the process exits. Returns stop() and refresh() (read now, as a tab
 * switch wants).
 */
export function startPropertiesRefresh(api: ProcscopeApi, store: StoreApi<AppState>, options: RefreshLoopOptions) {
  const setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  let stopped = false;
  let timer: unknown = null;
  let running: Promise<void> | null = null;

  const round = async (force: boolean) => {
    let intervalMs = PAUSED_RECHECK_MS;
    try {
      const poller = await api.request('procscope:get-poller-state', {});
      store.getState().setPollerState(poller);
      intervalMs = poller.intervalMs;
    } catch (err) {
      store.getState().setPropertiesCallError(errorMessage(err));
    }
    if (stopped) return;
    if (intervalMs > 0 || force) await readPropertiesParts(api, store, options.parts());
    if (stopped || store.getState().properties?.exited) return;
    timer = setTimer(() => void run(false), intervalMs > 0 ? intervalMs : PAUSED_RECHECK_MS);
  };
  const run = (force: boolean) => {
    if (stopped) return Promise.resolve();
    if (timer !== null) clearTimer(timer);
    timer = null;
    const next = (running ?? Promise.resolve()).then(() => round(force));
    running = next.finally(() => {
      if (running === next) running = null;
    });
    return next;
  };
  void run(true);
  return {
    stop() {
      stopped = true;
      if (timer !== null) clearTimer(timer);
    },
    refresh: () => run(true),
  };
}

export async function readThreadStack(api: ProcscopeApi, store: StoreApi<AppState>, tid: number): Promise<ThreadStackDetail | string> {
  const state = store.getState().properties;
  if (!state) return 'No process.';
  try {
    return await api.request('procscope:get-thread-stack', { ...state.target, tid });
  } catch (err) {
    if (isExit(err)) store.getState().markPropertiesExited();
    return errorMessage(err);
  }
}

/** null when done; else the sentence to show. */
export async function runThreadAction(api: ProcscopeApi, store: StoreApi<AppState>, tid: number, action: ThreadAction): Promise<string | null> {
  const state = store.getState().properties;
  if (!state) return 'No process.';
  try {
    await api.request('procscope:thread-action', { ...state.target, tid, action });
    return null;
  } catch (err) {
    if (isExit(err)) store.getState().markPropertiesExited();
    return errorMessage(err);
  }
}
