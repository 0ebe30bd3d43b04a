import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { emptyProcessRow, type ProcessRow } from '../../src-shared/model/process';
import { createFakeDumpWriter, type FakeTarget } from './__fixtures__/fake-dump-writer';
import { createDumpEngine, type DumpEngine, type DumpEngineOptions } from './dump-engine';
import type { DumpEngineEvent } from './dump-jobs';
import { createDumpSettingsStore } from './dump-settings';
import { DumpError } from './dump-writer';
import type { Elevator } from './helper/elevator';
import { runHelper } from './helper/helper-main';

let dir: string;
let outDir: string;
let engine: DumpEngine | null = null;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'engine-test-'));
  outDir = join(dir, 'dumps');
});
afterEach(async () => {
  await engine?.dispose();
  engine = null;
  await rm(dir, { recursive: true, force: true });
});

function makeEngine(script: (pid: number) => FakeTarget, extra: Partial<DumpEngineOptions> = {}, rows: ProcessRow[] = []) {
  const writer = createFakeDumpWriter((r) => script(r.pid));
  const events: DumpEngineEvent[] = [];
  engine = createDumpEngine({
    writerFactory: async () => writer,
    readRows: async () => rows,
    settingsStore: createDumpSettingsStore({ configDir: join(dir, 'config') }),
    progressIntervalMs: 0,
    ...extra,
  });
  engine.subscribe((e) => events.push(e));
  return { engine, writer, events };
}

function settled(engine: DumpEngine, jobId: string): Promise<DumpEngineEvent> {
  return new Promise((resolve) => {
    const off = engine.subscribe((e) => {
      if ((e.type === 'job-done' || e.type === 'job-failed') && e.jobId === jobId) {
        off();
        resolve(e);
      }
    });
  });
}

const row = (pid: number, ppid: number, name: string, startTimeMs = 1000 + pid): ProcessRow => emptyProcessRow(pid, ppid, name, startTimeMs);

