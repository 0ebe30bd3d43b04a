// What the Analyze buttons do, over a scripted ProcscopeApi and the app's store: the job's id (never a path) goes
// to the host, the report or the host's sentence lands in the view, a cancelled open dialog leaves the view as it
// was, and Save as asks the host's dialog where there is one.
import { afterEach, describe, expect, it } from 'vitest';
import { IpcRequestError } from '../../src-shared/ipc/ipc-result';
import type { ProcscopeApi } from '../api/procscope-api';
import { appStore } from '../store/app-store';
import { testAnalysisView } from '../store/test-report';
import { analyzeJob, saveReport, startAnalyzeDump } from './analysis-actions';

function scriptedApi(answer: (channel: string, args: unknown) => unknown) {
  const calls: [string, unknown][] = [];
  const api = {
    request: async (channel: string, args: unknown) => {
      calls.push([channel, args]);
      return answer(channel, args);
    },
    on: () => () => {},
    onDisconnect: () => {},
  } as unknown as ProcscopeApi;
  return { api, calls };
}

const capabilities = (dialogs: boolean) => ({ suspend: true, dumpFormat: 'elf-core' as const, chooseFolder: dialogs, showInFolder: dialogs, capture: true, openDumpDialog: dialogs, saveReportDialog: dialogs });

afterEach(() => {
  appStore.getState().closeAnalysis();
  appStore.getState().setAnalyzePathDialogOpen(false);
});

describe('analysis actions', () => {
  it('analyses a job by id and shows the report, or the host error sentence', async () => {
    const ok = scriptedApi(() => testAnalysisView('r-9'));
    await analyzeJob(ok.api, 'dump-3', 'Minidump of bash, PID 7');
    expect(ok.calls).toEqual([['procscope:analyze-job', { jobId: 'dump-3' }]]);
    expect(appStore.getState().analysis).toMatchObject({ status: 'done', title: 'Minidump of bash, PID 7', view: { reportId: 'r-9' } });
    const bad = scriptedApi(() => {
      throw new IpcRequestError('invalid-argument', 'That dump is still being written; analyse it when it is saved.', 'procscope:analyze-job');
    });
    await analyzeJob(bad.api, 'dump-4', 'Full dump of x, PID 8');
    expect(appStore.getState().analysis).toMatchObject({ status: 'failed', message: 'That dump is still being written; analyse it when it is saved.' });
  });

  it("Analyze Dump… uses the host's open dialog on the desktop and the path dialog in the browser", async () => {
    appStore.getState().setCapabilities(capabilities(true));
    const cancelled = scriptedApi(() => null);
    startAnalyzeDump(cancelled.api);
    await expect.poll(() => cancelled.calls.length).toBe(1);
    expect(cancelled.calls[0]).toEqual(['procscope:analyze-file', {}]);
    await expect.poll(() => appStore.getState().analysis).toBeNull();
    appStore.getState().setCapabilities(capabilities(false));
    const browser = scriptedApi(() => testAnalysisView());
    startAnalyzeDump(browser.api);
    expect(browser.calls).toEqual([]);
    expect(appStore.getState().analyzePathDialogOpen).toBe(true);
  });

  it("saves through the host's save dialog on the desktop", async () => {
    appStore.getState().setCapabilities(capabilities(true));
    const desktop = scriptedApi(() => '/home/u/x.report.html');
    expect(await saveReport(desktop.api, testAnalysisView('r-5'), 'html')).toBe('/home/u/x.report.html');
    expect(desktop.calls).toEqual([['procscope:save-report', { reportId: 'r-5', format: 'html' }]]);
  });
});
