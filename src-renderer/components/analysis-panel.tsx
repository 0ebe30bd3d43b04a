/*
 * The report view beside the Capture and jobs panels (issue 13): while an analysis runs, what is analysed and
 * for how long; then the report (analysis-report-view.tsx) with Save as JSON / HTML and Close; or the host's
 * error sentence — never an empty region. Also the browser host's Analyze Dump dialog, where the user types the
 * dump's path (the desktop app uses main's open dialog instead). Reads the analysis slice only.
 */
import { useEffect, useId, useState } from 'react';
import type { ReportFormat } from '../../src-shared/ipc/analysis-contract';
import { useApi } from '../api/api-context';
import { formatDurationMs } from '../format/dump-format';
import type { AnalysisPanelState } from '../store/analysis-slice';
import { appStore, useAppStore } from '../store/app-store';
import { analyzePath, saveReport } from './analysis-actions';
import { AnalysisReportView } from './analysis-report-view';
import { DialogFooter } from './dialog-footer';
import { ModalDialog } from './modal-dialog';

function Elapsed({ sinceMs }: { sinceMs: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return <>{formatDurationMs(Math.max(0, now - sinceMs))}</>;
}

function SaveButtons({ state }: { state: Extract<AnalysisPanelState, { status: 'done' }> }) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ error: boolean; text: string } | null>(null);
  const save = async (format: ReportFormat) => {
    setBusy(true);
    try {
      const where = await saveReport(api, state.view, format);
      setOutcome(where === null ? null : { error: false, text: where === 'downloaded' ? `The ${format.toUpperCase()} report was downloaded.` : `Saved to ${where}` });
    } catch (err) {
      setOutcome({ error: true, text: `Save as ${format.toUpperCase()} failed: ${err instanceof Error ? err.message : String(err)}` });
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" disabled={busy} onClick={() => void save('json')}>
        Save as JSON
      </button>
      <button type="button" disabled={busy} onClick={() => void save('html')}>
        Save as HTML
      </button>
      {outcome && (
        <span role={outcome.error ? 'alert' : 'status'} className={outcome.error ? 'analysis-error' : 'analysis-muted'}>
          {outcome.text}
        </span>
      )}
    </>
  );
}

function heading(state: AnalysisPanelState): string {
  if (state.status !== 'done') return `Analysis of ${state.title}`;
  const h = state.view.report.header;
  return `Analysis of ${h.process} (PID ${h.pid})`;
}

export function AnalysisPanel() {
  const state = useAppStore((s) => s.analysis);
  if (!state) return null;
  return (
    <section className="analysis-panel" aria-label="Analysis report" aria-busy={state.status === 'running'}>
      <div className="analysis-bar">
        <h2 className="jobs-heading">{heading(state)}</h2>
        <span className="toolbar-gap" />
        {state.status === 'done' && <SaveButtons key={state.view.reportId} state={state} />}
        <button type="button" onClick={() => appStore.getState().closeAnalysis()}>
          Close report
        </button>
      </div>
      {state.status === 'running' && (
        <div role="status" className="analysis-running">
          <div role="progressbar" aria-label={`Analyzing ${state.title}`} aria-valuetext="reading the dump" className="progress indeterminate">
            <div className="progress-fill" style={{ width: '100%' }} />
          </div>
          Analyzing {state.title}… <Elapsed sinceMs={state.startedAtMs} />
        </div>
      )}
      {state.status === 'failed' && (
        <p role="alert" className="analysis-error">
          The dump could not be analysed: {state.message}
        </p>
      )}
      {state.status === 'done' && (
        <>
          <p className="analysis-muted">Analysed in {formatDurationMs(state.view.durationMs)}. This report is redacted; it holds no memory contents.</p>
          <AnalysisReportView report={state.view.report} />
        </>
      )}
    </section>
  );
}

const isAbsolutePath = (v: string) => v.startsWith('/') || /^[A-Za-z]:[\\/]/.test(v) || v.startsWith('\\\\');

/** The browser host's Analyze Dump…: a path, since a web page cannot be given a file's path by a picker. */
export function AnalyzePathDialog() {
  const api = useApi();
  const open = useAppStore((s) => s.analyzePathDialogOpen);
  const pathId = useId();
  const [path, setPath] = useState('');
  const [error, setError] = useState<string | null>(null);
  if (!open) return null;
  const close = () => {
    setError(null);
    appStore.getState().setAnalyzePathDialogOpen(false);
  };
  const submit = () => {
    const p = path.trim();
    if (!isAbsolutePath(p)) {
      setError('Type the absolute path of a core or .dmp file (starting with / or a drive letter).');
      return;
    }
    close();
    void analyzePath(api, p);
  };
  return (
    <ModalDialog title="Analyze Dump" onClose={close} initialFocus="input">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <label htmlFor={pathId}>Dump file</label>
        <div className="folder-row">
          <input id={pathId} type="text" value={path} placeholder="/var/crash/app.core or C:\dumps\app.dmp" onChange={(e) => setPath(e.target.value)} spellCheck={false} />
        </div>
        <p className="analysis-muted">A Linux core or a Windows minidump on the machine Procscope runs on. The report is redacted.</p>
        <DialogFooter error={error} onCancel={close}>
          <button type="submit">Analyze</button>
        </DialogFooter>
      </form>
    </ModalDialog>
  );
}