describe('dump engine', () => {
  it("lists a watch's capture dumps in the order the watch reported them, however long each file's check takes", async () => {
    const { engine, events } = makeEngine(() => ({ totalBytes: 1, chunkBytes: 1 }));
    await mkdir(outDir, { recursive: true });
    // Checked in four steps (open, stat, read, close); a missing file is refused after one, so it used to overtake.
    const real = join(outDir, 'first.core');
    await writeFile(real, Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(4092)]));
    const record = (path: string, fileBytes: number) => ({
      watchId: 'capture-1',
      trigger: 'exit' as const,
      pid: 7,
      startTimeMs: 0,
      name: 'child',
      kind: 'mini' as const,
      path,
      fileBytes,
      sha256: '0'.repeat(64),
      targetPauseMs: 1,
      unreadableBytes: 0,
      elevated: false,
    });
    const recorded = await Promise.all([engine.recordCaptureDump(record(real, 4096)), engine.recordCaptureDump(record(join(outDir, 'second-gone.core'), 10))]);
    expect(recorded.map((j) => j.state)).toEqual(['done', 'failed']);
    const added = events.flatMap((e) => (e.type === 'job-added' ? [e.job] : []));
    expect(added.map((j) => j.result?.path ?? j.error?.message)).toEqual([real, expect.stringMatching(/second-gone\.core is not there any more/)]);
    expect(added.map((j) => j.id)).toEqual(recorded.map((j) => j.id));
  });

  it('runs a job, reports progress and the result, and the file matches its SHA-256', async () => {
    const { engine, events } = makeEngine(() => ({ totalBytes: 100_000, chunkBytes: 10_000 }));
    const job = await engine.start({ pid: 42, startTimeMs: 5, kind: 'full', outDir, name: 'worker' });
    const end = await settled(engine, job.id);
    expect(end.type).toBe('job-done');
    const types = events.filter((e) => 'jobId' in e || 'job' in e).map((e) => e.type);
    expect(types[0]).toBe('job-added');
    expect(types[1]).toBe('job-started');
    expect(types.at(-1)).toBe('job-done');
    const progress = events.flatMap((e) => (e.type === 'job-progress' ? [e.progress] : []));
    expect(progress.length).toBeGreaterThanOrEqual(10);
    const bytes = progress.map((p) => p.bytesWritten);
    expect([...bytes].sort((a, b) => a - b)).toEqual(bytes);
    expect(bytes.at(-1)).toBe(100_000);
    const info = engine.get(job.id)!;
    expect(info.state).toBe('done');
    expect(info.result!.path).toMatch(/\/worker_42_\d{8}_\d{6}_full\.core$/);
    const content = await readFile(info.result!.path);
    expect(content.length).toBe(100_000);
    expect(createHash('sha256').update(content).digest('hex')).toBe(info.result!.sha256);
    // A folder the engine creates for dumps is private to the user.
    expect((await stat(outDir)).mode & 0o777).toBe(0o700);
  });

  it('makes only the last folder of the path: a mistyped deeper path is refused at start, nothing is built or remembered', async () => {
    const { engine, writer, events } = makeEngine(() => ({ totalBytes: 1000, chunkBytes: 1000 }));
    const before = await engine.getSettings();
    const typo = join(dir, 'no-such-parent', 'tmp', 'dumps');
    // Refused by start itself, so the dialog that asked shows it and stays open; no job reaches the panel.
    await expect(engine.start({ pid: 42, startTimeMs: 5, kind: 'full', outDir: typo, name: 'worker' })).rejects.toMatchObject({
      code: 'folder-unwritable',
      message: expect.stringContaining(`'${join(dir, 'no-such-parent', 'tmp')}' does not exist`),
    });
    await expect(engine.startTree({ pid: 42, startTimeMs: 5, kind: 'full', outDir: typo })).rejects.toMatchObject({ code: 'folder-unwritable' });
    expect(engine.list()).toEqual([]);
    expect(events).toEqual([]);
    expect(await readdir(dir)).not.toContain('no-such-parent');
    expect(writer.calls).toEqual([]);
    // A folder that could not be used does not become the remembered one.
    expect(await engine.getSettings()).toEqual(before);
  });

  it('refuses a file where the folder should be, at start', async () => {
    const { engine } = makeEngine(() => ({}));
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    await expect(engine.start({ pid: 42, startTimeMs: 5, kind: 'full', outDir: file })).rejects.toMatchObject({ code: 'folder-unwritable', message: expect.stringContaining('is a file, not a folder') });
    expect(engine.list()).toEqual([]);
  });

  it('names the file with the time the dialog showed (its stamp), not the time the writer ran; a malformed stamp is ignored', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date(2026, 0, 2, 3, 4, 5) });
    try {
      const rows = [row(1, 0, 'init'), row(100, 1, 'Tentacle'), row(101, 100, 'Calamari')];
      const { engine } = makeEngine(() => ({ totalBytes: 1000 }), {}, rows);
      const one = await engine.start({ pid: 42, startTimeMs: 5, kind: 'full', outDir, name: 'worker', stamp: '20251231_235959' });
      const tree = await engine.startTree({ pid: 100, startTimeMs: 1100, kind: 'mini', outDir, stamp: '20251231_235958' });
      const bad = await engine.start({ pid: 43, startTimeMs: 5, kind: 'full', outDir, name: 'worker', stamp: '2025-12-31 23:59' });
      for (const id of [one.id, ...tree.jobIds, bad.id]) if (!['done', 'failed'].includes(engine.get(id)!.state)) await settled(engine, id);
      expect((await readdir(outDir)).sort()).toEqual([
        'Calamari_101_20251231_235958_mini.core',
        'Tentacle_100_20251231_235958_mini.core',
        'worker_42_20251231_235959_full.core',
        'worker_43_20260102_030405_full.core',
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('passes snapshot mode to the writer, for one dump and for every dump of a tree, and only when asked', async () => {
    const rows = [row(1, 0, 'init'), row(100, 1, 'Tentacle'), row(101, 100, 'Calamari')];
    const { engine, writer } = makeEngine(() => ({ totalBytes: 1000 }), {}, rows);
    const one = await engine.start({ pid: 42, startTimeMs: 5, kind: 'full', outDir, snapshot: true });
    const plain = await engine.start({ pid: 43, startTimeMs: 5, kind: 'full', outDir });
    const tree = await engine.startTree({ pid: 100, startTimeMs: 1100, kind: 'mini', outDir, snapshot: true });
    for (const id of [one.id, plain.id, ...tree.jobIds]) if (!['done', 'failed'].includes(engine.get(id)!.state)) await settled(engine, id);
    expect(writer.calls.map((r) => [r.pid, r.snapshot ?? null]).sort()).toEqual([[100, true], [101, true], [42, true], [43, null]]);
  });

  it('cancels a running job, removes the partial file and keeps the list consistent', async () => {
    const { engine } = makeEngine(() => ({ totalBytes: 10_000_000, chunkBytes: 10_000, chunkDelayMs: 5 }));
    const job = await engine.start({ pid: 7, startTimeMs: 1, kind: 'full', outDir });
    await new Promise<void>((resolve) => {
      const off = engine.subscribe((e) => e.type === 'job-progress' && e.progress.bytesWritten > 0 && (off(), resolve()));
    });
    const end = settled(engine, job.id);
    expect(engine.cancel(job.id)).toBe(true);
    const e = await end;
    expect(e.type === 'job-failed' && e.error.code).toBe('cancelled');
    expect(engine.get(job.id)!.state).toBe('cancelled');
    expect(await readdir(outDir)).toEqual([]);
    expect(engine.cancel(job.id)).toBe(false);
  });

  it('cancels a queued job without ever starting it', async () => {
    const { engine, writer } = makeEngine(() => ({ totalBytes: 200_000, chunkBytes: 10_000, chunkDelayMs: 5 }));
    const first = await engine.start({ pid: 1, startTimeMs: 1, kind: 'mini', outDir });
    const second = await engine.start({ pid: 2, startTimeMs: 1, kind: 'mini', outDir });
    expect(engine.get(second.id)!.state).toBe('queued');
    expect(engine.cancel(second.id)).toBe(true);
    await settled(engine, first.id);
    expect(engine.get(second.id)!.state).toBe('cancelled');
    expect(writer.calls.map((c) => c.pid)).toEqual([1]);
  });

  it('dumps a process tree, one file per process, and reports a process that exited meanwhile per item', async () => {
    const rows = [row(1, 0, 'init'), row(100, 1, 'Tentacle'), row(101, 100, 'Calamari'), row(102, 100, 'powershell'), row(103, 101, 'bash'), row(200, 1, 'other')];
    const gone = new DumpError('process-gone', 'Process 102 has exited, so there is nothing to dump.');
    const { engine, events } = makeEngine((pid) => (pid === 102 ? { failWith: gone } : { totalBytes: 20_000 }), {}, rows);
    const group = await engine.startTree({ pid: 100, startTimeMs: 1100, kind: 'full', outDir });
    expect(group.rootName).toBe('Tentacle');
    await Promise.all(group.jobIds.map((id) => (engine.get(id)!.state === 'queued' || engine.get(id)!.state === 'running' ? settled(engine, id) : null)));
    const jobs = group.jobIds.map((id) => engine.get(id)!);
    expect(jobs.map((j) => j.pid)).toEqual([100, 101, 103, 102]);
    expect(jobs.map((j) => j.state)).toEqual(['done', 'done', 'done', 'failed']);
    expect(jobs[3]!.error!.code).toBe('process-gone');
    expect(jobs.every((j) => j.groupId === group.id)).toBe(true);
    expect((await readdir(outDir)).sort()).toEqual(
      jobs.slice(0, 3).map((j) => j.result!.path.split('/').pop()).sort(),
    );
    expect(events.some((e) => e.type === 'group-added' && e.group.jobIds.length === 4)).toBe(true);
    expect(engine.listGroups()).toHaveLength(1);
  });

  it('dumps the same process tree twice in the same second: both trees saved, each file under its own name', async () => {
    // The clock stands still (only Date is faked), so every name is made in the same second.
    vi.useFakeTimers({ toFake: ['Date'], now: new Date(2026, 0, 2, 3, 4, 5) });
    try {
      const rows = [row(1, 0, 'init'), row(100, 1, 'Tentacle'), row(101, 100, 'Calamari')];
      const { engine } = makeEngine(() => ({ totalBytes: 20_000 }), {}, rows);
      const first = await engine.startTree({ pid: 100, startTimeMs: 1100, kind: 'mini', outDir });
      const second = await engine.startTree({ pid: 100, startTimeMs: 1100, kind: 'mini', outDir });
      const ids = [...first.jobIds, ...second.jobIds];
      await Promise.all(ids.map((id) => (engine.get(id)!.state === 'queued' || engine.get(id)!.state === 'running' ? settled(engine, id) : null)));
      expect(ids.map((id) => engine.get(id)!.state)).toEqual(['done', 'done', 'done', 'done']);
      expect((await readdir(outDir)).sort()).toEqual([
        'Calamari_101_20260102_030405_mini.core',
        'Calamari_101_20260102_030405_mini_2.core',
        'Tentacle_100_20260102_030405_mini.core',
        'Tentacle_100_20260102_030405_mini_2.core',
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses a tree whose root is gone, and malformed requests, with sentences', async () => {
    const { engine } = makeEngine(() => ({}), {}, [row(5, 0, 'x')]);
    await expect(engine.startTree({ pid: 6, startTimeMs: 1006, kind: 'full', outDir })).rejects.toMatchObject({ code: 'process-gone' });
    await expect(engine.start({ pid: 0, startTimeMs: 1, kind: 'full', outDir })).rejects.toMatchObject({ code: 'bad-request' });
    await expect(engine.start({ pid: 5, startTimeMs: 1, kind: 'full', outDir: 'relative/dir' })).rejects.toMatchObject({
      code: 'bad-request',
      message: 'Choose an absolute folder for the dump.',
    });
    await expect(engine.start({ pid: 5, startTimeMs: 1, kind: 'huge' as 'full', outDir })).rejects.toMatchObject({ code: 'bad-request' });
    expect(engine.list()).toEqual([]);
  });

  it('maps errors to sentences: DumpError as is, ENOSPC to disk-full, anything else to its first line without a stack', async () => {
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const multiLine = new Error('ptrace went wrong.\n    at attach (linux-core-writer.ts:10:5)\n    at write');
    const failures: Record<number, FakeTarget> = {
      1: { failWith: new DumpError('already-traced', 'Process 1 is already being debugged. Detach the debugger and try again.') },
      2: { failAfterChunks: { chunks: 2, error: enospc as unknown as DumpError } },
      3: { failAfterChunks: { chunks: 1, error: multiLine as unknown as DumpError } },
    };
    const { engine } = makeEngine((pid) => ({ totalBytes: 100_000, ...failures[pid] }));
    const results = [];
    for (const pid of [1, 2, 3]) {
      const job = await engine.start({ pid, startTimeMs: 1, kind: 'full', outDir });
      results.push(await settled(engine, job.id));
    }
    const errors = results.map((e) => (e.type === 'job-failed' ? e.error : null));
    expect(errors[0]).toEqual({ code: 'already-traced', message: 'Process 1 is already being debugged. Detach the debugger and try again.' });
    expect(errors[1]!.code).toBe('disk-full');
    expect(errors[1]!.message).toMatch(/Free some space/);
    expect(errors[2]!.code).toBe('io-error');
    expect(errors[2]!.message).toBe('The dump failed: ptrace went wrong. Try again; if it fails again, report it with this message.');
    expect(errors[2]!.message).not.toMatch(/\bat\b.*:\d+/);
    // Partial files were removed.
    expect(await readdir(outDir)).toEqual([]);
  });

  it('offers the retry only for needs-elevation, and only when an elevator is configured', async () => {
    const needs = new DumpError('needs-elevation', 'Procscope may not read process 1. Retry as administrator.');
    const plain = makeEngine(() => ({ failWith: needs }));
    const job = await plain.engine.start({ pid: 1, startTimeMs: 1, kind: 'full', outDir });
    const e = await settled(plain.engine, job.id);
    expect(e.type === 'job-failed' && e.retryable).toBe(false);
    expect(() => plain.engine.retryElevated(job.id)).toThrow(/lack of rights/);
  });

  it('retries a needs-elevation job through the elevator, the helper and the channel', async () => {
    let elevatedArgs: readonly string[] = [];
    const helperWriter = createFakeDumpWriter(() => ({ totalBytes: 50_000 }));
    // An in-process elevator: runs the real helper code with its own writer, as the elevated process would.
    const elevator: Elevator = {
      kind: 'direct',
      run: async (executable, args) => {
        expect(executable).toBe('/opt/Procscope/procscope');
        elevatedArgs = args;
        return runHelper(args.slice(1), {
          createWriter: async () => helperWriter,
          readStartTimeMs: () => 1234,
          platform: 'linux',
          env: {},
          stderr: () => {},
          ownUid: process.getuid!(),
        });
      },
    };
    const needs = new DumpError('needs-elevation', 'Procscope may not read process 77. Retry as administrator.');
    const { engine, events } = makeEngine(() => ({ failWith: needs }), {
      elevation: { elevator, command: { executable: '/opt/Procscope/procscope', args: ['--procscope-helper'] }, uid: process.getuid!() },
    });
    const job = await engine.start({ pid: 77, startTimeMs: 1234, kind: 'mini', outDir, name: 'svc' });
    const failed = await settled(engine, job.id);
    expect(failed).toMatchObject({ type: 'job-failed', retryable: true, error: { code: 'needs-elevation' } });
    const retried = engine.retryElevated(job.id);
    expect(retried).toMatchObject({ state: 'queued', elevated: true, error: null });
    const done = await settled(engine, job.id);
    expect(done.type).toBe('job-done');
    expect(elevatedArgs[0]).toBe('--procscope-helper');
    expect(elevatedArgs.some((a) => a.startsWith('--secret='))).toBe(true);
    const info = engine.get(job.id)!;
    expect(info).toMatchObject({ state: 'done', elevated: true });
    expect(info.result!.path).toMatch(/\/svc_77_\d{8}_\d{6}_mini\.core$/);
    expect((await stat(info.result!.path)).size).toBe(50_000);
    expect(events.filter((e) => e.type === 'job-started')).toHaveLength(2);
    expect(events.filter((e) => e.type === 'job-requeued').map((e) => e.type === 'job-requeued' && e.job.elevated)).toEqual([true]);
    expect(events.some((e) => e.type === 'job-progress' && e.jobId === job.id && e.progress.bytesWritten > 0)).toBe(true);
  });

  it('maps a cancelled elevation prompt to "Elevation was cancelled", leaves nothing behind and offers the retry again', async () => {
    const elevator: Elevator = {
      kind: 'pkexec',
      run: async () => {
        throw new DumpError('elevation-cancelled', 'Elevation was cancelled, so nothing was dumped. Retry as administrator when you are ready.');
      },
    };
    const { engine } = makeEngine(() => ({ failWith: new DumpError('needs-elevation', 'Needs rights.') }), {
      elevation: { elevator, command: { executable: '/usr/bin/node', args: ['cli.js', 'helper'] }, uid: 0 },
    });
    const job = await engine.start({ pid: 9, startTimeMs: 1, kind: 'full', outDir });
    await settled(engine, job.id);
    engine.retryElevated(job.id);
    const e = await settled(engine, job.id);
    expect(e).toMatchObject({ type: 'job-failed', retryable: true, error: { code: 'elevation-cancelled' } });
    expect(e.type === 'job-failed' && e.error.message).toMatch(/^Elevation was cancelled/);
    expect(await readdir(outDir)).toEqual([]);
  });

  it('deletes a finished dump and takes it off the list; refuses to delete anything else', async () => {
    const { engine, events } = makeEngine((pid) => (pid === 2 ? { failWith: new DumpError('process-gone', 'Gone.') } : {}));
    const ok = await engine.start({ pid: 1, startTimeMs: 1, kind: 'full', outDir });
    await settled(engine, ok.id);
    const bad = await engine.start({ pid: 2, startTimeMs: 1, kind: 'full', outDir });
    await settled(engine, bad.id);
    await expect(engine.deleteDump(bad.id)).rejects.toMatchObject({ code: 'bad-request' });
    const path = engine.get(ok.id)!.result!.path;
    await engine.deleteDump(ok.id);
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(engine.get(ok.id)).toBeNull();
    expect(events.some((e) => e.type === 'job-removed' && e.jobId === ok.id)).toBe(true);
    expect(engine.dismiss(bad.id)).toBe(true);
    expect(engine.list()).toEqual([]);
  });

  it("deletes a dump's analysis pack with it, and nothing else a result names", async () => {
    await mkdir(outDir, { recursive: true });
    const keep = join(outDir, 'keep.txt');
    await writeFile(keep, 'x');
    const { engine } = makeEngine((pid) => (pid === 1 ? { pack: true } : { claimPackPath: keep }));
    const withPack = await engine.start({ pid: 1, startTimeMs: 1, kind: 'mini', outDir });
    await settled(engine, withPack.id);
    const { path, analysisPackPath } = engine.get(withPack.id)!.result!;
    expect(analysisPackPath).toBe(`${path}.pack`);
    await engine.deleteDump(withPack.id);
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(`${path}.pack`)).rejects.toMatchObject({ code: 'ENOENT' });
    const claims = await engine.start({ pid: 2, startTimeMs: 1, kind: 'mini', outDir });
    await settled(engine, claims.id);
    await engine.deleteDump(claims.id);
    expect((await stat(keep)).isFile()).toBe(true);
  });

  it('reports a writer that cannot be created as a sentence, and asks the factory again for the next job', async () => {
    let calls = 0;
    const writer = createFakeDumpWriter();
    engine = createDumpEngine({
      writerFactory: async () => {
        if (++calls === 1) throw new Error('koffi: Cannot load libc.so.6\n    at load (ffi.ts:3:1)');
        return writer;
      },
      readRows: async () => [],
      settingsStore: createDumpSettingsStore({ configDir: join(dir, 'config') }),
    });
    const first = await engine.start({ pid: 1, startTimeMs: 1, kind: 'full', outDir, name: '' });
    const e = await settled(engine, first.id);
    expect(e.type === 'job-failed' && e.error).toEqual({
      code: 'io-error',
      message: 'The dump failed: koffi: Cannot load libc.so.6. Try again; if it fails again, report it with this message.',
    });
    const second = await engine.start({ pid: 1, startTimeMs: 1, kind: 'full', outDir });
    expect((await settled(engine, second.id)).type).toBe('job-done');
    expect(calls).toBe(2);
    expect(engine.get(first.id)!.name).toBeNull();
  });

  it('remembers the folder and kind of the last dump in the settings file', async () => {
    const { engine } = makeEngine(() => ({}));
    const job = await engine.start({ pid: 3, startTimeMs: 1, kind: 'mini', outDir });
    await settled(engine, job.id);
    // getSettings waits for the background write, so the file is there for another store once it answers.
    expect(await engine.getSettings()).toEqual({ dumpDir: outDir, lastKind: 'mini' });
    const again = createDumpSettingsStore({ configDir: join(dir, 'config') });
    expect(await again.load()).toEqual({ dumpDir: outDir, lastKind: 'mini' });
  });
});
