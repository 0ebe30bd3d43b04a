import { describe, expect, it } from 'vitest';
import type { CaptureEvent, CaptureRule } from './capture';
import {
  applyCaptureEvent, applyCaptureServiceEvent, MAX_CAPTURE_ERRORS, MAX_CAPTURE_PROCESSES, newCaptureWatchView, type CaptureWatchView,
} from './capture-watch';

const rule: CaptureRule = {
  target: { pid: 10, startTimeMs: 1 }, scope: 'descendants', nameGlob: null, cmdlineRegex: null, triggers: ['exit'],
  exitNonZeroOnly: false, kind: 'mini', outDir: '/d', holdTimeoutMs: 60_000, maxDumps: null, timeoutMs: null,
};

function view(): CaptureWatchView {
  return newCaptureWatchView({ id: 'w1', target: { pid: 10, startTimeMs: 1, name: 'Tentacle' }, rule, elevated: false, createdAtMs: 5 });
}

const fold = (v: CaptureWatchView, events: CaptureEvent[]): CaptureWatchView => events.reduce(applyCaptureEvent, v);
const seen = (pid: number, atMs = 20): CaptureEvent => ({ event: 'seen', atMs, pid, ppid: 10, name: `c${pid}`, cmdline: `c${pid} -x`, startTimeMs: atMs - 1 });

describe('applyCaptureEvent', () => {
  it('arms, lists each seen process, keeps it after it exited with its code and lifetime, and counts its dumps', () => {
    const v = fold(view(), [
      { event: 'armed', atMs: 10, pid: 10, mechanism: 'ptrace-follow-fork', limits: ['a limit'] },
      seen(11),
      { event: 'dump', atMs: 30, pid: 11, name: 'c11', trigger: 'exit', path: '/d/c11.core', fileBytes: 9, sha256: 'ab', targetPauseMs: 4 , unreadableBytes: 0},
      { event: 'exited', atMs: 31, pid: 11, name: 'c11', exitCode: 3, signal: null, lifetimeMs: 12 },
    ]);
    expect(v).toMatchObject({ state: 'armed', armedAtMs: 10, mechanism: 'ptrace-follow-fork', limits: ['a limit'], seenCount: 1, dumpCount: 1 });
    expect(v.processes).toEqual([expect.objectContaining({ pid: 11, exitedAtMs: 31, exitCode: 3, lifetimeMs: 12, dumpTriggers: ['exit'] })]);
    expect(v.dumps[0]).toMatchObject({ path: '/d/c11.core', trigger: 'exit', jobId: null });
  });

  it('shows a process held for its dump with the deadline, until its dump, an error for it, its exit or the end of the watch', () => {
    const held = (pid: number, trigger: 'start' | 'exit' = 'exit'): CaptureEvent => ({ event: 'held', atMs: 25, pid, name: `c${pid}`, trigger, deadlineMs: 60_025 });
    const heldOf = (v: CaptureWatchView): [number, number | null, string | null][] => v.processes.map((p) => [p.pid, p.heldUntilMs, p.heldFor]);
    const armed = fold(view(), [seen(11), seen(12), seen(13), seen(14), seen(15)]);
    expect(heldOf(armed).every(([, until, why]) => until === null && why === null)).toBe(true);
    const v = fold(armed, [held(11), held(12, 'start'), held(13), held(14), held(15)]);
    expect(heldOf(v)).toEqual([[11, 60_025, 'exit'], [12, 60_025, 'start'], [13, 60_025, 'exit'], [14, 60_025, 'exit'], [15, 60_025, 'exit']]);
    const after = fold(v, [
      { event: 'dump', atMs: 30, pid: 11, name: 'c11', trigger: 'exit', path: '/d/c11.core', fileBytes: 9, sha256: 'ab', targetPauseMs: 4 , unreadableBytes: 0},
      { event: 'error', atMs: 31, pid: 12, trigger: 'start', error: { code: 'cancelled', message: 'released undumped' } },
      { event: 'exited', atMs: 32, pid: 13, name: 'c13', exitCode: 0, signal: null, lifetimeMs: 12 },
      // An error for another pid, or for the whole watch, leaves 14 and 15 held.
      { event: 'error', atMs: 33, pid: 99, trigger: null, error: { code: 'io-error', message: 'other' } },
      { event: 'error', atMs: 34, pid: null, trigger: null, error: { code: 'io-error', message: 'whole' } },
    ]);
    expect(heldOf(after)).toEqual([[11, null, null], [12, null, null], [13, null, null], [14, 60_025, 'exit'], [15, 60_025, 'exit']]);
    const done = applyCaptureEvent(after, { event: 'done', atMs: 40, reason: 'stopped', seenCount: 5, dumpCount: 1 });
    expect(heldOf(done).every(([, until, why]) => until === null && why === null)).toBe(true);
    // A held event for a pid it never saw changes nothing.
    expect(applyCaptureEvent(armed, held(77)).processes).toEqual(armed.processes);
  });

  it('never changes the view it was given', () => {
    const before = fold(view(), [seen(11)]);
    const copy = structuredClone(before);
    applyCaptureEvent(before, { event: 'exited', atMs: 40, pid: 11, name: 'c11', exitCode: 0, signal: null, lifetimeMs: 20 });
    expect(before).toEqual(copy);
  });

  it('updates the newest row of a pid the OS reused within one watch', () => {
    const v = fold(view(), [
      seen(11, 20),
      { event: 'exited', atMs: 21, pid: 11, name: 'c11', exitCode: 0, signal: null, lifetimeMs: 1 },
      seen(11, 50),
      { event: 'exited', atMs: 52, pid: 11, name: 'c11', exitCode: null, signal: 'SIGSEGV', lifetimeMs: 2 },
    ]);
    expect(v.processes.map((p) => [p.seenAtMs, p.exitCode, p.signal])).toEqual([[20, 0, null], [50, null, 'SIGSEGV']]);
  });

  it('caps processes and errors, dropping the oldest and counting what it dropped', () => {
    let v = view();
    for (let i = 0; i < MAX_CAPTURE_PROCESSES + 3; i++) v = applyCaptureEvent(v, seen(100 + i));
    for (let i = 0; i < MAX_CAPTURE_ERRORS + 2; i++) v = applyCaptureEvent(v, { event: 'error', atMs: i, pid: 1, trigger: 'exit', error: { code: 'io-error', message: `e${i}` } });
    expect(v.processes).toHaveLength(MAX_CAPTURE_PROCESSES);
    expect(v.processes[0]!.pid).toBe(103);
    expect([v.droppedProcesses, v.seenCount]).toEqual([3, MAX_CAPTURE_PROCESSES + 3]);
    expect([v.errors.length, v.droppedErrors, v.errors[0]!.error.message]).toEqual([MAX_CAPTURE_ERRORS, 2, 'e2']);
  });

  it('renames a row to the name its dump and exit report: a child seen at fork still has its parent\'s name', () => {
    const forked: CaptureEvent = { event: 'seen', atMs: 20, pid: 11, ppid: 10, name: 'Tentacle', cmdline: 'Tentacle', startTimeMs: 19 };
    const dumped = fold(view(), [
      forked,
      { event: 'dump', atMs: 30, pid: 11, name: 'Calamari', trigger: 'start', path: '/d/a.core', fileBytes: 9, sha256: 'ab', targetPauseMs: 4 , unreadableBytes: 0},
    ]);
    expect(dumped.processes[0]!.name).toBe('Calamari');
    const exited = fold(view(), [forked, { event: 'exited', atMs: 31, pid: 11, name: 'Calamari', exitCode: 1, signal: null, lifetimeMs: 12 }]);
    expect(exited.processes[0]!.name).toBe('Calamari');
    const unnamed = fold(view(), [forked, { event: 'exited', atMs: 31, pid: 11, name: '', exitCode: 1, signal: null, lifetimeMs: 12 }]);
    expect(unnamed.processes[0]!.name).toBe('Tentacle');
  });

  it("ends at done, names a whole-watch error as the failure, and ignores anything after done", () => {
    const v = fold(view(), [
      { event: 'error', atMs: 8, pid: 12, trigger: 'exit', error: { code: 'process-gone', message: 'one child' } },
      { event: 'error', atMs: 9, pid: null, trigger: null, error: { code: 'io-error', message: 'the whole watch' } },
      { event: 'done', atMs: 10, reason: 'error', seenCount: 0, dumpCount: 0 },
      seen(13),
    ]);
    expect(v).toMatchObject({ state: 'done', doneAtMs: 10, doneReason: 'error', failure: { message: 'the whole watch' }, seenCount: 0 });
    const stopped = fold(view(), [{ event: 'done', atMs: 10, reason: 'stopped', seenCount: 0, dumpCount: 0 }]);
    expect(stopped.failure).toBeNull();
  });
});

