// `procscope dump` end to end: the CLI is bundled into a temp folder (vite, ~0.5 s) and run as a real process —
// as root for the JSON figures, and as `nobody` for the refusals an unprivileged user meets: another user's
// process, and a folder it cannot write to. Argument parsing is checked in-process.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFixture, REPO_NODE_MODULES } from '../../dump/helper/__fixtures__/bundle-fixture';
import { compileDumpTargetSync, startDumpTarget, type RunningTarget } from '../../dump/linux/__fixtures__/dump-target';
import { CliUsageError } from '../cli-command';
import { parseDumpArgs } from './dump';

const root = join(import.meta.dirname, '..', '..', '..');
const AS_NOBODY = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'];
const NOBODY_UID = 65534;

describe('procscope dump arguments', () => {
  it('parses pid, kind, folder and --json', () => {
    expect(parseDumpArgs(['42'], '/home/x')).toEqual({ pid: 42, kind: 'full', outDir: '/home/x', json: false, pack: true, hash: true, snapshot: false, compress: false });
    expect(parseDumpArgs(['--mini', '42', '--out', 'dumps', '--json'], '/home/x')).toEqual({
      pid: 42,
      kind: 'mini',
      outDir: '/home/x/dumps',
      json: true,
      pack: true,
      hash: true,
      snapshot: false,
      compress: false,
    });
    expect(parseDumpArgs(['7', '--no-pack'], '/').pack).toBe(false);
    expect(parseDumpArgs(['7', '--compress'], '/').compress).toBe(true);
    expect(parseDumpArgs(['7', '--no-hash'], '/').hash).toBe(false);
    expect(parseDumpArgs(['--out=/tmp', '7', '--full'], '/').outDir).toBe('/tmp');
  });

  it('parses --snapshot and ProcDump\'s -r', () => {
    expect(parseDumpArgs(['7'], '/').snapshot).toBe(false);
    expect(parseDumpArgs(['7', '--snapshot'], '/').snapshot).toBe(true);
    expect(parseDumpArgs(['-r', '7'], '/').snapshot).toBe(true);
  });

  it.each([
    [[], /which process/],
    [['abc'], /not a process id/],
    [['0'], /not a process id/],
    [['1', '2'], /one pid only/],
    [['1', '--full', '--mini'], /one of --full and --mini/],
    [['1', '--out'], /--out needs a folder/],
    [['1', '--bogus'], /unknown option '--bogus'/],
  ])('rejects %j', (args, message) => {
    expect(() => parseDumpArgs(args, '/')).toThrow(CliUsageError);
    expect(() => parseDumpArgs(args, '/')).toThrow(message);
  });
});

