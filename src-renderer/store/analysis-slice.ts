/*
 * The report view's state (issue 13): at most one analysis on screen — running (with what and since when),
 * its report, or its error sentence, never nothing — and whether the browser host's "type a path" dialog is open.
 * Each start takes a token; a result whose token is no longer current (the user started another or closed the
 * view) is dropped, so a slow analysis never replaces a newer one.
 */
import type { StateCreator } from 'zustand';
import type { AnalysisView } from '../../src-shared/ipc/analysis-contract';

export type AnalysisPanelState =
  | { status: 'running'; title: string; startedAtMs: number; token: number }
  | { status: 'done'; title: string; view: AnalysisView; token: number }
  | { status: 'failed'; title: string; message: string; token: number };

export interface AnalysisSlice {
  analysis: AnalysisPanelState | null;
  analyzePathDialogOpen: boolean;
  /** Shows "Analyzing <title>…" and answers the token its result must carry. */
  beginAnalysis(title: string, nowMs?: number): number;
  finishAnalysis(token: number, view: AnalysisView): void;
  failAnalysis(token: number, message: string): void;
  /** A cancelled dialog: the view goes back to what it showed before this start. */
  abandonAnalysis(token: number): void;
  closeAnalysis(): void;
  setAnalyzePathDialogOpen(open: boolean): void;
}

let nextToken = 1;

export const createAnalysisSlice: StateCreator<AnalysisSlice, [], [], AnalysisSlice> = (set, get) => {
  let before: AnalysisPanelState | null = null;
  const current = (token: number) => get().analysis?.token === token;
  return {
    analysis: null,
    analyzePathDialogOpen: false,
    beginAnalysis(title, nowMs = Date.now()) {
      const token = nextToken++;
      const shown = get().analysis;
      before = shown?.status === 'running' ? null : shown;
      set({ analysis: { status: 'running', title, startedAtMs: nowMs, token } });
      return token;
    },
    finishAnalysis(token, view) {
      if (current(token)) set({ analysis: { status: 'done', title: get().analysis!.title, view, token } });
    },
    failAnalysis(token, message) {
      if (current(token)) set({ analysis: { status: 'failed', title: get().analysis!.title, message, token } });
    },
    abandonAnalysis(token) {
      if (current(token)) set({ analysis: before });
    },
    closeAnalysis: () => set({ analysis: null }),
    setAnalyzePathDialogOpen: (open) => set({ analyzePathDialogOpen: open }),
  };
};
