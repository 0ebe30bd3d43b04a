// `procscope watch` with the sampled triggers (ProcDump -c, -m, -n/-s) end to end on Linux: the CLI is bundled and
// run as a real process with the real engine against real processes that keep running. A busy shell loop (100 % of
// one core) crosses --cpu 50 -s 2 and gets one core gdb opens with its pid, about 2 s after arming and never
// before; a node process that allocates 200 MB after 1.5 s crosses --memory 150 and gets one; -n 3 -s 1 on an idle
// sleep gives 3 cores about 1 s apart. Every target is alive and untraced afterwards: nothing is killed. Root + gdb.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureEvent } from '../../../src-shared/model/capture';
import { bundleFixture } from '../../dump/helper/__fixtures__/bundle-fixture';
import { startWatchCli } from './__fixtures__/watch-cli';

const root = join(import.meta.dirname, '..', '..', '..');
let cliPath = '';
let outDir = '';
const started: ChildProcess[] = [];

function start(cmd: string, args: string[]): ChildProcess {
  const child = spawn(cmd, args, { stdio: 'ignore' });
  started.push(child);
  return child;
}

/** Runs the CLI to its end and returns its JSON events and exit code. */
async function watch(args: string[]): Promise<{ code: number | null; events: CaptureEvent[]; stderr: string }> {
  const cli = startWatchCli(cliPath, args, started);
  const code = await cli.exited;
  return { code, events: cli.events, stderr: cli.stderr() };
}

const dumps = (events: CaptureEvent[]) => events.filter((e): e is Extract<CaptureEvent, { event: 'dump' }> => e.event === 'dump');
const tracerOf = (pid: number): number => Number(/^TracerPid:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? -1);
const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;
const gdbSees = (exe: string, core: string, pid: number) => {
  const gdb = spawnSync('gdb', ['-batch', '-nx', exe, core], { encoding: 'utf8', timeout: 60_000 });
  return new RegExp(`LWP ${pid}\\b`).test(gdb.stdout + gdb.stderr);
};

describe.runIf(process.platform === 'linux' && process.getuid?.() === 0)('procscope watch --cpu / --memory / -n -s (Linux, real engine)', () => {
  beforeAll(async () => {
    cliPath = await bundleFixture(join(root, 'src-main/cli/cli-entry.ts'));
  });
  afterEach(() => {
    for (const c of started.splice(0)) if (alive(c)) c.kill('SIGKILL');
    if (outDir) rmSync(outDir, { recursive: true, force: true });
    outDir = '';
  });
  afterAll(() => {
    if (cliPath) rmSync(dirname(cliPath), { recursive: true, force: true });
  });

  it('a busy loop crosses --cpu 50 for 2 s and gets one cpu core dump gdb opens; it runs on untraced', async () => {
    outDir = mkdtempSync(join(tmpdir(), 'procscope-watch-cpu-'));
    const busy = start('/bin/sh', ['-c', 'while :; do :; done']);
    await new Promise((r) => setTimeout(r, 200));
    const r = await watch([String(busy.pid), '-c', '50', '-s', '2', '--mini', '--out', outDir, '--timeout', '30', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const armed = r.events.find((e) => e.event === 'armed')!;
    const d = dumps(r.events);
    expect(d.map((x) => [x.pid, x.trigger])).toEqual([[busy.pid, 'cpu']]);
    expect(d[0]!.path).toMatch(/-at-cpu/);
    // A baseline sample, then 2 consecutive busy seconds: not before ~2 s.
    expect(d[0]!.atMs - armed.atMs).toBeGreaterThanOrEqual(1800);
    expect(d[0]!.atMs - armed.atMs).toBeLessThan(10_000);
    expect(r.events.at(-1)).toMatchObject({ event: 'done', reason: 'max-dumps', dumpCount: 1 });
    expect(gdbSees('/bin/sh', d[0]!.path, busy.pid!)).toBe(true);
    expect(alive(busy)).toBe(true);
    expect(tracerOf(busy.pid!)).toBe(0);
  }, 60_000);

  it('an idle process never crosses --cpu 50: no dump before --timeout', async () => {
    outDir = mkdtempSync(join(tmpdir(), 'procscope-watch-cpu-'));
    const idle = start('/bin/sleep', ['60']);
    const r = await watch([String(idle.pid), '-c', '50', '-s', '1', '--out', outDir, '--timeout', '3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(dumps(r.events)).toEqual([]);
    expect(r.events.at(-1)).toMatchObject({ event: 'done', reason: 'timeout' });
    expect(alive(idle)).toBe(true);
  }, 30_000);

  it('a process allocating past --memory 150 gets one memory dump, only after it allocated', async () => {
    outDir = mkdtempSync(join(tmpdir(), 'procscope-watch-mem-'));
    const script = 'const k=[];setTimeout(()=>k.push(Buffer.alloc(200*1024*1024,1)),1500);setInterval(()=>k.length,1000)';
    const grower = start(process.execPath, ['-e', script]);
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    const r = await watch([String(grower.pid), '-m', '150', '--mini', '--out', outDir, '--timeout', '30', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const d = dumps(r.events);
    expect(d.map((x) => [x.pid, x.trigger])).toEqual([[grower.pid, 'memory']]);
    expect(d[0]!.atMs - t0).toBeGreaterThanOrEqual(1000);
    expect(gdbSees(process.execPath, d[0]!.path, grower.pid!)).toBe(true);
    expect(alive(grower)).toBe(true);
    expect(tracerOf(grower.pid!)).toBe(0);
  }, 60_000);

  it('-n 3 -s 1 on an idle process: a series of 3 cores about 1 s apart, then done', async () => {
    outDir = mkdtempSync(join(tmpdir(), 'procscope-watch-series-'));
    const idle = start('/bin/sleep', ['60']);
    const r = await watch([String(idle.pid), '-n', '3', '-s', '1', '--mini', '--out', outDir, '--timeout', '30', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const d = dumps(r.events);
    expect(d.map((x) => [x.pid, x.trigger])).toEqual([[idle.pid, 'series'], [idle.pid, 'series'], [idle.pid, 'series']]);
    expect(new Set(d.map((x) => x.path)).size).toBe(3);
    const gaps = [d[1]!.atMs - d[0]!.atMs, d[2]!.atMs - d[1]!.atMs];
    for (const g of gaps) {
      expect(g).toBeGreaterThanOrEqual(800);
      expect(g).toBeLessThan(2500);
    }
    expect(r.events.at(-1)).toMatchObject({ event: 'done', reason: 'max-dumps', dumpCount: 3 });
    for (const x of d) expect(gdbSees('/bin/sleep', x.path, idle.pid!)).toBe(true);
    expect(alive(idle)).toBe(true);
    expect(tracerOf(idle.pid!)).toBe(0);
  }, 60_000);
});
