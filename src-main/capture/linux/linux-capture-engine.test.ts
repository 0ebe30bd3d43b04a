// The Linux capture engine against real processes (root, gcc, gdb): a C parent whose pre-existing pthread makes the
// children, watched in this process with the real core writer; cores judged by gdb and by their own ELF notes.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureEvent, CaptureRule } from '../../../src-shared/model/capture';
import { bootTimeMsSync, readProcessStartTimeMs } from '../../platform/linux/proc-start-time';
import { testCaptureRule } from '../__fixtures__/capture-rule-fixture';
import { corePid } from '../__fixtures__/core-pid';
import type { CaptureWatch } from '../capture-engine';
import { compileCaptureParentSync, startCaptureParent, type RunningParent } from './__fixtures__/capture-parent';
import { createLinuxCaptureEngine, type HeldCoreWriter } from './linux-capture-engine';

let fixture: { dir: string; exe: string };
let outDir = '';
const parents: RunningParent[] = [];
const watches: CaptureWatch[] = [];

beforeAll(() => {
  fixture = compileCaptureParentSync();
});
afterAll(() => rmSync(fixture.dir, { recursive: true, force: true }));
afterEach(async () => {
  for (const w of watches.splice(0)) await w.stop();
  for (const p of parents.splice(0)) p.kill();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
  outDir = '';
});

function ruleFor(pid: number, over: Partial<CaptureRule>): CaptureRule {
  outDir = mkdtempSync(join(tmpdir(), 'procscope-capture-'));
  return testCaptureRule({ pid, startTimeMs: readProcessStartTimeMs(pid)! }, outDir, { holdTimeoutMs: 30_000, timeoutMs: 50_000, ...over });
}

async function watchParent(args: string[], over: Partial<CaptureRule>, writer?: HeldCoreWriter) {
  const parent = await startCaptureParent(fixture.exe, args);
  parents.push(parent);
  const events: CaptureEvent[] = [];
  const watch = await createLinuxCaptureEngine({ writeHeldCore: writer }).start(ruleFor(parent.pid, over), (e) => events.push(e));
  watches.push(watch);
  const t0 = performance.now();
  parent.go();
  const code = await parent.exited;
  const reason = await watch.finished;
  return { parent, events, code, reason, wallMs: performance.now() - t0 };
}

const of = <K extends CaptureEvent['event']>(events: CaptureEvent[], kind: K) => events.filter((e): e is Extract<CaptureEvent, { event: K }> => e.event === kind);

/** One gdb run over several cores: the process id gdb reports for each (`info inferiors` after `core-file`). */
function gdbPids(exe: string, cores: string[]): number[] {
  const args = ['-batch', '-nx', exe];
  for (const c of cores) args.push('-ex', `core-file ${c}`, '-ex', 'info inferiors');
  const r = spawnSync('gdb', args, { encoding: 'utf8', timeout: 60_000 });
  return [...r.stdout.matchAll(/^\*\s+1\s+process (\d+)/gm)].map((m) => Number(m[1]));
}

