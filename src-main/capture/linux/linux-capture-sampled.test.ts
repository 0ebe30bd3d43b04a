// The Linux engine's sampled trigger on a running multi-threaded process (root): a node process whose main thread
// and a worker both spin crosses a CPU threshold; while the core is written every one of its threads must be in a
// ptrace stop ('t' in /proc/PID/task/TID/stat: PTRACE_INTERRUPT reached them all), and afterwards it runs on,
// untraced, still burning CPU. A SIGSTOPped process gets its series dumps from its group-stop and stays stopped.
// The processes are grandchildren of this one (the engine refuses its own children).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import type { CaptureEvent } from '../../../src-shared/model/capture';
import { writeHeldLinuxCore } from '../../dump/linux/linux-core-writer';
import { readProcessStartTimeMs } from '../../platform/linux/proc-start-time';
import { statStateOf } from '../../platform/linux/proc-stat';
import { testCaptureRule } from '../__fixtures__/capture-rule-fixture';
import { createLinuxCaptureEngine, type HeldCoreWriter } from './linux-capture-engine';
import { readUsageSync } from './process-info';

const SPIN = "const{Worker}=require('worker_threads');new Worker('for(;;){}',{eval:true});for(;;){}";
let shell: ChildProcess | null = null;
let spinner = 0;
let outDir = '';

afterEach(() => {
  if (spinner) {
    try {
      process.kill(spinner, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  shell?.kill('SIGKILL');
  if (outDir) rmSync(outDir, { recursive: true, force: true });
  spinner = 0;
  outDir = '';
});

const threadStates = (pid: number): string[] =>
  readdirSync(`/proc/${pid}/task`).map((tid) => statStateOf(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'latin1')));

describe.runIf(process.platform === 'linux' && process.getuid?.() === 0)('Linux capture: a CPU dump of a running multi-threaded process', () => {
  it('holds every thread stopped while the core is written, then lets it run on untraced', async () => {
    shell = spawn('/bin/sh', ['-c', `"${process.execPath}" -e "${SPIN}" & echo $!; wait`], { stdio: ['ignore', 'pipe', 'ignore'] });
    spinner = Number(await new Promise<string>((resolve) => createInterface({ input: shell!.stdout! }).once('line', resolve)));
    await new Promise((r) => setTimeout(r, 500));
    outDir = mkdtempSync(join(tmpdir(), 'procscope-sampled-'));
    const seenStates: string[][] = [];
    const writer: HeldCoreWriter = (request, held, options) => {
      seenStates.push(threadStates(request.pid));
      expect(held.threads.length).toBe(seenStates[0]!.length);
      return writeHeldLinuxCore(request, held, options);
    };
    const events: CaptureEvent[] = [];
    const rule = testCaptureRule({ pid: spinner, startTimeMs: readProcessStartTimeMs(spinner)! }, outDir, {
      scope: 'self', triggers: ['cpu'], monitor: { cpuPercent: 60, memoryMb: null, seconds: 1, count: 1 }, maxDumps: 1, timeoutMs: 20_000,
    });
    const watch = await createLinuxCaptureEngine({ writeHeldCore: writer }).start(rule, (e) => events.push(e));
    expect(await watch.finished).toBe('max-dumps');
    const dumps = events.filter((e) => e.event === 'dump');
    expect(dumps).toMatchObject([{ pid: spinner, trigger: 'cpu' }]);
    expect(seenStates).toHaveLength(1);
    expect(seenStates[0]!.length).toBeGreaterThanOrEqual(3); // main, the worker, node's own helpers
    expect(new Set(seenStates[0])).toEqual(new Set(['t']));
    // It runs on: untraced, still spinning.
    expect(/^TracerPid:\s*0$/m.test(readFileSync(`/proc/${spinner}/status`, 'latin1'))).toBe(true);
    const before = readUsageSync(spinner)!.cpuMs;
    await new Promise((r) => setTimeout(r, 500));
    expect(readUsageSync(spinner)!.cpuMs - before).toBeGreaterThan(100);
  }, 40_000);

  it('a series of a stopped process (SIGSTOP, a hang) is dumped from its group-stop and left stopped, then SIGCONT runs it', async () => {
    shell = spawn('/bin/sh', ['-c', 'sleep 60 & echo $!; wait'], { stdio: ['ignore', 'pipe', 'ignore'] });
    spinner = Number(await new Promise<string>((resolve) => createInterface({ input: shell!.stdout! }).once('line', resolve)));
    process.kill(spinner, 'SIGSTOP');
    await new Promise((r) => setTimeout(r, 100));
    expect(threadStates(spinner)).toEqual(['T']);
    outDir = mkdtempSync(join(tmpdir(), 'procscope-sampled-'));
    const events: CaptureEvent[] = [];
    const rule = testCaptureRule({ pid: spinner, startTimeMs: readProcessStartTimeMs(spinner)! }, outDir, {
      scope: 'self', triggers: ['series'], monitor: { cpuPercent: null, memoryMb: null, seconds: 1, count: 2 }, maxDumps: 2, timeoutMs: 8_000,
    });
    const watch = await createLinuxCaptureEngine().start(rule, (e) => events.push(e));
    expect(await watch.finished).toBe('max-dumps');
    expect(events.filter((e) => e.event === 'dump')).toMatchObject([{ pid: spinner, trigger: 'series' }, { pid: spinner, trigger: 'series' }]);
    expect(/^TracerPid:\s*0$/m.test(readFileSync(`/proc/${spinner}/status`, 'latin1'))).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(threadStates(spinner)).toEqual(['T']); // still stopped, as it was
    process.kill(spinner, 'SIGCONT');
    await new Promise((r) => setTimeout(r, 100));
    expect(threadStates(spinner)).toEqual(['S']);
  }, 30_000);
});
