// Snapshot mode promises the shortest pause, so the two threads a dump starts (write-behind, hash) must have booted
// before the target is stopped: on a 2-core machine their start-up, run while the target waited, lengthened the
// clone (bench:dump). A file of its own: its first dump must find no thread booted yet (none is shared across files).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readProcessStartTimeMs } from '../../../platform/linux/proc-start-time';
import { compileSnapshotTargetSync, startSnapshotTarget, tempDir, type SnapshotTarget } from './__fixtures__/snapshot-target';

const seen = vi.hoisted(() => ({
  ringReady: false,
  hashReady: false,
  atStop: null as { ringReady: boolean; hashReady: boolean } | null,
  /** Set by the abort test: the ring's thread never reports ready. */
  ringNeverReady: false,
  stops: 0,
}));

vi.mock('../write-behind', async (importOriginal) => {
  const real = await importOriginal<typeof import('../write-behind')>();
  return {
    ...real,
    acquireWriteBehind: () => {
      const acquired = real.acquireWriteBehind();
      void acquired.ready.then((ok) => (seen.ringReady = ok));
      return seen.ringNeverReady ? { ...acquired, ready: new Promise<boolean>(() => {}) } : acquired;
    },
  };
});

vi.mock('../sha256-worker', async (importOriginal) => {
  const real = await importOriginal<typeof import('../sha256-worker')>();
  return {
    ...real,
    createSha256Stream: () => {
      const stream = real.createSha256Stream();
      void stream.ready().then((ok) => (seen.hashReady = ok));
      return stream;
    },
  };
});

vi.mock('../ptrace-threads', async (importOriginal) => {
  const real = await importOriginal<typeof import('../ptrace-threads')>();
  return {
    ...real,
    attachAllThreadsSync: (pid: number) => {
      seen.atStop ??= { ringReady: seen.ringReady, hashReady: seen.hashReady };
      seen.stops++;
      return real.attachAllThreadsSync(pid);
    },
  };
});

const { createLinuxCoreWriter } = await import('../linux-core-writer');

describe.runIf(process.platform === 'linux')('snapshot mode and its threads', () => {
  let dir: ReturnType<typeof tempDir>;
  let target: SnapshotTarget;
  beforeAll(async () => {
    dir = tempDir('procscope-snapshot-boot-');
    target = await startSnapshotTarget(compileSnapshotTargetSync(dir.path), ['plain', join(dir.path, 'atfork-ran')]);
    await new Promise((r) => setTimeout(r, 100));
  });
  afterAll(() => {
    target?.stop();
    dir?.remove();
  });

  it('stops the target only once the write-behind and hash threads have booted', async () => {
    expect(seen.ringReady || seen.hashReady).toBe(false); // nothing booted before this dump
    const result = await createLinuxCoreWriter().write(
      { pid: target.pid, startTimeMs: readProcessStartTimeMs(target.pid)!, kind: 'mini', outDir: dir.path, snapshot: true },
      { analysisPack: false },
    );
    expect(result.method).toBe('snapshot');
    expect(result.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(seen.atStop).toEqual({ ringReady: true, hashReady: true });
  });

  it('a dump cancelled while it waits for a thread that never boots ends at once, cancelled, without stopping the target', async () => {
    seen.ringNeverReady = true;
    const stopsBefore = seen.stops;
    const files = readdirSync(dir.path).length;
    const abort = new AbortController();
    const startedMs = performance.now();
    setTimeout(() => abort.abort(), 100);
    await expect(
      createLinuxCoreWriter().write(
        { pid: target.pid, startTimeMs: readProcessStartTimeMs(target.pid)!, kind: 'mini', outDir: dir.path, snapshot: true },
        { analysisPack: false, signal: abort.signal },
      ),
    ).rejects.toMatchObject({ code: 'cancelled' });
    expect(performance.now() - startedMs).toBeLessThan(1_500); // the abort, not the 2 s bound, ended the wait
    expect(seen.stops).toBe(stopsBefore);
    expect(readdirSync(dir.path).length).toBe(files); // the partial file is gone
  });
});
