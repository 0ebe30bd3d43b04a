/*
 * One dump job in the jobs panel: a progress bar with bytes and elapsed time and Cancel while it runs; when saved
 * the path, size, SHA-256 (computing… until it follows the file), duration and target pause with Analyze, Copy path, Show in folder (where the host
 * can) and Delete (which asks first, naming the file and its size); a failure's sentence, with
 * "Retry as administrator" when main says a retry can help.
 */
import { memo, useId, useState } from 'react';
import type { DumpJobView } from '../../src-shared/ipc/dump-contract';
import { useApi } from '../api/api-context';
import type { ProcscopeApi } from '../api/procscope-api';
import { triggerLabel } from '../format/capture-format';
import { formatDurationMs, formatFileBytes, progressPercent } from '../format/dump-format';
import { appStore, useAppStore } from '../store/app-store';
import { analyzeJob } from './analysis-actions';
import { DialogFooter } from './dialog-footer';
import { ModalDialog } from './modal-dialog';
import { UploadPackageAction } from './upload-package-action';

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

/** The pause, and which mode ran: a snapshot (Linux: a copy-on-write clone was dumped) or why it could not be. */
function pauseTitle(r: NonNullable<DumpJobView['result']>): string {
  const paused = `process paused ${formatDurationMs(r.targetPauseMs)}`;
  if (r.method === 'snapshot') return `${paused} (snapshot: a copy-on-write clone was dumped while the process ran)`;
  return r.snapshotFallback ? `${paused} (live dump: a snapshot was not possible, ${r.snapshotFallback})` : paused;
}

function DoneJob({ job, api }: { job: DumpJobView; api: ProcscopeApi }) {
  const showInFolder = useAppStore((s) => s.capabilities?.showInFolder ?? false);
  const { busy, run } = useJobAction();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const r = job.result!;
  const size = `${formatFileBytes(r.fileBytes)}${r.bytesOnDisk < r.fileBytes ? ` (${formatFileBytes(r.bytesOnDisk)} on disk)` : ''}`;
  // Compact: the path, its size and time on one line with the buttons, the hash under it (the secrets warning is
  // the panel's, said once).
  return (
    <>
      <div className="job-line">
        <span className="job-path" title={`Saved to ${r.path}`}>
          {r.path}
        </span>
        <span>{size}</span>
        <span title={pauseTitle(r)}>
          {formatDurationMs(r.durationMs)}, {r.method === 'snapshot' ? 'snapshot, ' : ''}paused {formatDurationMs(r.targetPauseMs)}
        </span>
        <span className="job-buttons">
          <button type="button" aria-label={`Analyze the ${jobTitle(job)}`} onClick={() => void analyzeJob(api, job.id, jobTitle(job))}>
            Analyze
          </button>
          <button type="button" onClick={() => void navigator.clipboard?.writeText(r.path).catch(() => {})}>
            Copy path
          </button>
          {showInFolder && (
            <button type="button" onClick={() => void run('Show in folder', () => api.request('procscope:show-dump-in-folder', { jobId: job.id }))}>
              Show in folder
            </button>
          )}
          <button type="button" disabled={busy} onClick={() => setConfirmDelete(true)}>
            Delete
          </button>
          <button type="button" onClick={() => void run('Dismiss', () => api.request('procscope:dismiss-dump', { jobId: job.id }))}>
            Dismiss
          </button>
        </span>
      </div>
      <HashLine job={job} api={api} />
      <UploadPackageAction jobId={job.id} />
      {confirmDelete && (
        <DeleteDumpDialog
          path={r.path}
          size={size}
          onCancel={() => setConfirmDelete(false)}
          onDelete={() => {
            setConfirmDelete(false);
            void run('Delete', () => api.request('procscope:delete-dump', { jobId: job.id }));
          }}
        />
      )}
    </>
  );
}

/**
 * The hash follows the saved file (issue 15): "SHA-256: computing…" with a Stop that ends the hash only (the file
 * stays), then the hash; a failed or stopped hash says why, and the dump stays saved.
 */
function HashLine({ job, api }: { job: DumpJobView; api: ProcscopeApi }) {
  const { busy, run } = useJobAction();
  const r = job.result!;
  if (r.sha256 !== null) {
    return (
      <div className="job-hash-line">
        SHA-256 <span className="job-hash">{r.sha256}</span>
      </div>
    );
  }
  if (r.hash === 'computing') {
    return (
      <div className="job-hash-line" role="status">
        SHA-256: computing…{' '}
        <button
          type="button"
          disabled={busy}
          aria-label={`Stop the hash of the ${jobTitle(job)} (the dump file stays)`}
          title="Stops computing the SHA-256 only; the dump file is saved and stays"
          onClick={() => void run('Stop hash', () => api.request('procscope:cancel-dump', { jobId: job.id }))}
        >
          Stop hash
        </button>{' '}
        <span>(the dump file stays)</span>
      </div>
    );
  }
  if (r.hash === 'skipped') return <div className="job-hash-line">SHA-256: not computed</div>;
  return <div className="job-hash-line job-hash-failed">SHA-256: {r.hashError?.message ?? 'could not be computed; the dump file is saved.'}</div>;
}

/** Delete removes a file that may be gigabytes and took a hung process's only state: it asks, naming both. */
function DeleteDumpDialog({ path, size, onCancel, onDelete }: { path: string; size: string; onCancel(): void; onDelete(): void }) {
  const messageId = useId();
  return (
    <ModalDialog title="Delete Dump" onClose={onCancel} describedBy={messageId} initialFocus=".dialog-cancel">
      <p id={messageId}>
        Delete {path} ({size}) from the disk? Its analysis pack beside it goes too. This cannot be undone.
      </p>
      <DialogFooter error={null} onCancel={onCancel}>
        <button type="button" className="danger" onClick={onDelete}>
          Delete
        </button>
      </DialogFooter>
    </ModalDialog>
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
  // Saved as soon as the file is complete; its hash may still be on the way (issue 15).
  const hashing = job.state === 'done' && job.result?.hash === 'computing';
  const status = hashing ? 'saved, SHA-256 computing' : { queued: 'waiting', running: 'writing', done: 'saved', failed: 'failed', cancelled: 'cancelled' }[job.state];
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
