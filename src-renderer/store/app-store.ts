/*
 * The renderer's one zustand store, composed of one slice per concern (processes, view, selection, dump jobs,
 * capture watches, row actions, the analysis report view). A feature adds its own slice file and one line here. createAppStore() exists so tests get a fresh store each.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { useStore } from 'zustand';
import { createActionsSlice, type ActionsSlice } from './actions-slice';
import { createAnalysisSlice, type AnalysisSlice } from './analysis-slice';
import { createCaptureSlice, type CaptureSlice } from './capture-slice';
import { createDetailSlice, type DetailSlice } from './detail-slice';
import { createDumpJobsSlice, type DumpJobsSlice } from './dump-jobs-slice';
import { createProcessesSlice, type ProcessesSlice } from './processes-slice';
import { createSelectionSlice, type SelectionSlice } from './selection-slice';
import { createViewSlice, type ViewSlice } from './view-slice';

export type AppState = ProcessesSlice & ViewSlice & SelectionSlice & DumpJobsSlice & CaptureSlice & ActionsSlice & AnalysisSlice & DetailSlice;

export function createAppStore(): StoreApi<AppState> {
  return createStore<AppState>()((...a) => ({
    ...createProcessesSlice(...a),
    ...createViewSlice(...a),
    ...createSelectionSlice(...a),
    ...createDumpJobsSlice(...a),
    ...createCaptureSlice(...a),
    ...createActionsSlice(...a),
    ...createAnalysisSlice(...a),
    ...createDetailSlice(...a),
  }));
}

export const appStore = createAppStore();

export function useAppStore<T>(selector: (state: AppState) => T): T {
  return useStore(appStore, selector);
}
