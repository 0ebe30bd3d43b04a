import { describe, expect, it } from 'vitest';
import type { DumpGroupView, DumpJobView } from '../../src-shared/ipc/dump-contract';
import type { DumpResult } from '../../src-shared/model/dump';
import { createAppStore } from './app-store';
import { dumpPanelEntries } from './dump-jobs-slice';

function job(id: string, extra: Partial<DumpJobView> = {}): DumpJobView {
  return {
    id,
    groupId: null,
    pid: 100,
    startTimeMs: 5,
    name: 'worker',
    kind: 'full',
    outDir: '/tmp/d',
    state: 'queued',
    elevated: false,
    progress: null,
    result: null,
    error: null,
    retryable: false,
    createdAtMs: 1000,
    capture: null,
    ...extra,
  };
}

const RESULT: DumpResult = {
  path: '/tmp/d/worker_100_20260101_120000_full.core',
  kind: 'full',
  pid: 100,
  bytesOnDisk: 4096,
  fileBytes: 8192,
  sha256: 'ab'.repeat(32),
  durationMs: 250,
  targetPauseMs: 90,
  unreadableBytes: 0,
  method: 'live',
  format: 'elf-core',
};

describe('dump jobs slice', () => {
  it('follows one job from queued through progress to done, replacing the job object each time', () => {
    const store = createAppStore();
    const s = () => store.getState();
    s().applyDumpEvent({ type: 'job-added', job: job('dump-1') });
    const queued = s().dumpJobs['dump-1'];
    s().applyDumpEvent({ type: 'job-started', job: job('dump-1', { state: 'running' }) });
    s().applyDumpEvent({ type: 'job-progress', jobId: 'dump-1', progress: { bytesWritten: 10, estimatedTotalBytes: 40, elapsedMs: 5, phase: 'writing' } });
    expect(s().dumpJobs['dump-1']).toMatchObject({ state: 'running', progress: { bytesWritten: 10 } });
    expect(s().dumpJobs['dump-1']).not.toBe(queued);
    s().applyDumpEvent({ type: 'job-done', jobId: 'dump-1', result: RESULT });
    expect(s().dumpJobs['dump-1']).toMatchObject({ state: 'done', result: RESULT });
    expect(s().dumpJobOrder).toEqual(['dump-1']);
    s().applyDumpEvent({ type: 'job-removed', jobId: 'dump-1' });
    expect(s().dumpJobs).toEqual({});
    expect(s().dumpJobOrder).toEqual([]);
  });

  it('tells a cancel from a failure and keeps the retry offer', () => {
    const store = createAppStore();
    const s = () => store.getState();
    s().applyDumpEvent({ type: 'job-added', job: job('a') });
    s().applyDumpEvent({ type: 'job-added', job: job('b') });
    s().applyDumpEvent({ type: 'job-failed', jobId: 'a', error: { code: 'cancelled', message: 'Cancelled.' }, retryable: false });
    s().applyDumpEvent({ type: 'job-failed', jobId: 'b', error: { code: 'needs-elevation', message: 'Needs rights.' }, retryable: true });
    expect(s().dumpJobs.a!.state).toBe('cancelled');
    expect(s().dumpJobs.b).toMatchObject({ state: 'failed', retryable: true, error: { code: 'needs-elevation' } });
    s().applyDumpEvent({ type: 'job-requeued', job: job('b', { elevated: true }) });
    expect(s().dumpJobs.b).toMatchObject({ state: 'queued', elevated: true, retryable: false, error: null });
    // Events for jobs it never heard of change nothing.
    s().applyDumpEvent({ type: 'job-progress', jobId: 'zzz', progress: { bytesWritten: 1, estimatedTotalBytes: null, elapsedMs: 1, phase: 'writing' } });
    expect(Object.keys(s().dumpJobs)).toEqual(['a', 'b']);
  });

  it('lists a tree dump once, where its first job stands, and drops the group with its last job', () => {
    const store = createAppStore();
    const s = () => store.getState();
    const group: DumpGroupView = { id: 'g1', rootPid: 10, rootStartTimeMs: 1, rootName: 'svc', kind: 'mini', outDir: '/d', jobIds: ['j2', 'j3'] };
    s().applyDumpEvent({ type: 'job-added', job: job('j1') });
    s().applyDumpEvent({ type: 'job-added', job: job('j2', { groupId: 'g1', pid: 10 }) });
    s().applyDumpEvent({ type: 'job-added', job: job('j3', { groupId: 'g1', pid: 11 }) });
    // Before group-added the group's jobs are held back rather than shown loose.
    expect(dumpPanelEntries(s()).map((e) => e.type)).toEqual(['job']);
    s().applyDumpEvent({ type: 'group-added', group });
    s().applyDumpEvent({ type: 'job-added', job: job('j4') });
    const entries = dumpPanelEntries(s());
    expect(entries.map((e) => (e.type === 'job' ? e.job.id : e.group.id))).toEqual(['j1', 'g1', 'j4']);
    expect(entries[1]!.type === 'group' && entries[1]!.jobs.map((j) => j.pid)).toEqual([10, 11]);
    s().applyDumpEvent({ type: 'job-removed', jobId: 'j2' });
    expect(s().dumpGroups.g1!.jobIds).toEqual(['j3']);
    s().applyDumpEvent({ type: 'job-removed', jobId: 'j3' });
    expect(s().dumpGroups).toEqual({});
  });

  it('merges the list main held at subscribe time without overwriting newer events', () => {
    const store = createAppStore();
    const s = () => store.getState();
    s().applyDumpEvent({ type: 'job-added', job: job('new', { createdAtMs: 3000 }) });
    s().applyDumpEvent({ type: 'job-done', jobId: 'new', result: RESULT });
    s().mergeDumpJobList({ jobs: [job('new', { state: 'running', createdAtMs: 3000 }), job('old2', { createdAtMs: 2000 }), job('old1', { createdAtMs: 1000 })], groups: [] });
    expect(s().dumpJobOrder).toEqual(['old1', 'old2', 'new']);
    expect(s().dumpJobs.new!.state).toBe('done');
  });

  it("replaces its list with main's after a lost connection: states it missed, jobs removed meanwhile, groups", () => {
    const store = createAppStore();
    const s = () => store.getState();
    s().mergeDumpJobList({ jobs: [job('a', { state: 'running' }), job('gone', { createdAtMs: 500 })], groups: [] });
    const group: DumpGroupView = { id: 'g', rootPid: 1, rootStartTimeMs: 1, rootName: 'init', kind: 'mini', outDir: '/tmp/d', jobIds: ['b'] };
    s().replaceDumpJobList({ jobs: [job('b', { groupId: 'g', createdAtMs: 3000 }), job('a', { state: 'done', result: RESULT, createdAtMs: 1000 })], groups: [group] });
    expect(s().dumpJobOrder).toEqual(['a', 'b']);
    expect(s().dumpJobs.a!.state).toBe('done');
    expect(s().dumpJobs.gone).toBeUndefined();
    expect(s().dumpGroups).toEqual({ g: group });
  });
});

describe('actions slice', () => {
  it('opens one dialog at a time with its own copy of the row, and keeps at most three notices', () => {
    const store = createAppStore();
    const s = () => store.getState();
    const row = { ...job('x'), key: '100:5' } as unknown as Parameters<ReturnType<typeof s>['openDialog']>[0]['row'];
    s().openDialog({ type: 'properties', row });
    const dialog = s().dialog!;
    expect(dialog.row).toEqual(row);
    expect(dialog.row).not.toBe(row);
    s().openDialog({ type: 'confirm-kill', row, tree: true });
    expect(s().dialog).toMatchObject({ type: 'confirm-kill', tree: true });
    s().closeDialog();
    expect(s().dialog).toBeNull();
    for (const text of ['a', 'b', 'c', 'd']) s().notify(text);
    expect(s().notices.map((n) => n.text)).toEqual(['b', 'c', 'd']);
    s().dismissNotice(s().notices[0]!.id);
    expect(s().notices.map((n) => n.text)).toEqual(['c', 'd']);
  });
});
