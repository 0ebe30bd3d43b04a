// `procscope pack` through the CLI's own dispatcher: a real mini core of a running `sleep` (our writer, with its
// analysis pack) gets a .zst, a .pack.zst and a manifest whose process fields come from the core's own notes; a
// non-dump, a taken output name and bad arguments answer one sentence and write nothing.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zstdDecompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UploadPackageManifest } from '../../../src-shared/model/upload-package';
import { createLinuxCoreWriter } from '../../dump/linux/linux-core-writer';
import { readProcessStartTimeMs } from '../../platform/linux/proc-start-time';
import { CliUsageError } from '../cli-command';
import { runCli } from '../main';
import { parsePackArgs } from './pack';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe('procscope pack arguments', () => {
  it('parses the file, --json and --level', () => {
    expect(parsePackArgs(['core', '--json', '--level', '1'], '/w')).toEqual({ file: '/w/core', json: true, level: 1 });
    expect(parsePackArgs(['/x/core'], '/w')).toEqual({ file: '/x/core', json: false, level: 3 });
  });
  it.each([
    [[], /which dump/],
    [['a', 'b'], /one dump file at a time/],
    [['a', '--level', '0'], /from 1 to 19/],
    [['a', '--level', '20'], /from 1 to 19/],
    [['a', '--level'], /from 1 to 19/],
    [['a', '--fast'], /unknown option '--fast'/],
  ])('rejects %j', (args, message) => {
    expect(() => parsePackArgs(args, '/')).toThrow(CliUsageError);
    expect(() => parsePackArgs(args, '/')).toThrow(message);
  });
});

describe.runIf(process.platform === 'linux')('procscope pack on a real core', () => {
  let dir: string;
  let pid: number;
  let core: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'procscope-pack-cli-'));
    // A grandchild (the shell exits at once), so the core writer's ptrace stop is not reported to this process.
    pid = Number(spawnSync('sh', ['-c', 'sleep 60 >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' }).stdout.trim());
    core = (await createLinuxCoreWriter().write({ pid, startTimeMs: readProcessStartTimeMs(pid)!, kind: 'mini', outDir: dir })).path;
  });
  afterAll(() => {
    if (pid) spawnSync('kill', ['-9', String(pid)]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes the .zst, the pack\'s .zst and a manifest read from the core\'s notes', async () => {
    const r = await cli(['pack', core, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { zstPath: string; packZstPath: string | null; manifestPath: string; manifest: UploadPackageManifest };
    expect(out.zstPath).toBe(`${core}.zst`);
    const original = readFileSync(core);
    expect(sha(zstdDecompressSync(readFileSync(out.zstPath)))).toBe(sha(original));
    const m = JSON.parse(readFileSync(out.manifestPath, 'utf8')) as UploadPackageManifest;
    expect(m).toEqual(out.manifest);
    expect(m.process.name).toBe('sleep');
    expect(m.process.pid).toBe(pid);
    expect(Math.abs(Date.parse(m.process.startTime!) - readProcessStartTimeMs(pid)!)).toBeLessThan(1000);
    expect(m.dump).toMatchObject({ format: 'elf-core', kind: 'mini', mode: null, pauseMs: null, bytes: original.length, sha256: sha(original) });
    // Our writer leaves <core>.pack beside the core; the package carries it as its own .zst.
    if (readdirSync(dir).includes(`${core.split('/').pop()}.pack`)) {
      expect(out.packZstPath).toBe(`${core}.pack.zst`);
      expect(sha(zstdDecompressSync(readFileSync(out.packZstPath!)))).toBe(sha(readFileSync(`${core}.pack`)));
      expect(m.analysisPack?.sha256).toBe(sha(readFileSync(`${core}.pack`)));
    } else {
      expect(out.packZstPath).toBeNull();
    }
    // zstd itself (where installed) reads the frame and its checksum.
    const z = spawnSync('zstd', ['-t', '-q', out.zstPath]);
    if (!z.error) expect(z.status).toBe(0);

    // Again: every output name is taken now, so nothing is replaced and the answer is one sentence, exit 1.
    const before = readdirSync(dir).sort();
    const again = await cli(['pack', core]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^procscope pack: .*\.zst already exists; move or delete it first/);
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('refuses a file that is not a dump and writes nothing', async () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not a dump');
    const before = readdirSync(dir).sort();
    const r = await cli(['pack', text]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`procscope pack: ${text} is not a dump: it starts with neither an ELF header (a Linux core) nor MDMP (a Windows minidump).\n`);
    expect(readdirSync(dir).sort()).toEqual(before);
    const usage = await cli(['pack']);
    expect(usage.code).toBe(2);
  });
});

describe.runIf(process.platform === 'linux')('procscope dump --compress', () => {
  let dir: string;
  let pid: number;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'procscope-dump-compress-'));
    pid = Number(spawnSync('sh', ['-c', 'sleep 60 >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' }).stdout.trim());
  });
  afterAll(() => {
    if (pid) spawnSync('kill', ['-9', String(pid)]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes the dump, then its package with the job\'s pid, start time, kind, mode, pause and hash', async () => {
    const r = await cli(['dump', String(pid), '--mini', '--out', dir, '--json', '--compress']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { path: string; sha256: string; pauseMs: number; mode: string; package: { zstPath: string; manifestPath: string; sha256: string } };
    expect(j.package.zstPath).toBe(`${j.path}.zst`);
    const zst = readFileSync(j.package.zstPath);
    expect(j.package.sha256).toBe(sha(zst));
    expect(sha(zstdDecompressSync(zst))).toBe(j.sha256);
    const m = JSON.parse(readFileSync(j.package.manifestPath, 'utf8')) as UploadPackageManifest;
    expect(m.process).toMatchObject({ name: 'sleep', pid });
    expect(Date.parse(m.process.startTime!)).toBe(readProcessStartTimeMs(pid));
    expect(m.dump).toMatchObject({ kind: 'mini', mode: j.mode, pauseMs: j.pauseMs, sha256: j.sha256 });
  });
});
