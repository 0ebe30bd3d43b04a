// How the Linux capture engine learns of its tracees' stops (issue 12's spawn-loop overhead): woken by SIGCHLD, it
// asks waitid(P_ALL, WNOWAIT) which child has a report and waits on known tids only. These tests run the engine in
// this process beside children of its own that are not tracees: node's child_process must still reap each one with
// its real exit code, a stopped one (which WNOWAIT names at every probe) must neither hide the tracees nor make the
// engine spin, and the poll loop without the signal still sees everything. Root, gcc.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureEvent } from '../../../src-shared/model/capture';
import { readProcessStartTimeMs } from '../../platform/linux/proc-start-time';
import { statStateOf } from '../../platform/linux/proc-stat';
import { testCaptureRule } from '../__fixtures__/capture-rule-fixture';
import type { CaptureWatch } from '../capture-engine';
import { compileCaptureParentSync, startCaptureParent, type RunningParent } from './__fixtures__/capture-parent';
import { createLinuxCaptureEngine, linuxCaptureWakeUps } from './linux-capture-engine';

let fixture: { dir: string; exe: string };
const dirs: string[] = [];
const parents: RunningParent[] = [];
const watches: CaptureWatch[] = [];
const strays: ChildProcess[] = [];

beforeAll(() => {
  fixture = compileCaptureParentSync();
});
afterAll(() => rmSync(fixture.dir, { recursive: true, force: true }));
afterEach(async () => {
  linuxCaptureWakeUps.onSigchld = true;
  for (const w of watches.splice(0)) await w.stop();
  for (const p of parents.splice(0)) p.kill();
  for (const c of strays.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const of = <K extends CaptureEvent['event']>(events: CaptureEvent[], kind: K) => events.filter((e): e is Extract<CaptureEvent, { event: K }> => e.event === kind);

/** A watch (trace only: the crash trigger, which these children never fire) of a parent that forks `n` children. */
async function watchForks(n: number) {
  const parent = await startCaptureParent(fixture.exe, ['forks', String(n)]);
  parents.push(parent);
  const outDir = mkdtempSync(join(tmpdir(), 'procscope-capture-wakeup-'));
  dirs.push(outDir);
  const events: CaptureEvent[] = [];
  const rule = testCaptureRule({ pid: parent.pid, startTimeMs: readProcessStartTimeMs(parent.pid)! }, outDir, { triggers: ['crash'], timeoutMs: 50_000 });
  const watch = await createLinuxCaptureEngine().start(rule, (e) => events.push(e));
  watches.push(watch);
  return { parent, events, watch };
}

/** A child of this process, not traced: resolves with how node's child_process saw it end. */
function stray(script: string): { child: ChildProcess; ended: Promise<{ code: number | null; signal: string | null }> } {
  const child = spawn('sh', ['-c', script], { stdio: 'ignore' });
  strays.push(child);
  return { child, ended: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))) };
}

function stateOf(pid: number): string {
  return statStateOf(readFileSync(`/proc/${pid}/stat`, 'latin1'));
}

async function expectAllSeen(run: Awaited<ReturnType<typeof watchForks>>, n: number): Promise<void> {
  expect(await run.parent.exited).toBe(0);
  expect(await run.watch.finished).toBe('target-exited');
  const results = run.parent.results();
  expect(results.size).toBe(n);
  const exited = of(run.events, 'exited').filter((e) => e.pid !== run.parent.pid);
  expect(exited.length).toBe(n);
  for (const e of exited) expect(`exit ${e.exitCode}`).toBe(results.get(e.pid));
  expect(of(run.events, 'error')).toEqual([]);
}

describe('Linux capture engine wake-ups', () => {
  it('children of this process that are not tracees, ending during a busy watch, are reaped by child_process with their own codes', async () => {
    const run = await watchForks(300);
    const before = [stray('exit 7'), stray('sleep 0.05; exit 9')];
    run.parent.go();
    // Ending while the tracer's children end too: the probe names them (WNOWAIT) but nothing here may reap them.
    const during = [stray('exit 3'), stray('sleep 0.02; exit 4'), stray('kill -TERM $$')];
    const ends = await Promise.all([...before, ...during].map((s) => s.ended));
    expect(ends).toEqual([
      { code: 7, signal: null },
      { code: 9, signal: null },
      { code: 3, signal: null },
      { code: 4, signal: null },
      { code: null, signal: 'SIGTERM' },
    ]);
    await expectAllSeen(run, 300);
  });

  it('a stopped child of this process, which the probe names at every call, neither hides the tracees nor makes the engine spin', async () => {
    const sleeper = stray('exec sleep 60');
    await new Promise((r) => setTimeout(r, 50));
    sleeper.child.kill('SIGSTOP');
    for (let i = 0; i < 100 && stateOf(sleeper.child.pid!) !== 'T'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(stateOf(sleeper.child.pid!)).toBe('T');
    const run = await watchForks(100);
    run.parent.go();
    await expectAllSeen(run, 100);
    // Idle with the stopped stranger still there: the engine runs its 2 ms timer, not a loop on the probe's answer.
    const parent2 = await watchForks(1);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 500));
    const used = process.cpuUsage(cpu0);
    const cpuMs = (used.user + used.system) / 1000;
    expect(cpuMs).toBeLessThan((performance.now() - t0) * 0.5);
    parent2.parent.go();
    await expectAllSeen(parent2, 1);
    sleeper.child.kill('SIGKILL');
    expect(await sleeper.ended).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('the SIGCHLD listener is there only while a watch runs', async () => {
    const before = process.listenerCount('SIGCHLD');
    const run = await watchForks(20);
    await new Promise((r) => setImmediate(r));
    expect(process.listenerCount('SIGCHLD')).toBe(before + 1);
    run.parent.go();
    await expectAllSeen(run, 20);
    expect(process.listenerCount('SIGCHLD')).toBe(before);
  });

  it('without SIGCHLD wake-ups (as in a Worker) the poll loop sees every child, and adds no listener', async () => {
    linuxCaptureWakeUps.onSigchld = false;
    const before = process.listenerCount('SIGCHLD');
    const run = await watchForks(200);
    await new Promise((r) => setImmediate(r));
    expect(process.listenerCount('SIGCHLD')).toBe(before);
    run.parent.go();
    await expectAllSeen(run, 200);
  });
});
