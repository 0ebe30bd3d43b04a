// Suspend, Resume and Kill of ONE thread of another process on Linux, against a real two-thread C target
// (thread-pair-target.c, this process's grandchild): each thread's own tick count (voluntary context switches)
// says whether it runs. Safety first: the holder's worker ended while it holds a thread, the target killed while a
// thread is held, every refusal, dispose; then suspend / stack / resume / kill through the detail source.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readProcessStartTimeMs } from '../../platform/linux/proc-start-time';
import { DetailFailure } from '../detail-source';
import { compileThreadPair, startThreadPair, threadState, ticksOf, type RunningThreadPair, type ThreadPairFixture } from './__fixtures__/thread-pair-target';
import { createLinuxDetailSource } from './linux-detail-source';
import { createThreadHolder, POLL_MS } from './thread-holder';

const noRows = { rows: () => null };
let fixture: ThreadPairFixture;
const started: RunningThreadPair[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const targetOf = (t: RunningThreadPair) => ({ pid: t.pid, startTimeMs: readProcessStartTimeMs(t.pid)! });
const tracerOf = (pid: number, tid: number) => Number(/^TracerPid:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'latin1'))![1]);
const ownThreadCount = () => readdirSync('/proc/self/task').length;

async function pair(): Promise<RunningThreadPair> {
  const t = await startThreadPair(fixture);
  started.push(t);
  return t;
}

/** How far each thread ticks over `ms`. */
async function advance(pid: number, tids: number[], ms = 300): Promise<number[]> {
  const before = tids.map((tid) => ticksOf(pid, tid));
  await sleep(ms);
  return tids.map((tid, i) => ticksOf(pid, tid) - before[i]!);
}

async function until(what: string, ok: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(5);
  }
}

beforeAll(() => {
  fixture = compileThreadPair();
}, 60_000);

afterAll(async () => {
  for (const t of started) await t.stop();
  fixture?.cleanup();
});

