// The Linux core writer's refusals, against real processes: each gives its code and sentence, leaves no file, and
// leaves the target running. (Another user's process and an unwritable folder run as `nobody`: see the CLI's
// dump.test.ts.)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DUMP_NAME_ATTEMPTS, dumpFileName, type DumpErrorCode, type DumpRequest } from '../../../src-shared/model/dump';
import { readProcessStartTimeMs } from '../../platform/linux/proc-start-time';
import { DumpError, type DumpWriteOptions } from '../dump-writer';
import { compileDumpTargetSync, startDumpTarget, type RunningTarget } from './__fixtures__/dump-target';
import { createLinuxCoreWriter } from './linux-core-writer';

async function expectDumpError(request: DumpRequest, code: DumpErrorCode, options?: DumpWriteOptions): Promise<DumpError> {
  try {
    await createLinuxCoreWriter().write(request, options);
  } catch (err) {
    expect(err).toBeInstanceOf(DumpError);
    expect((err as DumpError).code).toBe(code);
    return err as DumpError;
  }
  throw new Error(`expected a '${code}' DumpError, but the dump succeeded`);
}

describe('Linux ELF core writer refusals', () => {
  let exe: string;
  let outDir: string;
  let target: RunningTarget;
  let startTimeMs: number;

  beforeAll(async () => {
    exe = compileDumpTargetSync();
    outDir = mkdtempSync(join(tmpdir(), 'procscope-dump-errors-'));
    target = await startDumpTarget(exe);
    startTimeMs = readProcessStartTimeMs(target.pid)!;
  });
  afterAll(() => {
    try {
      target?.stop();
    } finally {
      rmSync(outDir, { recursive: true, force: true });
      if (exe) rmSync(dirname(exe), { recursive: true, force: true });
    }
  });

  it('refuses a pid that has exited', async () => {
    const child = spawn('true');
    const pid = child.pid!;
    await new Promise((r) => child.on('exit', r));
    const err = await expectDumpError({ pid, startTimeMs: Date.now(), kind: 'full', outDir }, 'process-gone');
    expect(err.message).toMatch(/has exited/);
    expect(readdirSync(outDir)).toEqual([]);
  });

  it('refuses a recycled pid (the start time does not match)', async () => {
    const err = await expectDumpError({ pid: target.pid, startTimeMs: startTimeMs - 10_000, kind: 'full', outDir }, 'pid-recycled');
    expect(err.message).toMatch(/pid now belongs to a newer process/);
    expect(readdirSync(outDir)).toEqual([]);
  });

  it('never overwrites an existing file: the dump takes the next free name, and only a full set of names is refused', async () => {
    // The name carries the second it was made: occupy this second and the next few.
    const seconds = [0, 1, 2, 3].map((s) => new Date(Date.now() + s * 1000));
    const taken = seconds.map((at) => dumpFileName('occupied', target.pid, 'mini', 'core', at));
    for (const n of taken) writeFileSync(join(outDir, n), 'keep me');
    try {
      const result = await createLinuxCoreWriter().write({ pid: target.pid, startTimeMs, kind: 'mini', outDir }, { nameHint: 'occupied' });
      expect(basename(result.path)).toMatch(new RegExp(`^occupied_${target.pid}_\\d{8}_\\d{6}_mini_2\\.core$`));
      expect(readFileSync(result.path).subarray(0, 4).toString('latin1')).toBe('\x7fELF');
      for (const n of taken) expect(readFileSync(join(outDir, n), 'utf8')).toBe('keep me');
      rmSync(result.path);
      // Its analysis pack takes the core's name: created as exclusively, so it too replaced nothing.
      expect(result.analysisPackPath).toBe(`${result.path}.pack`);
      rmSync(`${result.path}.pack`);

      for (const at of seconds) {
        for (let attempt = 2; attempt <= DUMP_NAME_ATTEMPTS; attempt++) {
          writeFileSync(join(outDir, dumpFileName('occupied', target.pid, 'mini', 'core', at, attempt)), 'keep me');
        }
      }
      const all = readdirSync(outDir).sort();
      expect(all).toHaveLength(seconds.length * DUMP_NAME_ATTEMPTS);
      const err = await expectDumpError({ pid: target.pid, startTimeMs, kind: 'mini', outDir }, 'file-exists', { nameHint: 'occupied' });
      expect(err.message).toMatch(/already exists, and so do the \d+ names Procscope tries after it\. Procscope never overwrites a file/);
      expect(readdirSync(outDir).sort()).toEqual(all);
      for (const n of all) expect(readFileSync(join(outDir, n), 'utf8')).toBe('keep me');
    } finally {
      for (const n of readdirSync(outDir)) rmSync(join(outDir, n), { force: true });
    }
  });

  it('refuses a folder it cannot create the file in', async () => {
    const missing = join(outDir, 'no-such-folder');
    const err = await expectDumpError({ pid: target.pid, startTimeMs, kind: 'mini', outDir: missing }, 'folder-unwritable');
    expect(err.message).toMatch(/Choose a folder you can write to/);
    expect(readdirSync(outDir)).toEqual([]);
  });

  it('refuses up front when the disk cannot hold the dump (a 16 MiB tmpfs)', async () => {
    const small = mkdtempSync(join(tmpdir(), 'procscope-small-disk-'));
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', small]).status).toBe(0);
    try {
      const err = await expectDumpError({ pid: target.pid, startTimeMs, kind: 'full', outDir: small }, 'disk-full');
      expect(err.message).toMatch(/needs about \d+ MiB but .* has 16 MiB free\. Free some space or choose another folder/);
      expect(readdirSync(small)).toEqual([]);
    } finally {
      spawnSync('umount', [small]);
      rmSync(small, { recursive: true, force: true });
    }
  });

  it('refuses bad requests with a sentence', async () => {
    await expectDumpError({ pid: -4, startTimeMs, kind: 'full', outDir }, 'bad-request');
    await expectDumpError({ pid: target.pid, startTimeMs, kind: 'huge' as 'full', outDir }, 'bad-request');
    await expectDumpError({ pid: target.pid, startTimeMs, kind: 'full', outDir: 'relative/dir' }, 'bad-request');
  });

  it('names the debugger that already traces the process, and leaves it alone', async () => {
    const gdb = spawn('gdb', ['-batch', '-nx', '-p', String(target.pid), '-ex', 'shell sleep 4'], { stdio: 'ignore' });
    try {
      const deadline = Date.now() + 20_000;
      const tracer = (): number => Number(/^TracerPid:\s+(\d+)/m.exec(readFileSync(`/proc/${target.pid}/status`, 'latin1'))?.[1]);
      while (tracer() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(tracer()).toBeGreaterThan(0);
      const err = await expectDumpError({ pid: target.pid, startTimeMs, kind: 'mini', outDir }, 'already-traced');
      expect(err.message).toMatch(/already being debugged by gdb \(pid \d+\)/);
      expect(readdirSync(outDir)).toEqual([]);
    } finally {
      await new Promise((r) => (gdb.exitCode === null ? gdb.on('exit', r) : r(null)));
    }
    // gdb detached: the target runs on and answers.
    expect(await target.command('ticks')).toMatch(/^ticks \d+$/);
  });
});
