// The Linux capture engine's fanotify exec mode (rule.execPaths) against real processes (root, gcc, gdb): the watched
// parent is never traced; its children that exec the named binary are seized inside execve, before FAN_ALLOW, and
// then dumped as ptrace mode's descendants. Also the attacks on the binary list, and what is not seen.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_EXEC_PATHS, type CaptureEvent, type CaptureRule } from '../../../src-shared/model/capture';
import { readProcessStartTimeMs } from '../../platform/linux/proc-start-time';
import { testCaptureRule } from '../__fixtures__/capture-rule-fixture';
import { corePid } from '../__fixtures__/core-pid';
import type { CaptureWatch } from '../capture-engine';
import { compileCaptureRule } from '../capture-rule';
import { compileExecFixturesSync, startExecParent, type ExecFixtures, type ExecParent } from './__fixtures__/exec-parent';
import { createLinuxCaptureEngine, FANOTIFY_CAPTURE_MECHANISM, type HeldCoreWriter } from './linux-capture-engine';

let fx: ExecFixtures;
let outDir = '';
const parents: ExecParent[] = [];
const watches: CaptureWatch[] = [];
const scratch: string[] = [];

beforeAll(() => {
  fx = compileExecFixturesSync();
});
afterAll(() => rmSync(fx.dir, { recursive: true, force: true }));
afterEach(async () => {
  for (const w of watches.splice(0)) await w.stop();
  for (const p of parents.splice(0)) p.kill();
  for (const d of scratch.splice(0)) rmSync(d, { recursive: true, force: true });
  if (outDir) rmSync(outDir, { recursive: true, force: true });
  outDir = '';
});

const of = <K extends CaptureEvent['event']>(events: CaptureEvent[], kind: K) => events.filter((e): e is Extract<CaptureEvent, { event: K }> => e.event === kind);

function ruleFor(pid: number, over: Partial<CaptureRule>): CaptureRule {
  outDir ||= mkdtempSync(join(tmpdir(), 'procscope-exec-capture-'));
  return testCaptureRule({ pid, startTimeMs: readProcessStartTimeMs(pid)! }, outDir, { holdTimeoutMs: 20_000, timeoutMs: 30_000, execPaths: [fx.target], ...over });
}

async function watchNewParent(over: Partial<CaptureRule> = {}, writer?: HeldCoreWriter) {
  const parent = await startExecParent(fx.parent);
  parents.push(parent);
  const events: CaptureEvent[] = [];
  const watch = await createLinuxCaptureEngine({ writeHeldCore: writer }).start(ruleFor(parent.pid, over), (e) => events.push(e));
  watches.push(watch);
  return { parent, events, watch };
}

function tracerPid(pid: number): number {
  return Number(/^TracerPid:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))![1]);
}

/** One gdb run over several cores: the process id gdb reports for each (`info inferiors` after `core-file`). */
function gdbPids(exe: string, cores: string[]): number[] {
  const args = ['-batch', '-nx', exe];
  for (const c of cores) args.push('-ex', `core-file ${c}`, '-ex', 'info inferiors');
  const r = spawnSync('gdb', args, { encoding: 'utf8', timeout: 60_000 });
  return [...r.stdout.matchAll(/^\*\s+1\s+process (\d+)/gm)].map((m) => Number(m[1]));
}

