import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zstdDecompressSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REQUEST_SCHEMAS } from '../../../src-shared/ipc/request-schemas';
import type { DumpJobInfo } from '../../../src-shared/model/dump-jobs';
import { HostRequestError } from '../../host/host-request-error';
import { createUploadPackageService } from './upload-package-service';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'procscope-upload-svc-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function doneJob(path: string, bytes: Buffer, over: Partial<DumpJobInfo> = {}): DumpJobInfo {
  return {
    id: 'dump-1', groupId: null, pid: 77, startTimeMs: 1_700_000_000_000, name: 'worker', kind: 'full', outDir: dir, state: 'done', elevated: false,
    progress: null, error: null, retryable: false, createdAtMs: 0, capture: null,
    result: {
      path, kind: 'full', pid: 77, bytesOnDisk: bytes.length, fileBytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'),
      durationMs: 10, targetPauseMs: 9, unreadableBytes: 0, method: 'snapshot', format: 'elf-core',
    },
    ...over,
  } as DumpJobInfo;
}

const core = (n: number): Buffer => {
  const b = Buffer.alloc(n);
  b.set([0x7f, 0x45, 0x4c, 0x46]);
  for (let o = 8192; o + 4096 <= n; o += 16384) randomBytes(4096).copy(b, o);
  return b;
};

describe('upload package service', () => {
  it('packages the job\'s own file with what the job knew', async () => {
    const bytes = core(1 << 20);
    const path = join(dir, 'worker_77_full.core');
    await writeFile(path, bytes);
    const svc = createUploadPackageService({ findJob: (id) => (id === 'dump-1' ? doneJob(path, bytes) : null) });
    const r = await svc.prepare('dump-1');
    expect(zstdDecompressSync(await readFile(r.zstPath)).equals(bytes)).toBe(true);
    expect(r.manifest.process).toEqual({ name: 'worker', pid: 77, startTime: new Date(1_700_000_000_000).toISOString() });
    expect(r.manifest.dump).toMatchObject({ kind: 'full', mode: 'snapshot', pauseMs: 9 });
    expect(svc.progress('dump-1')).toBeNull();
  });

  it('reports progress while it runs, and a cancel removes every partial file', async () => {
    const bytes = core(32 << 20);
    const path = join(dir, 'big.core');
    await writeFile(path, bytes);
    const svc = createUploadPackageService({ findJob: () => doneJob(path, bytes) });
    const pending = svc.prepare('dump-1');
    let seen = null;
    for (let i = 0; i < 400 && !seen; i++) {
      await new Promise((r) => setTimeout(r, 5));
      seen = svc.progress('dump-1');
    }
    expect(seen?.totalBytes).toBe(bytes.length);
    expect(svc.cancel('dump-1')).toBe(true);
    await expect(pending).rejects.toThrow(/cancelled; its partial files were removed/);
    expect(await readdir(dir)).toEqual(['big.core']);
    expect(svc.cancel('dump-1')).toBe(false);
  });

  it('refuses a job that is not saved, an unknown job, and a file that is no longer the dump', async () => {
    const bytes = core(65536);
    const path = join(dir, 'a.core');
    await writeFile(path, bytes);
    const running = createUploadPackageService({ findJob: () => ({ ...doneJob(path, bytes), state: 'running', result: null }) });
    await expect(running.prepare('dump-1')).rejects.toThrow(/still being written/);
    const none = createUploadPackageService({ findJob: () => null });
    await expect(none.prepare('dump-9')).rejects.toThrow(HostRequestError);
    await writeFile(path, core(65536)); // same size, other bytes: the job's hash no longer matches
    const swapped = createUploadPackageService({ findJob: () => doneJob(path, bytes) });
    await expect(swapped.prepare('dump-1')).rejects.toThrow(/no longer the dump that was written/);
    expect(await readdir(dir)).toEqual(['a.core']);
  });

  it('its channels take a job id only, never a path', () => {
    for (const ch of ['procscope:prepare-upload-package', 'procscope:upload-package-progress', 'procscope:cancel-upload-package'] as const) {
      expect(REQUEST_SCHEMAS[ch].safeParse({ jobId: 'dump-1' }).success).toBe(true);
      expect(REQUEST_SCHEMAS[ch].safeParse({ jobId: 'dump-1', path: '/etc/shadow' }).success).toBe(false);
      expect(REQUEST_SCHEMAS[ch].safeParse({ path: '/etc/shadow' }).success).toBe(false);
    }
  });
});
