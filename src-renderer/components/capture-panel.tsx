/*
 * The Capture panel beside the jobs panel: every capture watch of this session with its state, what runs it
 * (mechanism, as administrator or not) and what it cannot see, its counts and Stop; then each process it saw with
 * start, exit code or signal, lifetime and the dumps taken of it. Exited processes stay listed — they are the rows a
 * user looks for after the fact. Reads the capture slice only; the buttons' requests go to main.
 */
import { memo } from 'react';
import type { CaptureWatchView } from '../../src-shared/ipc/capture-contract';
import { useApi } from '../api/api-context';
import { formatDurationMs } from '../format/dump-format';
import { dumpsText, exitText, formatClockMs, ruleSummary, triggerLabel, visibleCaptureProcesses, watchStatus, watchTitle } from '../format/capture-format';
import { useAppStore } from '../store/app-store';
import { useJobAction } from './dump-job-view';

/** The last few per-process errors are shown; the rest are counted. */
const SHOWN_ERRORS = 5;

function CaptureProcessTable({ watch, title }: { watch: CaptureWatchView; title: string }) {
  const { rows, hidden } = visibleCaptureProcesses(watch);
  if (!rows.length) return <p className="capture-empty">No matching process seen yet.</p>;
  return (
    <>
      {hidden > 0 && <p className="capture-hidden">{hidden} earlier processes are not shown.</p>}
      <table className="capture-processes" aria-label={`Processes seen by the ${title}`}>
        <thead>
          <tr>
            <th scope="col">PID</th>
            <th scope="col">Name</th>
            <th scope="col">Started</th>
            <th scope="col">Ended</th>
            <th scope="col">Lifetime</th>
            <th scope="col">Dumps</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((p) => (
            <tr key={`${p.pid}-${p.seenAtMs}`} aria-label={`${p.name}, PID ${p.pid}: ${exitText(p)}`} className={p.exitedAtMs === null ? 'capture-running' : 'capture-exited'}>
              <td>{p.pid}</td>
              <td title={p.cmdline}>{p.name}</td>
              <td>{formatClockMs(p.startTimeMs || p.seenAtMs)}</td>
              <td>{exitText(p)}</td>
              <td>{p.lifetimeMs === null ? '' : formatDurationMs(p.lifetimeMs)}</td>
              <td>{dumpsText(p)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** One watch of the panel (exported for its render test). */
export const CaptureWatchItem = memo(function CaptureWatchItem({ watch }: { watch: CaptureWatchView }) {
  const api = useApi();
  const { busy, run } = useJobAction();
  const title = watchTitle(watch);
  const status = watchStatus(watch);
  const errors = watch.errors.filter((e) => e.pid !== null).slice(-SHOWN_ERRORS);
  const hiddenErrors = watch.errors.filter((e) => e.pid !== null).length - errors.length + watch.droppedErrors;
  return (
    <li className={`capture-watch watch-${status.word}`} aria-label={`${title}: ${status.word}`}>
      <div className="job-title">
        {title}
        {watch.elevated && <span className="capture-badge">as administrator</span>}
      </div>
      <p className={status.word === 'failed' ? 'job-error' : 'capture-status'}>{status.sentence}</p>
      <p className="capture-rule">{ruleSummary(watch.rule)}</p>
      <div className="job-facts">
        {watch.mechanism && <span>Mechanism: {watch.mechanism}</span>}
        <span>
          {watch.seenCount} seen, {watch.dumpCount} {watch.dumpCount === 1 ? 'dump' : 'dumps'}
        </span>
        <span>Folder: {watch.rule.outDir}</span>
      </div>
      {watch.limits.length > 0 && (
        <ul className="capture-limits-list" aria-label="What this watch cannot see">
          {watch.limits.map((limit) => (
            <li key={limit}>{limit}</li>
          ))}
        </ul>
      )}
      <div className="job-buttons">
        {watch.state !== 'done' && (
          <button type="button" disabled={busy} onClick={() => void run('Stop', () => api.request('procscope:stop-capture', { watchId: watch.id }))}>
            Stop
          </button>
        )}
        {watch.state === 'done' && watch.retryable && (
          <button type="button" disabled={busy} onClick={() => void run('Retry', () => api.request('procscope:retry-capture-elevated', { watchId: watch.id }))}>
            Retry as administrator
          </button>
        )}
        {watch.state === 'done' && (
          <button type="button" disabled={busy} onClick={() => void run('Dismiss', () => api.request('procscope:dismiss-capture', { watchId: watch.id }))}>
            Dismiss
          </button>
        )}
      </div>
      <CaptureProcessTable watch={watch} title={title} />
      {errors.length > 0 && (
        <ul className="capture-errors" aria-label="Capture errors">
          {errors.map((e, i) => (
            <li key={`${e.atMs}-${i}`} className="job-error">
              PID {e.pid}
              {e.trigger ? ` ${triggerLabel(e.trigger)}` : ''}: {e.error.message}
            </li>
          ))}
          {hiddenErrors > 0 && <li>{hiddenErrors} earlier errors are not shown.</li>}
        </ul>
      )}
    </li>
  );
});

export function CapturePanel() {
  const watches = useAppStore((s) => s.captureWatches);
  const order = useAppStore((s) => s.captureOrder);
  if (!order.length) return null;
  return (
    <section className="capture-panel" aria-label="Capture watches">
      <div className="jobs-header">
        <h2 className="jobs-heading">Capture</h2>
      </div>
      <ul className="job-list">
        {order.map((id) => {
          const watch = watches[id];
          return watch ? <CaptureWatchItem key={id} watch={watch} /> : null;
        })}
      </ul>
    </section>
  );
}
