import { afterEach, describe, expect, it } from 'vitest';
import { emptyProcessRow, type ProcessDelta, type ProcessRow, type ProcessStreamMessage } from '../../src-shared/model/process';
import type { BackendSnapshot, ProcessBackend, SnapshotOptions } from '../platform/backend';
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

/** A backend whose samples carry per-core times and records the options each poll asked for. */
function totalsBackend(samples: { atMs: number; rows: ProcessRow[]; perCpu: { busyMs: number; totalMs: number }[] }[]) {
  let i = 0;
  const options: SnapshotOptions[] = [];
  const backend: ProcessBackend = {
    platform: 'fake',
    capabilities: { handleCount: 'none', suspend: false, dumpFormat: 'none' },
    async takeSnapshot(o): Promise<BackendSnapshot> {
      options.push(o);
      const s = samples[Math.min(i++, samples.length - 1)]!;
      return {
        timestampMs: s.atMs, monotonicMs: s.atMs, rows: s.rows, cpuCount: 2, memoryTotalBytes: null, memoryAvailableBytes: null,
        perCpuTimes: s.perCpu, commitBytes: 3e9, commitLimitBytes: 9e9,
      };
    },
    readStartTimeMs: () => null,
    terminate: async () => undefined,
    suspend: async () => undefined,
    resume: async () => undefined,
    dispose: () => undefined,
  };
  return { backend, options };
}

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
    expect(snap!.system).toEqual({
      cpuCount: 2,
      cpuPercent: null,
      memoryTotalBytes: 8e9,
      memoryAvailableBytes: 4e9,
      processCount: 2,
      perCpuPercent: null,
      commitBytes: null,
      commitLimitBytes: null,
      memoryUsedBytes: 4e9,
      ioReadBytesPerSec: null,
      ioWriteBytesPerSec: null,
    });

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

  it('computes I/O rates per process and in total, per-core CPU and commit, and asks for what setSnapshotFields says', async () => {
    const io = (pid: number, read: number, write: number) => row(pid, 1, 0, { ioReadBytes: read, ioWriteBytes: write });
    const { backend, options } = totalsBackend([
      { atMs: 0, rows: [io(1, 1000, 0), io(2, 0, 0)], perCpu: [{ busyMs: 0, totalMs: 0 }, { busyMs: 0, totalMs: 0 }] },
      // 2 s later: p1 read 4000 bytes, p2 wrote 1000; core 0 was busy a quarter of the time, core 1 all of it.
      { atMs: 2000, rows: [io(1, 5000, 0), io(2, 0, 1000)], perCpu: [{ busyMs: 500, totalMs: 2000 }, { busyMs: 2000, totalMs: 2000 }] },
      // A counter that went backwards gives no rate, never a negative one.
      { atMs: 4000, rows: [io(1, 10, 0), io(2, 0, 1000)], perCpu: [{ busyMs: 500, totalMs: 4000 }, { busyMs: 2000, totalMs: 4000 }] },
    ]);
    poller = createPoller(backend, { intervalMs: 0 });
    await poller.refreshNow();
    expect(poller.getSnapshot()!.rows.map((r) => r.ioReadBytesPerSec)).toEqual([null, null]);
    expect(poller.getSnapshot()!.system.perCpuPercent).toBeNull();
    poller.setSnapshotFields({ io: true });
    await poller.refreshNow();
    const snap = poller.getSnapshot()!;
    expect(snap.rows.map((r) => [r.ioReadBytesPerSec, r.ioWriteBytesPerSec])).toEqual([[2000, 0], [0, 500]]);
    expect(snap.system).toMatchObject({ perCpuPercent: [25, 100], ioReadBytesPerSec: 2000, ioWriteBytesPerSec: 500, commitBytes: 3e9, commitLimitBytes: 9e9, memoryUsedBytes: null });
    poller.setSnapshotFields({ categories: true });
    await poller.refreshNow();
    expect(poller.getSnapshot()!.rows.map((r) => [r.ioReadBytesPerSec, r.ioWriteBytesPerSec])).toEqual([[null, 0], [0, 0]]);
    expect(poller.getSnapshot()!.system.perCpuPercent).toEqual([0, 0]);
    expect(options.map((o) => [o.includeIo, o.includeCategories])).toEqual([[false, false], [true, false], [true, true]]);
    expect(() => poller!.setSnapshotFields({ io: 'yes' as unknown as boolean })).toThrow(TypeError);
  });
});
