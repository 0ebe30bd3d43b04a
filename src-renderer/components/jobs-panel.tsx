/*
 * The jobs panel under the tree: every dump of this session, oldest first. A Dump Process Tree is one group
 * listing every file, with a summary line that names the processes that exited before they could be dumped. It
 * reads the dump-jobs slice only; the buttons' requests go to main, whose events update the slice. "Clear finished"
 * takes every finished job (saved, failed, cancelled) off the list; the files stay where they are. Compact: a fifth of
 * the window unless its top edge is dragged (or moved with the keys), and the secrets warning is said once.
 */
import { useMemo, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import type { DumpGroupView, DumpJobView } from '../../src-shared/ipc/dump-contract';
import { DUMP_SECRETS_WARNING } from '../../src-shared/model/dump';
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
  const anySaved = useAppStore((s) => s.dumpJobOrder.some((id) => s.dumpJobs[id]?.state === 'done'));
  const [heightPx, setHeightPx] = useState(defaultPanelHeightPx);
  if (!entries.length) return null;
  return (
    <section className="jobs-panel" aria-label="Dump jobs" style={{ maxHeight: heightPx }}>
      <ResizeHandle heightPx={heightPx} onResize={setHeightPx} />
      <div className="jobs-header">
        <h2 className="jobs-heading">Dumps</h2>
        {anySaved && <p className="secrets-warning jobs-warning">{DUMP_SECRETS_WARNING}</p>}
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

/** A fifth of the window: the tree stays the main thing, as in Process Explorer's lower pane. */
const defaultPanelHeightPx = () => Math.round(Math.max(90, window.innerHeight * 0.2));
const MIN_PANEL_PX = 60;
const maxPanelPx = () => Math.round(window.innerHeight * 0.8);
const clampPanel = (px: number) => Math.round(Math.min(maxPanelPx(), Math.max(MIN_PANEL_PX, px)));
const KEY_STEP_PX = 16;

/** The panel's top edge: drag it, or focus it and use ↑/↓ (PgUp/PgDn for bigger steps, Home/End for the limits). */
function ResizeHandle({ heightPx, onResize }: { heightPx: number; onResize(px: number): void }) {
  const drag = useRef<{ y: number; px: number } | null>(null);
  const onKeyDown = (e: KeyboardEvent) => {
    const step = { ArrowUp: KEY_STEP_PX, ArrowDown: -KEY_STEP_PX, PageUp: 4 * KEY_STEP_PX, PageDown: -4 * KEY_STEP_PX }[e.key];
    if (step !== undefined) onResize(clampPanel(heightPx + step));
    else if (e.key === 'Home') onResize(maxPanelPx());
    else if (e.key === 'End') onResize(MIN_PANEL_PX);
    else return;
    e.preventDefault();
  };
  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    e.currentTarget.setPointerCapture(e.pointerId);
    drag.current = { y: e.clientY, px: heightPx };
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    if (drag.current) onResize(clampPanel(drag.current.px - (e.clientY - drag.current.y)));
  };
  return (
    <div
      role="separator"
      aria-orientation="horizontal"
      aria-label="Resize the dump jobs panel"
      aria-valuenow={heightPx}
      aria-valuemin={MIN_PANEL_PX}
      aria-valuemax={maxPanelPx()}
      tabIndex={0}
      className="panel-resizer"
      onKeyDown={onKeyDown}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={() => (drag.current = null)}
      onPointerCancel={() => (drag.current = null)}
    />
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
