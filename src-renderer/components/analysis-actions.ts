/*
 * What the Analyze buttons do (issue 13): start an analysis in the host, show it as running in the report view
 * and put the report or the error sentence there. Save as: the desktop host's save dialog, else a download of
 * the JSON the view already has, or of the HTML the host renders for that report (the page is rendered in one
 * place only, the host). Transport-agnostic: it only sees the ProcscopeApi.
 */
import { reportFileName, type AnalysisView, type ReportFormat } from '../../src-shared/ipc/analysis-contract';
import type { ProcscopeApi } from '../api/procscope-api';
import { appStore } from '../store/app-store';

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function run(title: string, request: () => Promise<AnalysisView | null>): Promise<void> {
  const store = appStore.getState();
  const token = store.beginAnalysis(title);
  try {
    const view = await request();
    if (view) appStore.getState().finishAnalysis(token, view);
    else appStore.getState().abandonAnalysis(token);
  } catch (err) {
    appStore.getState().failAnalysis(token, message(err));
  }
}

/** Analyze on a finished job; title is the job's as the jobs panel shows it. */
export function analyzeJob(api: ProcscopeApi, jobId: string, title: string): Promise<void> {
  return run(title, () => api.request('procscope:analyze-job', { jobId }));
}

/** Analyze Dump…: the desktop host asks in its own dialog; the browser host's user types the path first. */
export function startAnalyzeDump(api: ProcscopeApi): void {
  if (appStore.getState().capabilities?.openDumpDialog) void run('the chosen dump', () => api.request('procscope:analyze-file', {}));
  else appStore.getState().setAnalyzePathDialogOpen(true);
}

export function analyzePath(api: ProcscopeApi, path: string): Promise<void> {
  return run(path, () => api.request('procscope:analyze-file', { path }));
}

function download(name: string, content: string, type: string): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Resolves to where it was saved (desktop), 'downloaded' (browser) or null when the user cancelled. */
export async function saveReport(api: ProcscopeApi, view: AnalysisView, format: ReportFormat): Promise<string | null> {
  if (appStore.getState().capabilities?.saveReportDialog) return api.request('procscope:save-report', { reportId: view.reportId, format });
  if (format === 'json') download(reportFileName(view.report, 'json'), `${JSON.stringify(view.report, null, 2)}\n`, 'application/json');
  else download(reportFileName(view.report, 'html'), await api.request('procscope:render-report-html', { reportId: view.reportId }), 'text/html');
  return 'downloaded';
}
