import { afterEach, describe, expect, it } from 'vitest';
import { emptyProcessRow, type ProcessDelta, type ProcessRow, type ProcessStreamMessage } from '../../src-shared/model/process';
import type { BackendSnapshot, ProcessBackend } from '../platform/backend';
import { createPoller } from './poller';
import type { Poller } from './poller-types';

/** A backend that plays back scripted samples (the last one repeats) and records how polls overlap. */
function scriptedBackend(samples: { atMs: number; rows: ProcessRow[] }[], delayMs = 0) {
  let i = 0;
  let active = 0;
  const stats = { calls: 0, maxConcurrent: 0 };
  const backend: ProcessBackend = {
    platform: 'fake',
    capabilities: { handleCount: 'none', suspend: false, dumpFormat: 'none' },
    async takeSnapshot(): Promise<BackendSnapshot> {
      stats.calls++;
      active++;
      stats.maxConcurrent = Math.max(stats.maxConcurrent, active);
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      active--;
      const s = samples[Math.min(i++, samples.length - 1)]!;
      return { timestampMs: 1_000_000 + s.atMs, monotonicMs: s.atMs, rows: s.rows, cpuCount: 2, memoryTotalBytes: 8e9, memoryAvailableBytes: 4e9 };
    },
    readStartTimeMs: () => null,
    terminate: async () => undefined,
    suspend: async () => undefined,
    resume: async () => undefined,
    dispose: () => undefined,
  };
  return { backend, stats };
}

const row = (pid: number, startTimeMs: number, cpuTimeMs: number, extra: Partial<ProcessRow> = {}): ProcessRow => ({
  ...emptyProcessRow(pid, 1, `p${pid}`, startTimeMs),
  cpuTimeMs,
  ...extra,
});

let poller: Poller | null = null;
afterEach(() => poller?.dispose());