describe('Linux capture engine', () => {
  it('200 sub-ms children forked from a pre-existing pthread: 200 seen, 200 exited with their codes, 200 exit cores', async () => {
    const { parent, events, code, reason } = await watchParent(['forks', '200'], {});
    expect(code).toBe(0);
    expect(reason).toBe('target-exited');
    const results = parent.results();
    expect(results.size).toBe(200);
    const seen = of(events, 'seen');
    const exited = of(events, 'exited');
    const dumps = of(events, 'dump');
    expect(seen.length).toBe(200);
    expect(exited.length).toBe(200);
    expect(dumps.length).toBe(200);
    // Each dumped child was first reported held for its exit dump, before its dump.
    const heldAt = new Map(of(events, 'held').map((h) => [h.pid, events.indexOf(h)]));
    expect(of(events, 'held').every((h) => h.trigger === 'exit')).toBe(true);
    expect(dumps.every((d) => (heldAt.get(d.pid) ?? Infinity) < events.indexOf(d))).toBe(true);
    expect(heldAt.size).toBe(200);
    expect(of(events, 'error')).toEqual([]);
    for (const e of exited) expect(`exit ${e.exitCode}`).toBe(results.get(e.pid));
    expect(new Set(exited.map((e) => e.exitCode)).size).toBe(200);
    expect(events[0]!.event).toBe('armed');
    expect(events.at(-1)).toMatchObject({ event: 'done', reason: 'target-exited', seenCount: 200, dumpCount: 200 });
    // Our header + notes check on all 200, gdb on a sample of 20 in one run.
    for (const d of dumps) {
      expect(d.trigger).toBe('exit');
      expect(d.path).toContain('-at-exit_');
      expect(corePid(d.path)).toBe(d.pid);
    }
    expect(readdirSync(outDir).length).toBe(200);
    const sample = dumps.filter((_, i) => i % 10 === 0);
    expect(gdbPids(fixture.exe, sample.map((d) => d.path))).toEqual(sample.map((d) => d.pid));
  });

  it("forked children are seen with their parent's name and command line, their ppid and their own start time (read after their birth stop)", async () => {
    const { parent, events } = await watchParent(['forks', '20'], { triggers: ['crash'], scope: 'self-and-descendants' });
    const seen = of(events, 'seen');
    const target = seen.find((e) => e.pid === parent.pid)!;
    const children = seen.filter((e) => e.pid !== parent.pid);
    expect(children.length).toBe(20);
    const bootMs = bootTimeMsSync();
    for (const e of children) {
      expect([e.ppid, e.name, e.cmdline]).toEqual([parent.pid, target.name, target.cmdline]);
      // /proc's start time: on the clock-tick grid since boot, not after the event was written, not before the parent.
      expect((e.startTimeMs - bootMs) % 10).toBe(0);
      expect(e.startTimeMs).toBeGreaterThanOrEqual(target.startTimeMs);
      expect(e.startTimeMs).toBeLessThanOrEqual(e.atMs);
    }
  });

  it('a child dying of SIGSEGV: crash dump whose faulting frame gdb names, and the child still dies of signal 11', async () => {
    const { parent, events } = await watchParent(['segv'], { triggers: ['crash'] });
    const [pid, result] = [...parent.results()][0] ?? [0, 'no child reported'];
    expect(result).toBe('signal 11');
    const dumps = of(events, 'dump');
    expect(dumps.map((d) => [d.pid, d.trigger])).toEqual([[pid, 'crash']]);
    const gdb = spawnSync('gdb', ['-batch', '-nx', '-ex', 'bt', fixture.exe, dumps[0]!.path], { encoding: 'utf8', timeout: 30_000 });
    expect(gdb.stdout).toMatch(/terminated with signal SIGSEGV/);
    expect(gdb.stdout).toMatch(/^#0\s+.*crash_here/m);
    expect(of(events, 'exited')).toMatchObject([{ pid, exitCode: null, signal: 'SIGSEGV' }]);
  });

  it('without the exit trigger nothing stops at exit: 50 children exec /bin/sh and end at once, each seen as sh with its command line and exited with its code', async () => {
    // The exec is read while its stop holds it: no exit stop would catch a process that ends before a later read.
    const { parent, events } = await watchParent(['execs', '50'], { triggers: ['crash'], nameGlob: 'sh' });
    const results = parent.results();
    expect(results.size).toBe(50);
    const seen = of(events, 'seen');
    expect(seen.length).toBe(50);
    for (const e of seen) {
      expect(e.name).toBe('sh');
      expect(e.cmdline).toMatch(/^\/bin\/sh -c exit \$1 sh \d+$/);
    }
    const exited = of(events, 'exited');
    expect(exited.length).toBe(50);
    for (const e of exited) expect(`exit ${e.exitCode}`).toBe(results.get(e.pid));
    expect(new Set(exited.map((e) => e.exitCode)).size).toBe(50);
    expect(of(events, 'error')).toEqual([]);
  });

  it('without the exit trigger, a child whose main thread ends with pthread_exit has exited only when its last thread does, with that code', async () => {
    // With exit stops, the leader's PTRACE_EVENT_EXIT comes at its pthread_exit (status 0), 300 ms too early.
    const { parent, events } = await watchParent(['leader-exit', '300'], { triggers: ['crash'] });
    const [pid, result] = [...parent.results()][0] ?? [0, 'no child reported'];
    expect(result).toBe('exit 5');
    const exited = of(events, 'exited').filter((e) => e.pid === pid);
    expect(exited).toMatchObject([{ exitCode: 5, signal: null }]);
    expect(exited[0]!.lifetimeMs).toBeGreaterThanOrEqual(290);
  });

  it('as root, an --out folder reached through a symlink is refused before anything is held, and nothing lands behind the link', async () => {
    // Someone planted a link where root will write (say in /tmp): root's dumps must not follow it to another folder.
    const base = mkdtempSync(join(tmpdir(), 'procscope-capture-link-'));
    try {
      const elsewhere = join(base, 'root-only');
      mkdirSync(elsewhere, { mode: 0o700 });
      const link = join(base, 'dumps');
      symlinkSync(elsewhere, link);
      const parent = await startCaptureParent(fixture.exe, ['codes', '3']);
      parents.push(parent);
      const events: CaptureEvent[] = [];
      const start = createLinuxCaptureEngine().start({ ...ruleFor(parent.pid, {}), outDir: link }, (e) => events.push(e));
      await expect(start).rejects.toMatchObject({ code: 'bad-request', message: expect.stringMatching(/symbolic link/) });
      expect(events).toEqual([]);
      parent.go();
      expect(await parent.exited).toBe(0);
      expect([...parent.results().values()]).toEqual(['exit 3']);
      expect(readdirSync(elsewhere)).toEqual([]);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('exitNonZeroOnly: the exit-3 child is dumped, the exit-0 child is not; both are seen and exited', async () => {
    const { parent, events } = await watchParent(['codes', '0', '3'], { exitNonZeroOnly: true });
    const byCode = new Map([...parent.results()].map(([pid, r]) => [r, pid]));
    expect([...byCode.keys()].sort()).toEqual(['exit 0', 'exit 3']);
    expect(of(events, 'dump').map((d) => d.pid)).toEqual([byCode.get('exit 3')]);
    // The exit-0 child was stopped at its exit only to be let go: no held event for it.
    expect(of(events, 'held').map((h) => [h.pid, h.trigger])).toEqual([[byCode.get('exit 3'), 'exit']]);
    expect(of(events, 'exited').map((e) => e.exitCode).sort()).toEqual([0, 3]);
    expect(readdirSync(outDir).length).toBe(1);
  });

  it('the hold deadline releases a child whose dump does not finish; it then exits with its own code', async () => {
    let aborted = false;
    // A writer that never finishes on its own: only the engine's deadline (through the abort signal) ends it.
    const stuck: HeldCoreWriter = (_req, _held, opts) =>
      new Promise((_resolve, reject) =>
        opts.signal!.addEventListener('abort', () => {
          aborted = true;
          reject(new Error('aborted'));
        }),
      );
    const { parent, events, wallMs } = await watchParent(['codes', '5'], { holdTimeoutMs: 400 }, stuck);
    expect([...parent.results().values()]).toEqual(['exit 5']);
    expect(aborted).toBe(true);
    expect(wallMs).toBeGreaterThanOrEqual(390);
    expect(of(events, 'dump')).toEqual([]);
    const errors = of(events, 'error');
    expect(errors.length).toBe(1);
    expect(errors[0]!.error.message).toMatch(/held 400 ms at exit .* released undumped/);
    const held = of(events, 'held');
    expect(held.map((h) => [h.pid, h.trigger, h.deadlineMs - h.atMs])).toEqual([[errors[0]!.pid, 'exit', expect.closeTo(400, -1)]]);
    expect(events.indexOf(held[0]!)).toBeLessThan(events.indexOf(errors[0]!));
    expect(of(events, 'exited')).toMatchObject([{ exitCode: 5 }]);
  });
});
