import { describe, expect, it } from 'vitest';
import type { CaptureWatchView } from '../../src-shared/ipc/capture-contract';
import type { CaptureEvent, CaptureRule } from '../../src-shared/model/capture';
import { newCaptureWatchView } from '../../src-shared/model/capture-watch';
import { createAppStore } from './app-store';

const rule: CaptureRule = {
  target: { pid: 10, startTimeMs: 1 }, scope: 'descendants', nameGlob: null, cmdlineRegex: null, triggers: ['exit'],
  exitNonZeroOnly: false, kind: 'mini', outDir: '/d', holdTimeoutMs: 60_000, maxDumps: null, timeoutMs: null,
};

function watch(id: string, createdAtMs = 5): CaptureWatchView {
  return newCaptureWatchView({ id, target: { pid: 10, startTimeMs: 1, name: 'Tentacle' }, rule, elevated: false, createdAtMs });
}

const ev = (watchId: string, event: CaptureEvent) => ({ type: 'watch-event' as const, watchId, event });

describe('capture slice', () => {
  it('folds one watch from added through armed, a child seen, dumped and exited, to done, replacing only that watch', () => {
    const store = createAppStore();
    const s = () => store.getState();
    s().applyCaptureServiceEvent({ type: 'watch-added', watch: watch('w1') });
    s().applyCaptureServiceEvent({ type: 'watch-added', watch: watch('w2') });
    const other = s().captureWatches.w2;
    const before = s().captureWatches.w1;
    s().applyCaptureServiceEvent(ev('w1', { event: 'armed', atMs: 10, pid: 10, mechanism: 'ptrace-follow-fork', limits: ['no setuid children'] }));
    s().applyCaptureServiceEvent(ev('w1', { event: 'seen', atMs: 20, pid: 11, ppid: 10, name: 'Calamari', cmdline: 'Calamari run', startTimeMs: 19 }));
    s().applyCaptureServiceEvent(ev('w1', { event: 'dump', atMs: 30, pid: 11, name: 'Calamari', trigger: 'exit', path: '/d/a.core', fileBytes: 9, sha256: 'ab', targetPauseMs: 3 , unreadableBytes: 0}));
    s().applyCaptureServiceEvent({ type: 'watch-dump-recorded', watchId: 'w1', path: '/d/a.core', jobId: 'dump-7' });
    s().applyCaptureServiceEvent(ev('w1', { event: 'exited', atMs: 31, pid: 11, name: 'Calamari', exitCode: 3, signal: null, lifetimeMs: 12 }));
    s().applyCaptureServiceEvent(ev('w1', { event: 'done', atMs: 40, reason: 'stopped', seenCount: 1, dumpCount: 1 }));
    const w1 = s().captureWatches.w1!;
    expect(w1).not.toBe(before);
    expect(w1).toMatchObject({ state: 'done', doneReason: 'stopped', mechanism: 'ptrace-follow-fork', limits: ['no setuid children'], seenCount: 1, dumpCount: 1 });
    // The exited child stays listed, with its code and lifetime: the row a user looks for after the fact.
    expect(w1.processes).toEqual([expect.objectContaining({ pid: 11, exitCode: 3, lifetimeMs: 12, dumpTriggers: ['exit'] })]);
    expect(w1.dumps).toEqual([expect.objectContaining({ path: '/d/a.core', jobId: 'dump-7' })]);
    expect(s().captureWatches.w2).toBe(other);
    expect(s().captureOrder).toEqual(['w1', 'w2']);
  });

  it('ignores events of a watch it does not know, without a new state object', () => {
    const store = createAppStore();
    const before = store.getState().captureWatches;
    store.getState().applyCaptureServiceEvent(ev('nope', { event: 'armed', atMs: 1, pid: 1, mechanism: 'm', limits: [] }));
    store.getState().applyCaptureServiceEvent({ type: 'watch-removed', watchId: 'nope' });
    expect(store.getState().captureWatches).toBe(before);
    expect(store.getState().captureOrder).toEqual([]);
  });

  it('marks a watch that needs elevation as retryable, replaces it when restarted elevated, and drops it when removed', () => {
    const store = createAppStore();
    const s = () => store.getState();
    s().applyCaptureServiceEvent({ type: 'watch-added', watch: watch('w1') });
    s().applyCaptureServiceEvent({ type: 'watch-failed', watchId: 'w1', atMs: 9, error: { code: 'needs-elevation', message: 'Needs rights.' }, retryable: true });
    expect(s().captureWatches.w1).toMatchObject({ state: 'done', doneReason: 'error', retryable: true, failure: { code: 'needs-elevation' } });
    s().applyCaptureServiceEvent({ type: 'watch-restarted', watch: { ...watch('w1'), elevated: true } });
    expect(s().captureWatches.w1).toMatchObject({ state: 'arming', elevated: true, retryable: false, failure: null });
    expect(s().captureOrder).toEqual(['w1']);
    s().applyCaptureServiceEvent({ type: 'watch-removed', watchId: 'w1' });
    expect([s().captureWatches, s().captureOrder]).toEqual([{}, []]);
  });

  it('merges the listed watches oldest first, keeping the ones events already brought as they are', () => {
    const store = createAppStore();
    const s = () => store.getState();
    s().applyCaptureServiceEvent({ type: 'watch-added', watch: watch('new', 30) });
    s().applyCaptureServiceEvent(ev('new', { event: 'armed', atMs: 31, pid: 10, mechanism: 'm', limits: [] }));
    s().mergeCaptureList([watch('new', 30), watch('old2', 20), watch('old1', 10)]);
    expect(s().captureOrder).toEqual(['old1', 'old2', 'new']);
    expect(s().captureWatches.new!.state).toBe('armed');
  });
});
