/*
 * The jobs panel's state: every dump job and Dump Process Tree group main has told us about, kept up to date
 * from procscope:dump-event. Jobs are replaced (never mutated) on each event, so a job view re-renders only when
 * its own job changed. Main owns the truth; this slice only mirrors its events and never invents a state.
 */
import type { StateCreator } from 'zustand';
import type { DumpEventPayload, DumpGroupView, DumpJobList, DumpJobView } from '../../src-shared/ipc/dump-contract';

export interface DumpJobsSlice {
  dumpJobs: Record<string, DumpJobView>;
  /** Oldest first, as main created them. */
  dumpJobOrder: string[];
  dumpGroups: Record<string, DumpGroupView>;
  applyDumpEvent(event: DumpEventPayload): void;
  /** The list main held when the window subscribed; jobs that events already brought are kept as they are. */
  mergeDumpJobList(list: DumpJobList): void;
  /** Main's list as it is now, replacing ours: after a lost connection, whose events never arrived. */
  replaceDumpJobList(list: DumpJobList): void;
}

type JobsState = Pick<DumpJobsSlice, 'dumpJobs' | 'dumpJobOrder' | 'dumpGroups'>;

function putJob(state: JobsState, job: DumpJobView): Partial<JobsState> {
  const known = job.id in state.dumpJobs;
  return { dumpJobs: { ...state.dumpJobs, [job.id]: job }, ...(known ? {} : { dumpJobOrder: [...state.dumpJobOrder, job.id] }) };
}

function patchJob(state: JobsState, jobId: string, patch: Partial<DumpJobView>): Partial<JobsState> {
  const job = state.dumpJobs[jobId];
  return job ? { dumpJobs: { ...state.dumpJobs, [jobId]: { ...job, ...patch } } } : {};
}

function removeJob(state: JobsState, jobId: string): Partial<JobsState> {
  if (!(jobId in state.dumpJobs)) return {};
  const dumpJobs = { ...state.dumpJobs };
  delete dumpJobs[jobId];
  const dumpGroups: Record<string, DumpGroupView> = {};
  for (const group of Object.values(state.dumpGroups)) {
    const jobIds = group.jobIds.filter((id) => id !== jobId);
    if (jobIds.length) dumpGroups[group.id] = jobIds.length === group.jobIds.length ? group : { ...group, jobIds };
  }
  return { dumpJobs, dumpGroups, dumpJobOrder: state.dumpJobOrder.filter((id) => id !== jobId) };
}

export function reduceDumpEvent(state: JobsState, event: DumpEventPayload): Partial<JobsState> {
  switch (event.type) {
    case 'job-added':
    case 'job-requeued':
    case 'job-started':
      return putJob(state, event.job);
    case 'job-progress':
      return patchJob(state, event.jobId, { state: 'running', progress: event.progress });
    case 'job-done':
      return patchJob(state, event.jobId, { state: 'done', result: event.result, error: null, retryable: false });
    case 'job-hashed':
      return patchJob(state, event.jobId, { result: event.result });
    case 'job-failed':
      return patchJob(state, event.jobId, {
        state: event.error.code === 'cancelled' ? 'cancelled' : 'failed',
        error: event.error,
        retryable: event.retryable,
      });
    case 'job-removed':
      return removeJob(state, event.jobId);
    case 'group-added':
      return { dumpGroups: { ...state.dumpGroups, [event.group.id]: event.group } };
  }
}

export const createDumpJobsSlice: StateCreator<DumpJobsSlice, [], [], DumpJobsSlice> = (set, get) => ({
  dumpJobs: {},
  dumpJobOrder: [],
  dumpGroups: {},
  replaceDumpJobList(list) {
    const jobs = [...list.jobs].sort((a, b) => a.createdAtMs - b.createdAtMs);
    set({
      dumpJobs: Object.fromEntries(jobs.map((j) => [j.id, j])),
      dumpJobOrder: jobs.map((j) => j.id),
      dumpGroups: Object.fromEntries(list.groups.map((g) => [g.id, g])),
    });
  },
  applyDumpEvent: (event) => set(reduceDumpEvent(get(), event)),
  mergeDumpJobList(list) {
    const { dumpJobs, dumpJobOrder, dumpGroups } = get();
    const fresh = list.jobs.filter((j) => !(j.id in dumpJobs)).sort((a, b) => a.createdAtMs - b.createdAtMs);
    const groups = { ...dumpGroups };
    for (const g of list.groups) groups[g.id] ??= g;
    set({
      dumpJobs: { ...dumpJobs, ...Object.fromEntries(fresh.map((j) => [j.id, j])) },
      dumpJobOrder: [...fresh.map((j) => j.id), ...dumpJobOrder],
      dumpGroups: groups,
    });
  },
});

/** What the panel lists, oldest first: a stand-alone job, or a group (once, where its first job stands). */
export type DumpPanelEntry = { type: 'job'; job: DumpJobView } | { type: 'group'; group: DumpGroupView; jobs: DumpJobView[] };

export function dumpPanelEntries(state: JobsState): DumpPanelEntry[] {
  const entries: DumpPanelEntry[] = [];
  const shown = new Set<string>();
  for (const id of state.dumpJobOrder) {
    const job = state.dumpJobs[id];
    if (!job) continue;
    if (job.groupId === null) {
      entries.push({ type: 'job', job });
      continue;
    }
    const group = state.dumpGroups[job.groupId];
    // A group's jobs arrive just before the group itself; they show once it does.
    if (!group || shown.has(group.id)) continue;
    shown.add(group.id);
    const jobs = group.jobIds.map((jid) => state.dumpJobs[jid]).filter((j): j is DumpJobView => j !== undefined);
    entries.push({ type: 'group', group, jobs });
  }
  return entries;
}