describe('applyCaptureServiceEvent', () => {
  it('applies only its own watch’s events, and fills in the job id of the dump recorded at that path', () => {
    let v = fold(view(), [{ event: 'dump', atMs: 30, pid: 11, name: 'c11', trigger: 'exit', path: '/d/a.core', fileBytes: 9, sha256: 'ab', targetPauseMs: 4 , unreadableBytes: 0}]);
    v = applyCaptureServiceEvent(v, { type: 'watch-event', watchId: 'other', event: seen(99) });
    v = applyCaptureServiceEvent(v, { type: 'watch-dump-recorded', watchId: 'w1', path: '/d/a.core', jobId: 'job-7' });
    v = applyCaptureServiceEvent(v, { type: 'watch-dump-recorded', watchId: 'w1', path: '/d/none.core', jobId: 'job-8' });
    expect(v.seenCount).toBe(0);
    expect(v.dumps.map((d) => d.jobId)).toEqual(['job-7']);
  });

  it('marks a watch that could not arm as done with the failure and whether it can be retried elevated', () => {
    const v = applyCaptureServiceEvent(view(), { type: 'watch-failed', watchId: 'w1', atMs: 44, error: { code: 'needs-elevation', message: 'Needs rights.' }, retryable: true });
    expect(v).toMatchObject({ state: 'done', doneAtMs: 44, doneReason: 'error', failure: { code: 'needs-elevation' }, retryable: true });
  });
});