describe('poller stream', () => {
  it('gives a new subscriber the full snapshot, then deltas with consecutive seq and CPU %', async () => {
    const a0 = row(10, 100, 1000);
    const b0 = row(11, 100, 0);
    const { backend } = scriptedBackend([
      { atMs: 0, rows: [a0, b0] },
      // 1 s later: a used 500 ms of CPU (25 % of 2 cores); b exited and its pid came back as a new process.
      { atMs: 1000, rows: [row(10, 100, 1500), row(11, 900, 0), row(12, 950, 0)] },
      { atMs: 2000, rows: [row(10, 100, 1500), row(11, 900, 0), row(12, 950, 0)] },
    ]);
    poller = createPoller(backend, { intervalMs: 0 });
    const seen: ProcessStreamMessage[] = [];
    poller.subscribe((m) => seen.push(m));
    await poller.refreshNow();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.kind).toBe('snapshot');
    const snap = seen[0]!.kind === 'snapshot' ? seen[0]!.snapshot : null;
    expect(snap!.rows.map((r) => r.cpuPercent)).toEqual([null, null]);
    expect(snap!.system).toEqual({ cpuCount: 2, cpuPercent: null, memoryTotalBytes: 8e9, memoryAvailableBytes: 4e9, processCount: 2 });

    await poller.refreshNow();
    const d1 = (seen[1] as { kind: 'delta'; delta: ProcessDelta }).delta;
    expect(d1.seq).toBe(snap!.seq + 1);
    expect(d1.intervalMs).toBe(1000);
    expect(d1.updated).toEqual([{ key: '10:100', changes: { cpuTimeMs: 1500, cpuPercent: 25 } }]);
    expect(d1.removed).toEqual(['11:100']);
    expect(d1.added.map((r) => [r.key, r.cpuPercent])).toEqual([['11:900', null], ['12:950', null]]);
    expect(d1.system.cpuPercent).toBe(25);
    expect(d1.system.processCount).toBe(3);

    // A late subscriber gets the current state as one snapshot, then both get the same next delta.
    const late: ProcessStreamMessage[] = [];
    poller.subscribe((m) => late.push(m));
    await Promise.resolve();
    expect(late[0]!.kind).toBe('snapshot');
    const lateSnap = late[0]!.kind === 'snapshot' ? late[0]!.snapshot : null;
    expect(lateSnap!.seq).toBe(d1.seq);
    expect(lateSnap!.rows.find((r) => r.key === '10:100')!.cpuPercent).toBe(25);

    await poller.refreshNow();
    const d2 = (seen[2] as { kind: 'delta'; delta: ProcessDelta }).delta;
    expect(late[1]).toEqual(seen[2]);
    expect(d2.seq).toBe(d1.seq + 1);
    expect(d2.updated).toEqual([
      { key: '10:100', changes: { cpuPercent: 0 } },
      { key: '11:900', changes: { cpuPercent: 0 } },
      { key: '12:950', changes: { cpuPercent: 0 } },
    ]);
    expect(poller.getSnapshot()!.seq).toBe(d2.seq);
  });

  it('sends no update for a process whose sample did not change', async () => {
    const same = row(10, 100, 1000);
    const { backend } = scriptedBackend([
      { atMs: 0, rows: [same] },
      { atMs: 1000, rows: [same] },
      { atMs: 2000, rows: [same] },
    ]);
    poller = createPoller(backend, { intervalMs: 0 });
    const deltas: ProcessDelta[] = [];
    poller.subscribe((m) => m.kind === 'delta' && deltas.push(m.delta));
    for (let i = 0; i < 3; i++) await poller.refreshNow();
    expect(deltas[0]!.updated).toEqual([{ key: '10:100', changes: { cpuPercent: 0 } }]);
    expect(deltas[1]!.updated).toEqual([]);
    expect(same.cpuPercent).toBeNull(); // the backend's sample is never mutated
  });

  it('never overlaps polls, even when refreshNow races the timer', async () => {
    const { backend, stats } = scriptedBackend([{ atMs: 0, rows: [row(1, 0, 0)] }], 40);
    poller = createPoller(backend, { intervalMs: 500 });
    poller.start();
    await Promise.all([poller.refreshNow(), poller.refreshNow(), poller.refreshNow()]);
    await new Promise((r) => setTimeout(r, 700));
    expect(stats.calls).toBeGreaterThanOrEqual(4);
    expect(stats.maxConcurrent).toBe(1);
  });

  it('polls on the interval, pauses at 0 and stops on stop()', async () => {
    const { backend, stats } = scriptedBackend([{ atMs: 0, rows: [] }]);
    poller = createPoller(backend, { intervalMs: 500 });
    poller.start();
    await new Promise((r) => setTimeout(r, 1200));
    expect(stats.calls).toBeGreaterThanOrEqual(2);
    expect(stats.calls).toBeLessThanOrEqual(4);
    poller.setIntervalMs(0);
    const paused = stats.calls;
    await new Promise((r) => setTimeout(r, 700));
    expect(stats.calls).toBe(paused);
    await poller.refreshNow();
    expect(stats.calls).toBe(paused + 1);
    // Resuming counts the interval from the last poll (the refresh just now).
    poller.setIntervalMs(500);
    await new Promise((r) => setTimeout(r, 250));
    expect(stats.calls).toBe(paused + 1);
    await new Promise((r) => setTimeout(r, 450));
    expect(stats.calls).toBe(paused + 2);
    poller.stop();
    await new Promise((r) => setTimeout(r, 700));
    expect(stats.calls).toBe(paused + 2);
  });

  it('accepts only 0 and the offered intervals', () => {
    const { backend } = scriptedBackend([{ atMs: 0, rows: [] }]);
    expect(() => createPoller(backend, { intervalMs: 1500 })).toThrow(/Invalid poll interval 1500 ms: use 0 \(paused\) or one of 500, 1000, 2000, 5000, 10000 ms/);
    poller = createPoller(backend);
    expect(poller.getIntervalMs()).toBe(1000);
    for (const ms of [0, 500, 1000, 2000, 5000, 10000]) {
      poller.setIntervalMs(ms);
      expect(poller.getIntervalMs()).toBe(ms);
    }
    for (const bad of [-1, 1, 750, NaN, Infinity, '1000' as unknown as number]) expect(() => poller!.setIntervalMs(bad)).toThrow(RangeError);
    expect(poller.getIntervalMs()).toBe(10000);
  });
});