function refusal(over: Partial<CaptureRule>, platform: NodeJS.Platform = 'linux'): string | null {
  try {
    compileCaptureRule(testCaptureRule({ pid: 4242, startTimeMs: 1 }, tmpdir(), { execPaths: [fx.target], ...over }), platform);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

describe('fanotify exec mode: the binary list is checked before anything is marked', () => {
  it('refuses a relative path, /proc/self/exe, a directory, 17 paths, dots, a repeat, another scope, and Windows', () => {
    expect(refusal({})).toBeNull();
    expect(refusal({ execPaths: ['exec-target'] })).toMatch(/not an absolute path/);
    expect(refusal({ execPaths: ['/proc/self/exe'] })).toMatch(/under \/proc/);
    expect(refusal({ execPaths: [fx.dir] })).toMatch(/not a regular file/);
    expect(refusal({ execPaths: Array.from({ length: MAX_EXEC_PATHS + 1 }, () => fx.target) })).toMatch(/1 to 16 binaries/);
    expect(refusal({ execPaths: [] })).toMatch(/1 to 16 binaries/);
    expect(refusal({ execPaths: [`${fx.dir}/../${fx.dir.split('/').pop()}/exec-target`] })).toMatch(/not a plain absolute path/);
    expect(refusal({ execPaths: [fx.dir.replace('/', '//') + '/exec-target'] })).toMatch(/not a plain absolute path/);
    expect(refusal({ execPaths: [fx.target, fx.target] })).toMatch(/names a binary twice/);
    expect(refusal({ execPaths: [join(fx.dir, 'missing')] })).toMatch(/does not exist/);
    expect(refusal({ scope: 'self-and-descendants' })).toMatch(/descendants only/);
    expect(refusal({}, 'win32')).toMatch(/Linux only: on Windows the job object/);
  });

  it('a symlink swapped for a FIFO after validation is refused without blocking; one swapped for a directory too', async () => {
    const base = mkdtempSync(join(tmpdir(), 'procscope-exec-link-'));
    scratch.push(base);
    const link = join(base, 'pwsh');
    symlinkSync(fx.target, link);
    const parent = await startExecParent(fx.parent);
    parents.push(parent);
    const rule = ruleFor(parent.pid, { execPaths: [link] });
    expect(() => compileCaptureRule(rule)).not.toThrow(); // the link names a binary now
    // Swapped after that check: a FIFO (root opening it for reading would block until a writer came).
    const fifo = join(base, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const swap = (to: string): void => {
      const tmp = join(base, 'next');
      symlinkSync(to, tmp);
      renameSync(tmp, link);
    };
    swap(fifo);
    const engine = createLinuxCaptureEngine();
    const t0 = performance.now();
    // The engine's own compileCaptureRule sees the swap too; so the check of the opened file is what is tested next.
    await expect(engine.start(rule, () => undefined)).rejects.toMatchObject({ code: 'bad-request', message: expect.stringMatching(/not a regular file/) });
    expect(performance.now() - t0).toBeLessThan(2000);
    swap(base);
    await expect(engine.start(rule, () => undefined)).rejects.toMatchObject({ code: 'bad-request', message: expect.stringMatching(/not a regular file/) });
  });

  it('the file opened and checked is the one marked: a link swapped to another binary after arming changes nothing', async () => {
    const base = mkdtempSync(join(tmpdir(), 'procscope-exec-link-'));
    scratch.push(base);
    const link = join(base, 'pwsh');
    symlinkSync(fx.target, link);
    const { parent, events } = await watchNewParent({ execPaths: [link] });
    const tmp = join(base, 'next');
    symlinkSync(fx.otherTarget, tmp);
    renameSync(tmp, link);
    // Through the link now: the other file, not marked, not seen. By its own path: the marked file, seen.
    const viaLink = await parent.run(`spawn 1 ${link}`);
    const direct = await parent.run(`spawn 1 ${fx.target}`);
    expect([...viaLink.exits.values(), ...direct.exits.values()]).toEqual(['exit 1', 'exit 1']);
    expect(of(events, 'seen').map((s) => s.pid)).toEqual([...direct.exits.keys()]);
  });

  it("a link to /proc/self/exe passes the path checks but is refused as the watcher's own executable", async () => {
    const base = mkdtempSync(join(tmpdir(), 'procscope-exec-link-'));
    scratch.push(base);
    const link = join(base, 'node');
    symlinkSync('/proc/self/exe', link);
    const parent = await startExecParent(fx.parent);
    parents.push(parent);
    await expect(createLinuxCaptureEngine().start(ruleFor(parent.pid, { execPaths: [link] }), () => undefined)).rejects.toMatchObject({
      code: 'bad-request',
      message: expect.stringMatching(/watcher's own executable/),
    });
  });
});

describe('fanotify exec mode: holds what execs a named binary, not the parent', () => {
  it('50 children exec the named binary (fork+exec and posix_spawn): 50 exit cores with the right pids (gdb on 10); the parent is never traced', async () => {
    const { parent, events, watch } = await watchNewParent();
    expect(events[0]).toMatchObject({ event: 'armed', mechanism: FANOTIFY_CAPTURE_MECHANISM });
    const limits = (events[0] as Extract<CaptureEvent, { event: 'armed' }>).limits.join(' ');
    expect(limits).toMatch(/Only execs of the named binaries/);
    expect(limits).toMatch(/script run by an interpreter/);
    expect(limits).toMatch(/fork that does not exec is not seen/);
    let maxTracer = tracerPid(parent.pid);
    const sampler = setInterval(() => (maxTracer = Math.max(maxTracer, tracerPid(parent.pid))), 5);
    const forked = await parent.run(`spawn 25 ${fx.target}`);
    const spawned = await parent.run(`pspawn 25 ${fx.target}`);
    clearInterval(sampler);
    expect(maxTracer).toBe(0);
    const exits = new Map([...forked.exits, ...spawned.exits]);
    expect(exits.size).toBe(50);
    // Each one ran (its own "ran" line) and exited with its own code.
    expect([...forked.exits.values()]).toEqual(Array.from({ length: 25 }, (_, i) => `exit ${i + 1}`));
    expect(forked.ran.size + spawned.ran.size).toBe(50);
    await watch.stop();
    expect(of(events, 'seen').map((s) => s.pid).sort()).toEqual([...exits.keys()].sort());
    expect(of(events, 'seen').every((s) => s.name === 'exec-target')).toBe(true);
    const exited = of(events, 'exited');
    expect(exited.length).toBe(50);
    for (const e of exited) expect(`exit ${e.exitCode}`).toBe(exits.get(e.pid));
    const dumps = of(events, 'dump');
    expect(dumps.length).toBe(50);
    expect(of(events, 'error')).toEqual([]);
    for (const d of dumps) {
      expect(d.trigger).toBe('exit');
      expect(corePid(d.path)).toBe(d.pid);
    }
    expect(readdirSync(outDir).length).toBe(50);
    // Our header + notes check on all 50 (above), gdb on every fifth in one run.
    const sample = dumps.filter((_, i) => i % 5 === 0);
    expect(gdbPids(fx.target, sample.map((d) => d.path))).toEqual(sample.map((d) => d.pid));
    expect(events.at(-1)).toMatchObject({ event: 'done', reason: 'stopped', seenCount: 50, dumpCount: 50 });
  });

  it('a child exec-ing another binary, a fork without exec and a process outside the tree are not seen; the outsider is allowed at once', async () => {
    const { parent, events, watch } = await watchNewParent({ triggers: ['start', 'exit'] });
    const other = await parent.run(`spawn 2 ${fx.otherTarget}`);
    const forks = await parent.run('fork 2');
    expect([...other.exits.values(), ...forks.exits.values()]).toEqual(['exit 1', 'exit 2', 'exit 1', 'exit 2']);
    // Not a descendant: a shell of this test's runs the marked binary while the watch is armed (through sh, since
    // Node's spawn blocks this thread until its child's exec has gone through — and this thread is the watch's).
    const timed = async (exe: string): Promise<{ code: number | null; ms: number }> => {
      const t0 = performance.now();
      const sh = spawn('sh', ['-c', 'exec "$0" 7', exe], { stdio: 'ignore' });
      const code = await new Promise<number | null>((resolve) => sh.on('exit', (c) => resolve(c)));
      return { code, ms: performance.now() - t0 };
    };
    const unmarked = await timed(fx.otherTarget);
    const outsider = await timed(fx.target);
    expect(outsider.code).toBe(7);
    // Answered by the engine within a tick, not left for the watchdog (which would also say so in an error event).
    expect(outsider.ms).toBeLessThan(unmarked.ms + 50);
    expect(events.filter((e) => e.event !== 'armed')).toEqual([]);
    // The mark still works after all that: one named exec is seen, held at start and at exit.
    const named = await parent.run(`spawn 1 ${fx.target}`);
    expect([...named.exits.values()]).toEqual(['exit 1']);
    const pid = [...named.exits.keys()][0]!;
    expect(of(events, 'dump').map((d) => [d.pid, d.trigger])).toEqual([[pid, 'start'], [pid, 'exit']]);
    expect(of(events, 'seen').map((s) => s.pid)).toEqual([pid]);
    // The untraced parent's end still ends the watch (noticed by its start time, every 50 ms).
    parent.kill();
    expect(await watch.finished).toBe('target-exited');
  });

  it('stop() while a child is held at start releases it: it runs and exits with its own code', async () => {
    const stuck: HeldCoreWriter = (_r, _h, opts) => new Promise((_resolve, reject) => opts.signal!.addEventListener('abort', () => reject(new Error('aborted'))));
    const { parent, events, watch } = await watchNewParent({ triggers: ['start'] }, stuck);
    const batch = parent.run(`spawn 1 ${fx.target} 20`);
    while (of(events, 'held').length === 0) await new Promise((r) => setTimeout(r, 5));
    const [held] = of(events, 'held');
    expect(readFileSync(`/proc/${held!.pid}/status`, 'latin1')).toMatch(/^State:\s+t/m); // stopped at its exec event
    await watch.stop();
    const done = await batch;
    expect([...done.exits]).toEqual([[held!.pid, 'exit 1']]);
    expect(done.ran.has(held!.pid)).toBe(true);
    expect(events.at(-1)).toMatchObject({ event: 'done', reason: 'stopped', dumpCount: 0 });
  });

  it('the watchdog allows execs while the engine is blocked, and says so; the held child is still dumped', async () => {
    let blockedAt = 0;
    const block = new Int32Array(new SharedArrayBuffer(4));
    const { writeHeldLinuxCore } = await import('../../dump/linux/linux-core-writer');
    // The first dump blocks this JS thread for 700 ms (as a slow synchronous step would) before writing.
    const slow: HeldCoreWriter = (req, held, opts) => {
      if (blockedAt === 0) {
        blockedAt = Date.now();
        Atomics.wait(block, 0, 0, 700);
      }
      return writeHeldLinuxCore(req, held, opts);
    };
    const { parent, events, watch } = await watchNewParent({ triggers: ['start'] }, slow);
    // Child 1 execs at once and is held for its start dump; children 2-4 exec 100, 200 and 300 ms later, during the block.
    const batch = await parent.run(`stagger 4 ${fx.target} 100`);
    await watch.stop();
    expect([...batch.exits.values()].sort()).toEqual(['exit 1', 'exit 2', 'exit 3', 'exit 4']);
    const dumped = of(events, 'dump').map((d) => d.pid);
    expect(dumped.length).toBe(1);
    const unwatched = [...batch.ran].filter(([pid]) => pid !== dumped[0]);
    expect(unwatched.length).toBe(3);
    // Each ran before the 700 ms block ended (the last one execs ~300 ms in): the watchdog answered them.
    for (const [, ranAt] of unwatched) expect(ranAt - blockedAt).toBeLessThan(650);
    const notes = of(events, 'error').map((e) => e.error.message);
    const counted = notes.map((m) => Number(/^(\d+) execs? of the named binaries ran on unwatched/.exec(m)?.[1] ?? 0)).reduce((a, b) => a + b, 0);
    expect(counted).toBe(unwatched.length);
  });
});
