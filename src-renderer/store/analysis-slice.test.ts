import { describe, expect, it } from 'vitest';
import { createAppStore } from './app-store';
import { testAnalysisView } from './test-report';

describe('analysis slice', () => {
  it('shows a running analysis, then its report or its error, and drops a result that is no longer current', () => {
    const store = createAppStore();
    const first = store.getState().beginAnalysis('Minidump of bash, PID 7', 1000);
    expect(store.getState().analysis).toEqual({ status: 'running', title: 'Minidump of bash, PID 7', startedAtMs: 1000, token: first });
    const second = store.getState().beginAnalysis('/tmp/x.core', 2000);
    // The first analysis answers late: the view keeps showing the second, still running.
    store.getState().finishAnalysis(first, testAnalysisView('old'));
    expect(store.getState().analysis).toMatchObject({ status: 'running', title: '/tmp/x.core' });
    store.getState().failAnalysis(second, '/tmp/x.core is not a dump.');
    expect(store.getState().analysis).toEqual({ status: 'failed', title: '/tmp/x.core', message: '/tmp/x.core is not a dump.', token: second });
    const third = store.getState().beginAnalysis('job', 3000);
    store.getState().finishAnalysis(third, testAnalysisView('new'));
    expect(store.getState().analysis).toMatchObject({ status: 'done', title: 'job', view: { reportId: 'new' } });
    store.getState().closeAnalysis();
    expect(store.getState().analysis).toBeNull();
    store.getState().finishAnalysis(third, testAnalysisView('late'));
    expect(store.getState().analysis).toBeNull();
  });

  it('goes back to the report it showed when the open dialog is cancelled', () => {
    const store = createAppStore();
    const shown = store.getState().beginAnalysis('job');
    store.getState().finishAnalysis(shown, testAnalysisView('kept'));
    const cancelled = store.getState().beginAnalysis('the chosen dump');
    store.getState().abandonAnalysis(cancelled);
    expect(store.getState().analysis).toMatchObject({ status: 'done', view: { reportId: 'kept' } });
    // Cancelled with nothing before: the view closes rather than staying on "Analyzing…".
    store.getState().closeAnalysis();
    store.getState().abandonAnalysis(store.getState().beginAnalysis('again'));
    expect(store.getState().analysis).toBeNull();
    store.getState().setAnalyzePathDialogOpen(true);
    expect(store.getState().analyzePathDialogOpen).toBe(true);
  });
});
