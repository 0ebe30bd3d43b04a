// The Linux core writer with the hash off the critical path (issue 15), against a real 64 MiB target: the file is
// reported complete (with the target already running again) before the hash, the hash that follows is of the very
// bytes on disk, --no-hash starts no hash, and a cancel after the file is complete stops the hash only.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DumpResult } from '../../../src-shared/model/dump';
import { readProcessStartTimeMs } from '../../platform/linux/proc-start-time';
import { compileDumpTargetSync, startDumpTarget, type RunningTarget } from './__fixtures__/dump-target';
import { createLinuxCoreWriter } from './linux-core-writer';

describe('Linux core writer: saved before the hash', () => {
  let exe: string;
  let target: RunningTarget;
  let outDir: string;

  beforeAll(async () => {
    exe = compileDumpTargetSync();
    target = await startDumpTarget(exe, 64);
  });
  afterAll(() => {
    try {
      target?.stop();
    } finally {
      if (exe) rmSync(dirname(exe), { recursive: true, force: true });
    }
  });
  beforeEach(() => {
    outDir = mkdtempSync(join(tmpdir(), 'procscope-hash-after-'));
  });
  afterEach(() => rmSync(outDir, { recursive: true, force: true }));

  const request = (kind: 'full' | 'mini' = 'full') => {
    return { pid: target.pid, startTimeMs: readProcessStartTimeMs(target.pid)!, kind, outDir };
  };

  /** What is true at the moment the writer says the file is complete, read synchronously in its callback. */
  const atComplete = (saved: DumpResult) => ({
    saved,
    sizeOnDisk: statSync(saved.path).size,
    mtimeNs: statSync(saved.path, { bigint: true }).mtimeNs,
    tracer: /^TracerPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${target.pid}/status`, 'latin1'))?.[1],
    order: 'complete' as const,
  });

  it('reports the file complete, target running, before the hash; the hash is of the bytes on disk', async () => {
    const seen: ReturnType<typeof atComplete>[] = [];
    const hashes: { sha256: string | null; packThere: boolean; after: number }[] = [];
    const result = await createLinuxCoreWriter().write(request(), {
      onFileComplete: (s) => seen.push(atComplete(s)),
      onHashDone: (h) => hashes.push({ sha256: h.sha256, packThere: readdirSync(outDir).some((f) => f.endsWith('.pack')), after: seen.length }),
    });
    // The hash is told as soon as it is done: after the file, before the pack (which follows it).
    expect(hashes).toEqual([{ sha256: result.sha256, packThere: false, after: 1 }]);
    expect(seen).toHaveLength(1);
    const [first] = seen as [ReturnType<typeof atComplete>];
    expect(first.saved).toMatchObject({ sha256: null, hash: 'computing', path: result.path, fileBytes: result.fileBytes, method: 'live' });
    expect(first.sizeOnDisk).toBe(result.fileBytes); // complete: its length is set
    // ... and untouched from then on: the hash and the pack only read it. An analysis started at "saved" compares
    // the file's size and mtime when it ends, and dropped its report when a late ftruncate bumped the mtime.
    expect(statSync(result.path, { bigint: true }).mtimeNs).toBe(first.mtimeNs);
    expect(first.tracer).toBe('0'); // the target was let go before the file was reported complete
    expect(first.saved.fileCompleteMs).toBeGreaterThan(0);
    expect(first.saved.targetPauseMs).toBe(result.targetPauseMs);
    expect(result.hash).toBe('done');
    expect(result.sha256).toBe(createHash('sha256').update(readFileSync(result.path)).digest('hex'));
    expect(result.hashDoneMs!).toBeGreaterThanOrEqual(result.fileCompleteMs!);
    expect(result.fileCompleteMs).toBe(first.saved.fileCompleteMs);
    // The analysis pack was built after the file was complete, and says how long it took.
    expect(result.analysisPackPath).toBe(`${result.path}.pack`);
    expect(result.analysisPackMs).toBeGreaterThanOrEqual(0);
    expect(await target.command('ticks')).toMatch(/^ticks \d+$/);
  });

  it('--no-hash: no SHA-256, hash skipped, the file complete all the same', async () => {
    const seen: DumpResult[] = [];
    const result = await createLinuxCoreWriter().write(request('mini'), { hash: false, analysisPack: false, onFileComplete: (s) => seen.push(s) });
    expect(seen.map((s) => s.hash)).toEqual(['skipped']);
    expect(result).toMatchObject({ sha256: null, hash: 'skipped' });
    expect(result.hashDoneMs).toBeUndefined();
    expect(result.hashError).toBeUndefined();
    expect(statSync(result.path).size).toBe(result.fileBytes);
    expect(readdirSync(outDir)).toEqual([basename(result.path)]);
  });

  it('a cancel after the file is complete stops the hash (and the pack) only: the file stays, whole', async () => {
    const abort = new AbortController();
    const result = await createLinuxCoreWriter().write(request(), {
      signal: abort.signal,
      // Cancelled the moment the file is complete: the hash of 64 MiB cannot have finished by then.
      onFileComplete: () => abort.abort(),
    });
    expect(result).toMatchObject({ sha256: null, hash: 'failed', hashError: { code: 'cancelled', message: expect.stringMatching(/file is saved and kept/) } });
    expect(readdirSync(outDir)).toEqual([basename(result.path)]); // the core, no pack
    expect(statSync(result.path).size).toBe(result.fileBytes);
    expect(result.fileBytes).toBeGreaterThan(64 * 2 ** 20);
    expect(await target.command('ticks')).toMatch(/^ticks \d+$/);
    // The worker thread of a stopped hash holds nothing: the next dump hashes normally.
    const again = await createLinuxCoreWriter().write(request('mini'), { analysisPack: false });
    expect(again.sha256).toBe(createHash('sha256').update(readFileSync(again.path)).digest('hex'));
  });
});
