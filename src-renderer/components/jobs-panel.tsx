/*
 * The jobs panel under the tree: every dump of this session, oldest first. A Dump Process Tree is one group
 * listing every file, with a summary line that names the processes that exited before they could be dumped. It
 * reads the dump-jobs slice only; the buttons' requests go to main, whose events update the slice. "Clear finished"
 * takes every finished job (saved, failed, cancelled) off the list; the files stay where they are.
 */
import { useMemo } from 'react';
import type { DumpGroupView, DumpJobView } from '../../src-shared/ipc/dump-contract';
import { dumpPanelEntries } from '../store/dump-jobs-slice';
import { useApi } from '../api/api-context';
import { appStore, useAppStore } from '../store/app-store';
import { DumpJobItem, useJobAction } from './dump-job-view';

export function groupSummary(group: DumpGroupView, jobs: readonly DumpJobView[]): string {
  const count = (state: DumpJobView['state']) => jobs.filter((j) => j.state === state).length;
  const exited = jobs.filter((j) => j.state === 'failed' && (j.error?.code === 'process-gone' || j.error?.code === 'pid-recycled'));
  const parts = [`${count('done')} of ${jobs.length} files written`];
  const pending = count('queued') + count('running');
  if (pending) parts.push(`${pending} to go`);
  if (exited.length) parts.push(`exited before they could be dumped: ${exited.map((j) => `${j.name ?? 'process'} (PID ${j.pid})`).join(', ')}`);
  const otherFailures = count('failed') - exited.length;
  if (otherFailures) parts.push(`${otherFailures} failed`);
  if (count('cancelled')) parts.push(`${count('cancelled')} cancelled`);
  return `${parts.join('; ')}.`;
}

export function JobsPanel() {
  const jobs = useAppStore((s) => s.dumpJobs);
  const order = useAppStore((s) => s.dumpJobOrder);
  const groups = useAppStore((s) => s.dumpGroups);
  const entries = useMemo(() => dumpPanelEntries({ dumpJobs: jobs, dumpJobOrder: order, dumpGroups: groups }), [jobs, order, groups]);
  if (!entries.length) return null;
  return (
    <section className="jobs-panel" aria-label="Dump jobs">
      <div className="jobs-header">
        <h2 className="jobs-heading">Dumps</h2>
        <ClearFinishedButton />
      </div>
      <ul className="job-list">
        {entries.map((entry) =>
          entry.type === 'job' ? (
            <DumpJobItem key={entry.job.id} job={entry.job} />
          ) : (
            <li key={entry.group.id} className="dump-group">
              <section aria-label={`Process tree of ${entry.group.rootName}, PID ${entry.group.rootPid}`}>
                <div className="job-title">
                  Process tree of {entry.group.rootName} (PID {entry.group.rootPid}), {entry.group.kind === 'full' ? 'full dumps' : 'minidumps'}
                </div>
                <p className="group-summary">{groupSummary(entry.group, entry.jobs)}</p>
                <ul className="job-list">
                  {entry.jobs.map((job) => (
                    <DumpJobItem key={job.id} job={job} />
                  ))}
                </ul>
              </section>
            </li>
          ),
        )}
      </ul>
    </section>
  );
}

const FINISHED: ReadonlySet<DumpJobView['state']> = new Set(['done', 'failed', 'cancelled']);

function ClearFinishedButton() {
  const api = useApi();
  const { busy, run } = useJobAction();
  const finished = useAppStore((s) => s.dumpJobOrder.filter((id) => FINISHED.has(s.dumpJobs[id]?.state ?? 'queued')).length);
  if (!finished) return null;
  const clear = async () => {
    const { dumpJobOrder, dumpJobs } = appStore.getState();
    const ids = dumpJobOrder.filter((id) => FINISHED.has(dumpJobs[id]?.state ?? 'queued'));
    const failed = (await Promise.allSettled(ids.map((jobId) => api.request('procscope:dismiss-dump', { jobId })))).filter((r) => r.status === 'rejected');
    if (failed.length) throw new Error(`${failed.length} of ${ids.length} finished dumps could not be cleared from the list.`);
  };
  return (
    <button type="button" disabled={busy} onClick={() => void run('Clear finished', clear)} title="Remove saved, failed and cancelled dumps from this list; the files stay on disk">
      Clear finished ({finished})
    </button>
  );
}
