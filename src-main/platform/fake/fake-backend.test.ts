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

  it('hands back the same sample object for a process that did not change, as the Linux backend does', async () => {
    const backend = createFakeBackend({ processCount: 1000, seed: 5, changingFraction: 0.02 });
    const first = await backend.takeSnapshot({ includeHandleCount: false });
    const byPid = new Map(first.rows.map((r) => [r.pid, r]));
    const target = first.rows[10]!;
    await backend.suspend({ pid: target.pid, startTimeMs: target.startTimeMs });
    const second = await backend.takeSnapshot({ includeHandleCount: false });
    const fresh = second.rows.filter((r) => r !== byPid.get(r.pid));
    // A new object exactly for the rows whose values moved (the scripted share, and the suspended one); none other.
    for (const r of fresh) expect(r).not.toEqual(byPid.get(r.pid));
    expect(fresh.map((r) => r.pid)).toContain(target.pid);
    expect(second.rows.find((r) => r.pid === target.pid)!.state).toBe('stopped');
    expect(fresh.length).toBeGreaterThan(5);
    expect(fresh.length).toBeLessThanOrEqual(21);
    // Asking for handle counts changes every row.
    const third = await backend.takeSnapshot({ includeHandleCount: true });
    const secondByPid = new Map(second.rows.map((r) => [r.pid, r]));
    expect(third.rows.every((r) => r !== secondByPid.get(r.pid) && r.handleCount !== null)).toBe(true);
  });
});
