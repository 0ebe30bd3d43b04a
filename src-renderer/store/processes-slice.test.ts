import { describe, expect, it } from 'vitest';
import type { ProcessDelta } from '../../src-shared/model/process';
import { createAppStore } from './app-store';
import { TEST_SYSTEM, testRow, testSnapshot } from './test-rows';

const delta = (seq: number, d: Partial<ProcessDelta>): ProcessDelta => ({
  seq,
  timestampMs: 6000,
  intervalMs: 1000,
  added: [],
  updated: [],
  removed: [],
  system: TEST_SYSTEM,
  ...d,
});

describe('processes slice', () => {
  it('replaces the table on a snapshot', () => {
    const store = createAppStore();
    store.getState().applySnapshot(testSnapshot(5, [testRow(1, 0, 'init'), testRow(2, 1, 'bash')]));
    expect(store.getState().seq).toBe(5);
    expect([...store.getState().rows.keys()]).toEqual(['1:1001', '2:1002']);
    store.getState().applySnapshot(testSnapshot(9, [testRow(1, 0, 'init')]));
    expect(store.getState().rows.size).toBe(1);
  });

  it('applies a delta in place: the same row object is updated, new rows and exits are marked one interval', () => {
    const store = createAppStore();
    store.getState().applySnapshot(testSnapshot(1, [testRow(1, 0, 'init'), testRow(2, 1, 'bash')]));
    const bash = store.getState().rows.get('2:1002')!;
    const v = store.getState().version;
    const outcome = store.getState().applyDelta(
      delta(2, { added: [testRow(3, 2, 'sleep')], updated: [{ key: '2:1002', changes: { cpuPercent: 3.5 } }], removed: ['1:1001'] }),
    );
    expect(outcome).toBe('applied');
    const s = store.getState();
    expect(s.rows.get('2:1002')).toBe(bash);
    expect(bash.cpuPercent).toBe(3.5);
    expect(s.rowStatus.get('3:1003')).toBe('new');
    expect(s.rowStatus.get('1:1001')).toBe('exiting');
    expect(s.rows.has('1:1001')).toBe(true);
    expect(s.version).toBe(v + 1);
    expect(s.rowRevision.get('2:1002')).toBe(1);
    expect(s.rowRevision.get('1:1001')).toBe(1);
    // One interval later the exit is gone and the arrival is ordinary.
    expect(store.getState().applyDelta(delta(3, {}))).toBe('applied');
    expect(store.getState().rows.has('1:1001')).toBe(false);
    expect(store.getState().rowStatus.size).toBe(0);
  });

  it('bumps structureVersion only when rows come, go or change a non-value field', () => {
    const store = createAppStore();
    store.getState().applySnapshot(testSnapshot(1, [testRow(1, 0, 'init'), testRow(2, 1, 'bash')]));
    const s0 = store.getState().structureVersion;
    store.getState().applyDelta(delta(2, { updated: [{ key: '2:1002', changes: { cpuPercent: 1, workingSetBytes: 5 } }] }));
    expect(store.getState().structureVersion).toBe(s0);
    store.getState().applyDelta(delta(3, { updated: [{ key: '2:1002', changes: { ppid: 0 } }] }));
    expect(store.getState().structureVersion).toBe(s0 + 1);
    store.getState().applyDelta(delta(4, { removed: ['2:1002'] }));
    store.getState().applyDelta(delta(5, {}));
    expect(store.getState().structureVersion).toBe(s0 + 2);
  });

  it('reports a gap in seq, ignores stale deltas and a delta before any snapshot', () => {
    const store = createAppStore();
    expect(store.getState().applyDelta(delta(1, {}))).toBe('gap');
    store.getState().applySnapshot(testSnapshot(10, [testRow(1, 0, 'init')]));
    expect(store.getState().applyDelta(delta(10, {}))).toBe('stale');
    expect(store.getState().applyDelta(delta(12, { removed: ['1:1001'] }))).toBe('gap');
    expect(store.getState().seq).toBe(10);
    expect(store.getState().rowStatus.size).toBe(0);
  });

  it('keeps an exited row for keepExitedMs of sample time, then removes it; a new row stays new for newHighlightMs', () => {
    const store = createAppStore();
    store.getState().setHighlightDurations({ keepExitedMs: 5000, newHighlightMs: 2000 });
    store.getState().applySnapshot(testSnapshot(1, [testRow(1, 0, 'init'), testRow(2, 1, 'bash')]));
    store.getState().applyDelta(delta(2, { timestampMs: 10_000, removed: ['2:1002'], added: [testRow(3, 1, 'sleep')] }));
    const at = (seq: number, timestampMs: number) => {
      store.getState().applyDelta(delta(seq, { timestampMs }));
      return [store.getState().rowStatus.get('2:1002') ?? null, store.getState().rowStatus.get('3:1003') ?? null, store.getState().rows.has('2:1002')];
    };
    expect(at(3, 11_000)).toEqual(['exiting', 'new', true]);
    expect(at(4, 12_000)).toEqual(['exiting', null, true]);
    // A second report of the same exit does not restart its time.
    store.getState().applyDelta(delta(5, { timestampMs: 14_000, removed: ['2:1002'] }));
    expect(at(6, 14_999)).toEqual(['exiting', null, true]);
    expect(at(7, 15_000)).toEqual([null, null, false]);
    expect(store.getState().rowStatusSinceMs.size).toBe(0);
  });

  it('clamps the highlight durations to 0 through 60 s', () => {
    const store = createAppStore();
    store.getState().setHighlightDurations({ keepExitedMs: 1e9, newHighlightMs: -5 });
    expect([store.getState().keepExitedMs, store.getState().newHighlightMs]).toEqual([60_000, 0]);
    store.getState().setHighlightDurations({ keepExitedMs: Number.NaN });
    expect(store.getState().keepExitedMs).toBe(60_000);
  });
});