describe.runIf(process.platform === 'linux')('one thread held by the thread holder: it can never stay stopped because of us', () => {
  it('the holder\'s worker ended while it holds B: B runs on, untraced', async () => {
    const t = await pair();
    const holder = createThreadHolder();
    const threadsBefore = ownThreadCount();
    await holder.hold(t.pid, t.tidB);
    expect(threadState(t.pid, t.tidB)).toBe('t');
    const [a, b] = await advance(t.pid, [t.tidA, t.tidB]);
    console.log(`held B: A ticked ${a}, B ${b} in 300 ms`);
    expect(b).toBeLessThanOrEqual(1);
    expect(a).toBeGreaterThan(20);
    const worker = holder.workerForTest();
    expect(worker).not.toBeNull();
    await worker!.terminate();
    await until('B runs again', () => threadState(t.pid, t.tidB) !== 't');
    expect(tracerOf(t.pid, t.tidB)).toBe(0);
    const [, bAfter] = await advance(t.pid, [t.tidA, t.tidB]);
    expect(bAfter).toBeGreaterThan(20);
    expect(holder.isHeld(t.tidB)).toBe(false);
    // The holder starts again for the next hold, and its worker ends with the last hold.
    await holder.hold(t.pid, t.tidB);
    expect(holder.workerForTest()).not.toBeNull();
    await holder.release(t.pid, t.tidB);
    await until('the worker ends with the last hold', () => holder.workerForTest() === null && ownThreadCount() <= threadsBefore);
    expect(threadState(t.pid, t.tidB)).not.toBe('t');
  }, 30_000);

  it('the target SIGKILLed while B is held: the hold is forgotten, the process is gone at once, nothing fails later', async () => {
    const t = await pair();
    const holder = createThreadHolder();
    await holder.hold(t.pid, t.tidB);
    const t0 = performance.now();
    process.kill(t.pid, 'SIGKILL');
    // Its parent (the sh) can reap it only once every thread is released: B's exit is reaped by the holder.
    await until('the process is gone', () => !existsSync(`/proc/${t.pid}`));
    console.log(`killed while B held: gone after ${(performance.now() - t0).toFixed(1)} ms (poll ${POLL_MS} ms)`);
    await until('the hold is forgotten', () => !holder.isHeld(t.tidB) && holder.workerForTest() === null);
    await expect(holder.release(t.pid, t.tidB)).rejects.toMatchObject({ message: expect.stringMatching(/not suspended by Procscope/) });
    holder.dispose();
  }, 30_000);

  it('refuses with a sentence: own process, a kernel thread, a tid of another process, bad tids, resume of a thread not held, a second suspend, the main thread\'s kill, its own child', async () => {
    const t = await pair();
    const source = createLinuxDetailSource();
    const target = targetOf(t);
    try {
      const self = { pid: process.pid, startTimeMs: readProcessStartTimeMs(process.pid)! };
      await expect(source.threadAction(self, process.pid, 'suspend')).rejects.toMatchObject({ code: 'unsupported', message: expect.stringMatching(/its own threads/) });
      await expect(source.threadAction(self, process.pid, 'kill')).rejects.toMatchObject({ code: 'unsupported' });
      await expect(source.threadAction({ pid: 2, startTimeMs: readProcessStartTimeMs(2)! }, 2, 'suspend')).rejects.toMatchObject({ code: 'unsupported', message: expect.stringMatching(/kernel thread/) });
      await expect(source.threadAction(target, process.pid, 'suspend')).rejects.toMatchObject({ code: 'process-gone', message: expect.stringMatching(/not \(or no longer\) a thread of process/) });
      await expect(source.threadAction(target, process.pid, 'kill')).rejects.toMatchObject({ code: 'process-gone' });
      await expect(source.threadAction(target, process.pid, 'resume')).rejects.toMatchObject({ code: 'process-gone' });
      for (const bad of [-1, 0, 1.5, Number.NaN]) await expect(source.threadAction(target, bad, 'suspend')).rejects.toMatchObject({ message: expect.stringMatching(/is not a thread id/) });
      await expect(source.threadAction(target, t.tidB, 'resume')).rejects.toMatchObject({ code: 'failed', message: `Thread ${t.tidB} is not suspended by Procscope, so there is nothing to resume.` });
      await expect(source.threadAction(target, t.pid, 'kill')).rejects.toMatchObject({ code: 'unsupported', message: expect.stringMatching(/main thread/) });
      await source.threadAction(target, t.tidB, 'suspend');
      await expect(source.threadAction(target, t.tidB, 'suspend')).rejects.toMatchObject({ message: `Thread ${t.tidB} is already suspended.` });
      await source.threadAction(target, t.tidB, 'resume');
      // A process stopped whole (SIGSTOP) is resumed as a process, not thread by thread.
      process.kill(t.pid, 'SIGSTOP');
      await until('stopped', () => threadState(t.pid, t.tidA) === 'T');
      await expect(source.threadAction(target, t.tidA, 'resume')).rejects.toMatchObject({ message: expect.stringMatching(/stopped with its whole process/) });
      process.kill(t.pid, 'SIGCONT');
      await until('continued', () => threadState(t.pid, t.tidA) !== 'T');
      // A recycled identity refuses the whole call.
      await expect(source.threadAction({ ...target, startTimeMs: target.startTimeMs + 1 }, t.tidB, 'kill')).rejects.toMatchObject({ code: 'pid-recycled' });
      // Its own child: libuv's waitpid(child) would take the stop for the child's exit.
      const own = spawn(fixture.exe, [], { stdio: ['pipe', 'pipe', 'inherit'] });
      const line = await new Promise<string>((r) => own.stdout!.once('data', (d: Buffer) => r(d.toString())));
      const [, , ownA] = /^ready (\d+) (\d+)/.exec(line)!.map(Number);
      await expect(source.threadAction({ pid: own.pid!, startTimeMs: readProcessStartTimeMs(own.pid!)! }, ownA!, 'suspend')).rejects.toMatchObject({ code: 'unsupported', message: expect.stringMatching(/own child/) });
      expect(threadState(own.pid!, ownA!)).not.toBe('t');
      own.kill('SIGKILL');
      for (const tid of [t.tidA, t.tidB]) expect(threadState(t.pid, tid)).not.toBe('t');
    } finally {
      source.dispose();
    }
  }, 30_000);

  it('dispose() of the source lets every held thread go', async () => {
    const t = await pair();
    const source = createLinuxDetailSource();
    const target = targetOf(t);
    await source.threadAction(target, t.tidA, 'suspend');
    await source.threadAction(target, t.tidB, 'suspend');
    for (const ticked of await advance(t.pid, [t.tidA, t.tidB], 200)) expect(ticked).toBeLessThanOrEqual(1);
    expect([threadState(t.pid, t.tidA), threadState(t.pid, t.tidB)]).toEqual(['t', 't']);
    source.dispose();
    await until('both run on', () => threadState(t.pid, t.tidA) !== 't' && threadState(t.pid, t.tidB) !== 't');
    const [a, b] = await advance(t.pid, [t.tidA, t.tidB]);
    expect(a).toBeGreaterThan(20);
    expect(b).toBeGreaterThan(20);
    expect(tracerOf(t.pid, t.tidA) + tracerOf(t.pid, t.tidB)).toBe(0);
    await expect(source.threadAction(target, t.tidA, 'suspend')).rejects.toMatchObject({ message: expect.stringMatching(/shutting down/) });
  }, 30_000);
});

