/*
 * Per-process detail in the renderer (issue 14): the lower pane's DLLs or handles of the selected process, Find
 * Handle or DLL's last search, and — in a Properties page — the one process's tabs. Every part is kept with the last
 * value it answered, so an error ("access denied — needs elevation") or the process's exit shows as a sentence over
 * the last data instead of blanking it. Data only: the requests live in properties-actions.ts and the components.
 */
import type { StateCreator } from 'zustand';
import {
  DETAIL_PARTS,
  type DetailError,
  type DetailPart,
  type DetailResult,
  type FindResult,
  type HandleDetail,
  type ModuleDetail,
  type PerformanceSample,
  type ProcessDetail,
} from '../../src-shared/model/process-detail';
import type { ProcessKey } from '../../src-shared/model/process';

/** The Performance graphs keep at most this many samples (10 minutes at 1 s). */
export const MAX_PERFORMANCE_SAMPLES = 600;

export type LowerPaneMode = 'dlls' | 'handles';

/** One part as a tab shows it: the last value answered, and the error of the last read if it failed. */
export interface PartView<T> {
  value: T | null;
  error: DetailError | null;
  /** When the last answer (value or error) came. */
  updatedMs: number;
}

export type PartValue<P extends DetailPart> = NonNullable<ProcessDetail[P]> extends DetailResult<infer T> ? T : never;

export type PartViews = { [P in DetailPart]?: PartView<PartValue<P>> };

export interface PropertiesTarget {
  pid: number;
  startTimeMs: number;
}

export interface PropertiesState {
  target: PropertiesTarget;
  parts: PartViews;
  /** Merged host history and every current sample since the window opened, oldest first, by timestamp. */
  performanceHistory: PerformanceSample[];
  /** The process exited (or its pid now names another process): the window keeps the last data and stops asking. */
  exited: boolean;
  /** A whole-call failure that is not an exit (host gone, internal error): one sentence, data kept. */
  callError: string | null;
}

export interface LowerPaneData {
  key: ProcessKey;
  mode: LowerPaneMode;
  modules: PartView<ModuleDetail[]> | null;
  handles: PartView<HandleDetail[]> | null;
  /** The process exited or cannot be asked: the sentence the pane shows. */
  callError: string | null;
}

export type FindState =
  | { status: 'idle' }
  | { status: 'searching'; query: string }
  | { status: 'done'; result: FindResult }
  | { status: 'failed'; query: string; message: string };

export interface DetailSlice {
  properties: PropertiesState | null;
  lowerPaneData: LowerPaneData | null;
  findOpen: boolean;
  find: FindState;
  openPropertiesState(target: PropertiesTarget): void;
  /** Records one answer of get-process-detail for the Properties page (parts absent from it are left alone). */
  applyPropertiesDetail(detail: ProcessDetail): void;
  markPropertiesExited(): void;
  setPropertiesCallError(message: string | null): void;
  /** Records one answer for the lower pane; an answer for another process or mode than shown now is dropped. */
  applyLowerPaneDetail(key: ProcessKey, mode: LowerPaneMode, detail: ProcessDetail): void;
  setLowerPaneError(key: ProcessKey, mode: LowerPaneMode, message: string): void;
  clearLowerPane(): void;
  setFindOpen(open: boolean): void;
  setFind(find: FindState): void;
}

function partView<T>(result: DetailResult<T> | undefined, previous: PartView<T> | undefined, nowMs: number): PartView<T> | undefined {
  if (!result) return previous;
  if (result.ok) return { value: result.value, error: null, updatedMs: nowMs };
  return { value: previous?.value ?? null, error: result.error, updatedMs: nowMs };
}

/** Host history and our own samples together, one per timestamp, oldest first, bounded. */
export function mergePerformanceHistory(kept: readonly PerformanceSample[], incoming: readonly PerformanceSample[]): PerformanceSample[] {
  const byTime = new Map<number, PerformanceSample>();
  for (const s of kept) byTime.set(s.timestampMs, s);
  for (const s of incoming) byTime.set(s.timestampMs, s);
  return [...byTime.values()].sort((a, b) => a.timestampMs - b.timestampMs).slice(-MAX_PERFORMANCE_SAMPLES);
}

export const createDetailSlice: StateCreator<DetailSlice, [], [], DetailSlice> = (set, get) => ({
  properties: null,
  lowerPaneData: null,
  findOpen: false,
  find: { status: 'idle' },
  openPropertiesState: (target) => set({ properties: { target, parts: {}, performanceHistory: [], exited: false, callError: null } }),
  applyPropertiesDetail(detail) {
    const current = get().properties;
    if (!current || current.exited) return;
    if (detail.pid !== current.target.pid || detail.startTimeMs !== current.target.startTimeMs) return;
    const parts: Record<string, PartView<unknown> | undefined> = { ...current.parts };
    for (const part of DETAIL_PARTS) {
      parts[part] = partView(detail[part] as DetailResult<unknown> | undefined, parts[part], detail.timestampMs);
    }
    let performanceHistory = current.performanceHistory;
    if (detail.performance?.ok) {
      // The host's history ends with `current` (one sample per poll); a current read apart from the poll is not a point.
      const { history, current } = detail.performance.value;
      performanceHistory = mergePerformanceHistory(performanceHistory, history.length ? history : [current]);
    }
    set({ properties: { ...current, parts: parts as PartViews, performanceHistory, callError: null } });
  },
  markPropertiesExited() {
    const current = get().properties;
    if (current && !current.exited) set({ properties: { ...current, exited: true } });
  },
  setPropertiesCallError(callError) {
    const current = get().properties;
    if (current && current.callError !== callError) set({ properties: { ...current, callError } });
  },
  applyLowerPaneDetail(key, mode, detail) {
    const previous = get().lowerPaneData;
    const same = previous && previous.key === key ? previous : null;
    set({
      lowerPaneData: {
        key,
        mode,
        modules: partView(detail.modules, same?.modules ?? undefined, detail.timestampMs) ?? null,
        handles: partView(detail.handles, same?.handles ?? undefined, detail.timestampMs) ?? null,
        callError: null,
      },
    });
  },
  setLowerPaneError(key, mode, message) {
    const previous = get().lowerPaneData;
    const same = previous && previous.key === key ? previous : null;
    set({ lowerPaneData: { key, mode, modules: same?.modules ?? null, handles: same?.handles ?? null, callError: message } });
  },
  clearLowerPane: () => set({ lowerPaneData: null }),
  setFindOpen: (findOpen) => set({ findOpen }),
  setFind: (find) => set({ find }),
});
