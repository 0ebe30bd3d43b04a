/*
 * One dump job in the jobs panel: a progress bar with bytes and elapsed time and Cancel while it runs; when done
 * the path, size, SHA-256, duration and target pause with Copy path, Show in folder (where the host can) and
 * Delete, and always the sentence that the file holds the process's secrets; a failure's sentence, with
 * "Retry as administrator" when main says a retry can help.
 */
import { memo, useState } from 'react';
import type { DumpJobView } from '../../src-shared/ipc/dump-contract';
import { DUMP_SECRETS_WARNING } from '../../src-shared/model/dump';
import { useApi } from '../api/api-context';
import type { ProcscopeApi } from '../api/procscope-api';
import { triggerLabel } from '../format/capture-format';
import { formatDurationMs, formatFileBytes, progressPercent } from '../format/dump-format';
import { appStore, useAppStore } from '../store/app-store';

/** A capture's dump also says which trigger fired ("…, PID 42, at exit"). */
export function jobTitle(job: DumpJobView): string {
  const trigger = job.capture ? `, ${triggerLabel(job.capture.trigger)}` : '';
  return `${job.kind === 'full' ? 'Full dump' : 'Minidump'} of ${job.name ?? 'process'}, PID ${job.pid}${trigger}`;
}

/** A button's request with a busy flag; a failure becomes a notice naming what failed. */
export function useJobAction() {
  const [busy, setBusy] = useState(false);
  return {
    busy,
    run: async (what: string, action: () => Promise<unknown>) => {
      setBusy(true);
      try {
        await action();
      } catch (err) {
        appStore.getState().notify(`${what} failed: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        setBusy(false);
      }
    },
  };
}

function RunningJob({ job, api }: { job: DumpJobView; api: ProcscopeApi }) {
  const { busy, run } = useJobAction();
  const p = job.progress;
  const percent = p ? progressPercent(p.bytesWritten, p.estimatedTotalBytes) : null;
  const phase = job.state === 'queued' ? 'Waiting' : p?.phase === 'attaching' ? 'Stopping the process' : p?.phase === 'finishing' ? 'Finishing' : 'Writing';
  return (
    <>
      <div
        role="progressbar"
        aria-label={`Progress of the ${jobTitle(job)}`}
        aria-valuemin={0}
        aria-valuemax={100}
        {...(percent !== null ? { 'aria-valuenow': percent } : { 'aria-valuetext': 'size not known yet' })}
        className={percent === null ? 'progress indeterminate' : 'progress'}
      >
        <div className="progress-fill" style={{ width: `${percent ?? 100}%` }} />
      </div>
      <div className="job-facts">
        <span>{phase}…</span>
        {p && (
          <span>
            {formatFileBytes(p.bytesWritten)}
            {p.estimatedTotalBytes !== null ? ` of about ${formatFileBytes(p.estimatedTotalBytes)}` : ''}
          </span>
        )}
        {p && <span>{formatDurationMs(p.elapsedMs)} elapsed</span>}
        <button type="button" disabled={busy} onClick={() => void run('Cancel', () => api.request('procscope:cancel-dump', { jobId: job.id }))}>
          Cancel
        </button>
      </div>
    </>
  );
}

function DoneJob({ job, api }: { job: DumpJobView; api: ProcscopeApi }) {
  const showInFolder = useAppStore((s) => s.capabilities?.showInFolder ?? false);
  const { busy, run } = useJobAction();
  const r = job.result!;
  return (
    <>
      <dl className="job-result">
        <dt>Saved to</dt>
        <dd className="job-path">{r.path}</dd>
        <dt>Size</dt>
        <dd>{formatFileBytes(r.fileBytes)}{r.bytesOnDisk < r.fileBytes ? ` (${formatFileBytes(r.bytesOnDisk)} on disk)` : ''}</dd>
        <dt>SHA-256</dt>
        <dd className="job-hash">{r.sha256}</dd>
        <dt>Took</dt>
        <dd>
          {formatDurationMs(r.durationMs)}, process paused {formatDurationMs(r.targetPauseMs)}
        </dd>
      </dl>
      <p className="secrets-warning">{DUMP_SECRETS_WARNING}</p>
      <div className="job-buttons">
        <button type="button" onClick={() => void navigator.clipboard?.writeText(r.path).catch(() => {})}>
          Copy path
        </button>
        {showInFolder && (
          <button type="button" onClick={() => void run('Show in folder', () => api.request('procscope:show-dump-in-folder', { jobId: job.id }))}>
            Show in folder
          </button>
        )}
        <button type="button" disabled={busy} onClick={() => void run('Delete', () => api.request('procscope:delete-dump', { jobId: job.id }))}>
          Delete
        </button>
        <button type="button" onClick={() => void run('Dismiss', () => api.request('procscope:dismiss-dump', { jobId: job.id }))}>
          Dismiss
        </button>
      </div>
    </>
  );
}

function FailedJob({ job, api }: { job: DumpJobView; api: ProcscopeApi }) {
  const { busy, run } = useJobAction();
  return (
    <>
      <p className={job.state === 'cancelled' ? 'job-cancelled' : 'job-error'}>{job.error?.message ?? 'The dump failed.'}</p>
      <div className="job-buttons">
        {job.retryable && (
          <button type="button" disabled={busy} onClick={() => void run('Retry', () => api.request('procscope:retry-dump-elevated', { jobId: job.id }))}>
            Retry as administrator
          </button>
        )}
        <button type="button" onClick={() => void run('Dismiss', () => api.request('procscope:dismiss-dump', { jobId: job.id }))}>
          Dismiss
        </button>
      </div>
    </>
  );
}

export const DumpJobItem = memo(function DumpJobItem({ job }: { job: DumpJobView }) {
  const api = useApi();
  const status = { queued: 'waiting', running: 'writing', done: 'saved', failed: 'failed', cancelled: 'cancelled' }[job.state];
  return (
    <li className={`dump-job job-${job.state}`} aria-label={`${jobTitle(job)}: ${status}`}>
      <div className="job-title">
        {jobTitle(job)}
        {job.elevated ? ' (as administrator)' : ''}
      </div>
      {(job.state === 'queued' || job.state === 'running') && <RunningJob job={job} api={api} />}
      {job.state === 'done' && job.result && <DoneJob job={job} api={api} />}
      {(job.state === 'failed' || job.state === 'cancelled') && <FailedJob job={job} api={api} />}
    </li>
  );
});