describe.runIf(process.platform === 'linux')('Suspend, Stack, Resume and Kill of one thread through the detail source', () => {
  it('suspend B: B stops while A goes on, Threads says suspended, its Stack reads while held; resume: B goes on', async () => {
    const t = await pair();
    const source = createLinuxDetailSource();
    const target = targetOf(t);
    try {
      await source.threadAction(target, t.tidB, 'suspend');
      const [a, b] = await advance(t.pid, [t.tidA, t.tidB]);
      console.log(`suspended B: A ticked ${a}, B ${b} in 300 ms`);
      expect(b).toBeLessThanOrEqual(1);
      expect(a).toBeGreaterThan(20);
      const parts = await source.readParts(target, ['threads'], noRows);
      const threads = parts.threads!.ok ? parts.threads!.value : [];
      expect(threads.find((x) => x.tid === t.tidB)).toMatchObject({ name: 'pair-b', state: 'suspended' });
      expect(threads.find((x) => x.tid === t.tidA)!.state).not.toBe('suspended');

      const stack = await source.readThreadStack(target, t.tidB);
      console.log(`stack of held B: ${stack.frames.map((f) => f.function).join(' ')} (${stack.pausedMs} ms to copy)`);
      expect(stack.frames.map((f) => f.function)).toContain('pair_tick');
      expect(stack.frames[0]!.trust).toBe('context');
      expect(stack.note).toMatch(/stays suspended/);
      expect(threadState(t.pid, t.tidB)).toBe('t');
      expect((await advance(t.pid, [t.tidB], 100))[0]).toBeLessThanOrEqual(1);
      // A thread not held still reads through the short-lived stack worker meanwhile.
      expect((await source.readThreadStack(target, t.tidA)).frames.map((f) => f.function)).toContain('pair_tick');

      await source.threadAction(target, t.tidB, 'resume');
      expect(threadState(t.pid, t.tidB)).not.toBe('t');
      expect(tracerOf(t.pid, t.tidB)).toBe(0);
      const [, bAfter] = await advance(t.pid, [t.tidA, t.tidB]);
      expect(bAfter).toBeGreaterThan(20);
      const again = await source.readParts(target, ['threads'], noRows);
      expect((again.threads!.ok ? again.threads!.value : []).find((x) => x.tid === t.tidB)!.state).not.toBe('suspended');
    } finally {
      source.dispose();
    }
  }, 30_000);

  it('a thread suspended while its whole process is stopped (SIGSTOP) stays stopped with it when resumed, and runs at SIGCONT', async () => {
    const t = await pair();
    const source = createLinuxDetailSource();
    const target = targetOf(t);
    try {
      process.kill(t.pid, 'SIGSTOP');
      await until('stopped', () => threadState(t.pid, t.tidA) === 'T' && threadState(t.pid, t.tidB) === 'T');
      await source.threadAction(target, t.tidB, 'suspend');
      expect(threadState(t.pid, t.tidB)).toBe('t');
      await source.threadAction(target, t.tidB, 'resume');
      await until('back in the group stop', () => threadState(t.pid, t.tidB) === 'T');
      expect((await advance(t.pid, [t.tidB], 100))[0]).toBe(0);
      process.kill(t.pid, 'SIGCONT');
      await until('running again', () => threadState(t.pid, t.tidB) !== 'T' && threadState(t.pid, t.tidA) !== 'T');
      for (const ticked of await advance(t.pid, [t.tidA, t.tidB])) expect(ticked).toBeGreaterThan(20);
    } finally {
      source.dispose();
    }
  }, 30_000);

  it('kill B (running) and then A (suspended first): each task is gone, the process and the other thread go on', async () => {
    const t = await pair();
    const source = createLinuxDetailSource();
    const target = targetOf(t);
    try {
      const t0 = performance.now();
      await source.threadAction(target, t.tidB, 'kill');
      console.log(`kill of running B: ${(performance.now() - t0).toFixed(1)} ms`);
      expect(existsSync(`/proc/${t.pid}/task/${t.tidB}`)).toBe(false);
      expect(threadState(t.pid, t.pid)).toMatch(/[SR]/);
      expect((await advance(t.pid, [t.tidA]))[0]).toBeGreaterThan(20);
      const parts = await source.readParts(target, ['threads'], noRows);
      expect((parts.threads!.ok ? parts.threads!.value : []).map((x) => x.tid)).toEqual([t.pid, t.tidA]);
      await expect(source.threadAction(target, t.tidB, 'kill')).rejects.toMatchObject({ code: 'process-gone' });

      await source.threadAction(target, t.tidA, 'suspend');
      await source.threadAction(target, t.tidA, 'kill');
      expect(existsSync(`/proc/${t.pid}/task/${t.tidA}`)).toBe(false);
      expect(readdirSync(`/proc/${t.pid}/task`).map(Number)).toEqual([t.pid]);
      await sleep(100);
      expect(threadState(t.pid, t.pid)).toMatch(/[SR]/);
      expect(readProcessStartTimeMs(t.pid)).toBe(target.startTimeMs);
      await expect(source.threadAction(target, t.tidA, 'resume')).rejects.toBeInstanceOf(DetailFailure);
    } finally {
      source.dispose();
    }
  }, 30_000);
});