describe('procscope dump as a process', () => {
  let cliPath: string;
  let exe: string;
  let target: RunningTarget;

  const runCli = (args: string[], wrapper: string[] = []): { status: number | null; stdout: string; stderr: string } => {
    const argv = [...wrapper, process.execPath, cliPath, 'dump', ...args];
    const r = spawnSync(argv[0]!, argv.slice(1), {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, NODE_PATH: REPO_NODE_MODULES },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  beforeAll(async () => {
    // In a folder every user may read: the refusal tests run the CLI as nobody.
    cliPath = await bundleFixture(join(root, 'src-main/cli/cli-entry.ts'));
    exe = compileDumpTargetSync();
    target = await startDumpTarget(exe);
  });
  afterAll(() => {
    try {
      target?.stop();
    } finally {
      rmSync(dirname(cliPath), { recursive: true, force: true });
      if (exe) rmSync(dirname(exe), { recursive: true, force: true });
    }
  });

  it('bad input exits 2 with the usage', () => {
    const r = runCli(['not-a-pid']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/'not-a-pid' is not a process id/);
    expect(r.stderr).toMatch(/Usage: procscope dump <pid>/);
  });

  it('--json prints the figures of the file it wrote', () => {
    const dir = mkdtempSync(join(tmpdir(), 'procscope-cli-out-'));
    try {
      const r = runCli([String(target.pid), '--mini', '--out', dir, '--json']);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const j = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(Object.keys(j).sort()).toEqual(
        [
          'analysisPackPath', 'analysisPackMs', 'bytesOnDisk', 'durationMs', 'fileBytes', 'fileCompleteMs', 'hashDoneMs', 'kind', 'mode',
          'path', 'pauseMs', 'pid', 'sha256', 'targetPauseMs', 'unreadableBytes',
        ].sort(),
      );
      // Issue 15's figures: the pause and mode under their new names, the file complete before the hash was done.
      expect(j.pauseMs).toBe(j.targetPauseMs);
      expect(j.mode).toBe('live');
      expect(j.fileCompleteMs as number).toBeGreaterThan(0);
      expect(j.hashDoneMs as number).toBeGreaterThanOrEqual(j.fileCompleteMs as number);
      // The analysis pack sits beside the core, named after it.
      expect(j.analysisPackPath).toBe(`${j.path as string}.pack`);
      expect(readdirSync(dir).sort()).toEqual([(j.path as string).slice(dir.length + 1), `${(j.path as string).slice(dir.length + 1)}.pack`].sort());
      expect(j.sha256).toBe(createHash('sha256').update(readFileSync(j.path as string)).digest('hex'));
      expect(j.kind).toBe('mini');
      expect(j.targetPauseMs as number).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints the path at once and the SHA-256 line after it; --no-hash prints none and gives JSON sha256 null', () => {
    const dir = mkdtempSync(join(tmpdir(), 'procscope-cli-order-'));
    try {
      // One pipe for both streams, so the order the lines were written in is the order read.
      const r = spawnSync('sh', ['-c', '"$0" "$@" 2>&1', process.execPath, cliPath, 'dump', String(target.pid), '--mini', '--out', dir], {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, NODE_PATH: REPO_NODE_MODULES },
      });
      expect(r.status).toBe(0);
      const lines = r.stdout.trim().split('\n');
      const pathAt = lines.findIndex((l) => l.startsWith(`${dir}/dump-target_${target.pid}_`));
      const hashAt = lines.findIndex((l) => /^SHA-256: [0-9a-f]{64}$/.test(l));
      expect(pathAt).toBe(0);
      expect(hashAt).toBeGreaterThan(pathAt);
      expect(lines[hashAt]).toBe(`SHA-256: ${createHash('sha256').update(readFileSync(lines[pathAt]!)).digest('hex')}`);

      const noHash = runCli([String(target.pid), '--mini', '--out', dir, '--no-hash', '--no-pack', '--json']);
      expect(noHash.status).toBe(0);
      const j = JSON.parse(noHash.stdout) as Record<string, unknown>;
      expect(j).toMatchObject({ sha256: null, hashDoneMs: null, analysisPackPath: null, mode: 'live' });
      expect(j.fileCompleteMs as number).toBeGreaterThan(0);
      const plain = runCli([String(target.pid), '--mini', '--out', dir, '--no-hash']);
      expect(plain.status).toBe(0);
      expect(plain.stderr).not.toMatch(/SHA-256/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('as root (sudo): refuses an --out folder reached through a symbolic link, at the end or on the way, and writes nothing', () => {
    // Someone who may rename in a folder that root's dump goes to could plant the link: root never follows one.
    const dir = mkdtempSync(join(tmpdir(), 'procscope-cli-link-'));
    const real = join(dir, 'real');
    mkdirSync(join(real, 'deeper'), { recursive: true, mode: 0o700 });
    const link = join(dir, 'link');
    symlinkSync(real, link);
    try {
      for (const out of [link, join(link, 'deeper')]) {
        const r = runCli([String(target.pid), '--mini', '--out', out, '--json']);
        expect(r.status, out).toBe(2);
        expect(JSON.parse(r.stdout).error, out).toEqual({
          code: 'bad-request',
          message: `'${link}' is a symbolic link; as root, procscope dump only writes into folders reached without links. Give the real folder.`,
        });
      }
      expect(readdirSync(real)).toEqual(['deeper']);
      expect(readdirSync(join(real, 'deeper'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("as nobody: another user's process needs elevation, and no file is left", () => {
    const dir = mkdtempSync(join(tmpdir(), 'procscope-cli-nobody-'));
    chownSync(dir, NOBODY_UID, NOBODY_UID);
    try {
      const r = runCli([String(target.pid), '--out', dir, '--json'], AS_NOBODY);
      expect(r.status).toBe(1);
      const j = JSON.parse(r.stdout) as { error: { code: string; message: string } };
      expect(j.error.code).toBe('needs-elevation');
      expect(j.error.message).toMatch(/belongs to another user \(uid 0\); you are uid 65534\. Dump it elevated/);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('as nobody: its own process dumps, but not into a folder it cannot write', async () => {
    const own = await startDumpTarget(exe, 0, AS_NOBODY);
    const dir = mkdtempSync(join(tmpdir(), 'procscope-cli-rootdir-'));
    chmodSync(dir, 0o755);
    const writable = mkdtempSync(join(tmpdir(), 'procscope-cli-nobodydir-'));
    chownSync(writable, NOBODY_UID, NOBODY_UID);
    try {
      const refused = runCli([String(own.pid), '--mini', '--out', dir, '--json'], AS_NOBODY);
      expect(refused.status).toBe(1);
      expect(JSON.parse(refused.stdout).error.code).toBe('folder-unwritable');
      expect(refused.stderr).toMatch(/cannot create a file in that folder \(EACCES\)/);
      expect(readdirSync(dir)).toEqual([]);

      const ok = runCli([String(own.pid), '--mini', '--out', writable], AS_NOBODY);
      expect(ok.status).toBe(0);
      expect(ok.stdout.trim()).toMatch(new RegExp(`^${writable}/dump-target_${own.pid}_\\d{8}_\\d{6}_mini\\.core$`));
      expect(ok.stderr).toMatch(/passwords, tokens, keys/);
      expect(await own.command('ticks')).toMatch(/^ticks \d+$/);
    } finally {
      own.stop();
      rmSync(dir, { recursive: true, force: true });
      rmSync(writable, { recursive: true, force: true });
    }
  });
});
