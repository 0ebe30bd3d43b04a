import { describe, expect, it } from 'vitest';
import { buildProcessTree } from '../../../src-shared/tree/process-tree';
import { ProcessActionError } from '../backend';
import { createFakeBackend } from './fake-backend';

describe('fake backend', () => {
  it('produces the requested number of processes as one tree under pid 1', async () => {
    const backend = createFakeBackend({ processCount: 500, seed: 7 });
    const snap = await backend.takeSnapshot({ includeHandleCount: false });
    expect(snap.rows).toHaveLength(500);
    const tree = buildProcessTree(snap.rows);
    expect(tree.roots.map((r) => r.pid)).toEqual([1]);
    expect(snap.rows.every((r) => r.handleCount === null)).toBe(true);
  });

  it('is deterministic for a seed and changes the scripted share per sample', async () => {
    const a = createFakeBackend({ processCount: 1000, seed: 3, changingFraction: 0.02 });
    const b = createFakeBackend({ processCount: 1000, seed: 3, changingFraction: 0.02 });
    const first = await a.takeSnapshot({ includeHandleCount: true });
    await b.takeSnapshot({ includeHandleCount: true });
    const second = await a.takeSnapshot({ includeHandleCount: true });
    expect(await b.takeSnapshot({ includeHandleCount: true })).toEqual(second);
    const before = new Map(first.rows.map((r) => [r.key, r]));
    const changed = second.rows.filter((r) => {
      const old = before.get(r.key)!;
      return old.cpuTimeMs !== r.cpuTimeMs || old.workingSetBytes !== r.workingSetBytes;
    });
    expect(changed.length).toBeGreaterThan(5);
    expect(changed.length).toBeLessThanOrEqual(20);
    expect(second.monotonicMs - first.monotonicMs).toBe(1000);
  });

  it('spawns and exits as scripted and refuses a recycled identity', async () => {
    const backend = createFakeBackend({ processCount: 50, spawnPerSample: 2, exitPerSample: 1 });
    const first = await backend.takeSnapshot({ includeHandleCount: false });
    const second = await backend.takeSnapshot({ includeHandleCount: false });
    expect(second.rows.length).toBe(first.rows.length + 1);
    const target = second.rows[1]!;
    await expect(backend.terminate({ pid: target.pid, startTimeMs: target.startTimeMs + 1 })).rejects.toBeInstanceOf(
      ProcessActionError,
    );
    await backend.terminate({ pid: target.pid, startTimeMs: target.startTimeMs });
    expect(backend.readStartTimeMs(target.pid)).toBeNull();
  });
});
