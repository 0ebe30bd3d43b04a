// The sampled triggers on Windows (ProcDump -c, -m, -n/-s), on any OS: the real Win32CaptureSession (driven by
// crafted worker messages, as in its own tests) with a fake writer, and Win32CaptureMonitor fed by a fake usage
// reader and clock, sampled by hand. What is checked is the plumbing: which sample fires which dump, of the running
// process (no debug event held for it), the quiet period, the count per process, the watch's dump limit, a process
// that exits mid-series or whose pid is reused, debug events that arrive during a running dump, and a stop during a
// series that cancels the dump and ends with done.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CaptureEvent, CaptureMonitor, CaptureRule } from '../../../src-shared/model/capture';
import type { DumpRequest, DumpResult } from '../../../src-shared/model/dump';
import { DumpError, type DumpWriteOptions, type DumpWriter } from '../../dump/dump-writer';
import { testCaptureRule } from '../__fixtures__/capture-rule-fixture';
import { DBG_EXCEPTION_NOT_HANDLED, DEBUG_EVENT_BYTES, DebugEventCode } from './debug-event';
import { Win32CaptureMonitor, type ProcessUsage } from './win32-capture-monitor';
import { Win32CaptureSession, type WorkerCommand } from './win32-capture-session';

const TARGET = 100;
const CHILD = 200;
const MB = 1024 * 1024;
/** The fake facts give process `pid` this start time; the fake reader must report it for the identity check. */
const startOf = (pid: number): number => 1000 + pid;

function ev(code: number, pid: number, fill: (b: Buffer) => void = () => undefined): { t: 'event'; bytes: Uint8Array } {
  const b = Buffer.alloc(DEBUG_EVENT_BYTES);
  b.writeUInt32LE(code, 0);
  b.writeUInt32LE(pid, 4);
  b.writeUInt32LE(pid + 1, 8);
  fill(b);
  return { t: 'event', bytes: new Uint8Array(b) };
}
const create = (pid: number): ReturnType<typeof ev> => ev(DebugEventCode.CREATE_PROCESS, pid, (b) => b.writeBigUInt64LE(0x140000000n, 40));
const exception = (pid: number, code: number, firstChance: boolean): ReturnType<typeof ev> =>
  ev(DebugEventCode.EXCEPTION, pid, (b) => {
    b.writeUInt32LE(code, 16);
    b.writeUInt32LE(firstChance ? 1 : 0, 168);
  });
const exit = (pid: number, code: number): ReturnType<typeof ev> => ev(DebugEventCode.EXIT_PROCESS, pid, (b) => b.writeUInt32LE(code, 16));

const monitors: Win32CaptureMonitor[] = [];
afterEach(() => {
  for (const m of monitors.splice(0)) m.stop();
  vi.useRealTimers();
});

type Write = { request: DumpRequest; options: DumpWriteOptions | undefined; finish(ok: boolean): void };

function setUp(monitor: CaptureMonitor, over: Partial<CaptureRule> = {}, opts: { manualWrites?: boolean } = {}) {
  const triggers = monitor.cpuPercent !== null || monitor.memoryMb !== null
    ? [...(monitor.cpuPercent !== null ? ['cpu' as const] : []), ...(monitor.memoryMb !== null ? ['memory' as const] : [])]
    : ['series' as const];
  const r = testCaptureRule({ pid: TARGET, startTimeMs: startOf(TARGET) }, 'C:\\dumps', { scope: 'self', triggers, monitor, maxDumps: null, ...over });
  const events: CaptureEvent[] = [];
  const commands: WorkerCommand[] = [];
  const writes: Write[] = [];
  let clock = 0;
  const writer: DumpWriter = {
    format: 'minidump',
    write: (request, options) =>
      new Promise<DumpResult>((resolve, reject) => {
        const finish = (ok: boolean): void =>
          ok
            ? resolve({ path: `C:\\dumps\\${options?.nameHint}_${request.pid}_${writes.length}.dmp`, fileBytes: 4096, sha256: 'ab'.repeat(32) } as DumpResult)
            : reject(new DumpError('process-gone', `Process ${request.pid} exited during the dump; the partial file was removed.`));
        options?.signal?.addEventListener('abort', () => reject(new DumpError('cancelled', 'The dump was cancelled; its partial file is removed.')));
        writes.push({ request, options, finish });
        if (!opts.manualWrites) finish(true);
      }),
  };
  const compiled = { rule: r, name: null, cmdline: null };
  const session: Win32CaptureSession = new Win32CaptureSession(compiled, (e) => events.push(e), {
    writer,
    readFacts: (pid) => ({ name: pid === TARGET ? 'Tentacle.exe' : 'Calamari.exe', cmdline: 'x', ppid: 1, startTimeMs: startOf(pid), loaderListed: true }),
    isMemoryReadable: () => true,
    readExitCode: () => 0,
    send: (c) => {
      commands.push(c);
      if (c.c === 'stop') queueMicrotask(() => session.handle({ t: 'stopped' }));
    },
    now: () => clock,
  });
  session.onArmed([]);
  // Attached: the fake CREATE_PROCESS of the attach says what it is; nothing holds it afterwards.
  session.handle(create(TARGET));
  /** What the fake reader answers: per pid, its CPU ms and memory bytes (and start time, by default its own). */
  const usage = new Map<number, ProcessUsage>();
  let reads = 0;
  const set = (pid: number, cpuMs: number, memoryBytes = 10 * MB, createTimeMs = startOf(pid)): void => void usage.set(pid, { createTimeMs, cpuMs, memoryBytes });
  const mon = new Win32CaptureMonitor(monitor, session, () => (reads++, usage), () => clock);
  monitors.push(mon);
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 20; i++) await new Promise((res) => setImmediate(res));
  };
  /** Moves the clock to `atMs`, takes one sample pass, and lets the dumps it asked for run. */
  const sampleAt = async (atMs: number): Promise<void> => {
    clock = atMs;
    mon.sample();
    await settle();
  };
  const dumps = (): Extract<CaptureEvent, { event: 'dump' }>[] => events.flatMap((e) => (e.event === 'dump' ? [e] : []));
  return { session, mon, events, commands, writes, set, sampleAt, settle, dumps, reads: () => reads, setClock: (ms: number) => void (clock = ms) };
}

describe('Win32CaptureMonitor with the Windows capture session', () => {
  it('a series of 3 (-n 3 -s 1): the first dump at once, then one a second, of the running process; then the watch ends', async () => {
    const h = setUp({ cpuPercent: null, memoryMb: null, seconds: 1, count: 3 }, { maxDumps: 3 });
    h.set(TARGET, 0);
    for (const t of [0, 500, 1000, 2000]) await h.sampleAt(t);
    expect(h.dumps().map((d) => [d.trigger, d.atMs, d.pid])).toEqual([['series', 0, TARGET], ['series', 1000, TARGET], ['series', 2000, TARGET]]);
    expect(h.writes.map((w) => w.options?.nameHint)).toEqual(['Tentacle-at-series', 'Tentacle-at-series', 'Tentacle-at-series']);
    expect(h.writes[0]!.request).toEqual({ pid: TARGET, startTimeMs: startOf(TARGET), kind: 'mini', outDir: 'C:\\dumps' });
    // Never held for it: no 'held' event, and no debug event was waiting (the only continue is its CREATE_PROCESS).
    expect(h.events.some((e) => e.event === 'held')).toBe(false);
    expect(h.commands.filter((c) => c.c === 'continue')).toHaveLength(1);
    expect(await h.session.finished).toBe('max-dumps');
    expect(h.events.at(-1)).toMatchObject({ event: 'done', reason: 'max-dumps', dumpCount: 3 });
    const reads = h.reads();
    await h.sampleAt(3000);
    expect(h.reads()).toBe(reads);
  });

  it('cpu: fires only after -s consecutive samples at or above the threshold (% of one core over each interval); a dip restarts the run', async () => {
    const h = setUp({ cpuPercent: 50, memoryMb: null, seconds: 2, count: 1 });
    const cpu = [0, 600, 800 /* 20 % */, 1400, 2000];
    for (const [i, ms] of cpu.entries()) {
      h.set(TARGET, ms);
      await h.sampleAt(i * 1000);
      if (i < 4) expect(h.dumps(), `sample ${i}`).toHaveLength(0);
    }
    expect(h.dumps().map((d) => [d.trigger, d.atMs])).toEqual([['cpu', 4000]]);
    expect(h.writes[0]!.options?.nameHint).toBe('Tentacle-at-cpu');
  });

  it('memory: the first sample at or above the threshold (commit) dumps', async () => {
    const h = setUp({ cpuPercent: null, memoryMb: 150, seconds: 10, count: 1 });
    h.set(TARGET, 0, 149 * MB);
    await h.sampleAt(0);
    expect(h.dumps()).toHaveLength(0);
    h.set(TARGET, 0, 200 * MB);
    await h.sampleAt(1000);
    expect(h.dumps().map((d) => [d.trigger, d.atMs])).toEqual([['memory', 1000]]);
  });

  it('quiet for -s seconds after a dump, then counts again; at most -n dumps of the process, then it is no longer read', async () => {
    const h = setUp({ cpuPercent: 50, memoryMb: null, seconds: 2, count: 2 });
    let cpu = 0;
    for (let t = 0; t <= 9000; t += 1000) {
      h.set(TARGET, cpu);
      cpu += 900; // 90 % of one core, always
      await h.sampleAt(t);
    }
    // 0 baseline; 1000, 2000 → dump; quiet until ~4000: 4000 (its interval from 3000, counted), 5000 → dump; count 2 reached.
    expect(h.dumps().map((d) => d.atMs)).toEqual([2000, 5000]);
    const reads = h.reads();
    await h.sampleAt(10_000);
    expect(h.reads()).toBe(reads);
    expect(h.dumps()).toHaveLength(2);
  });

  it('a failed dump does not count toward -n but starts the quiet period; the error is reported', async () => {
    const h = setUp({ cpuPercent: null, memoryMb: 100, seconds: 1, count: 1 }, {}, { manualWrites: true });
    h.set(TARGET, 0, 200 * MB);
    await h.sampleAt(0);
    h.writes[0]!.finish(false);
    await h.settle();
    expect(h.events.find((e) => e.event === 'error')).toMatchObject({ pid: TARGET, trigger: 'memory', error: { code: 'process-gone' } });
    await h.sampleAt(500);
    expect(h.writes).toHaveLength(1);
    await h.sampleAt(1000);
    h.writes[1]!.finish(true);
    await h.settle();
    expect(h.dumps().map((d) => d.atMs)).toEqual([1000]);
  });

  it('a child that exits mid-series is no longer sampled; one whose pid is reused is not taken for it; the watch goes on', async () => {
    const h = setUp({ cpuPercent: null, memoryMb: null, seconds: 1, count: 3 }, { scope: 'descendants' });
    h.session.handle({ t: 'new', pid: CHILD, atBirth: true, late: false, attached: true, error: null });
    h.session.handle(create(CHILD));
    h.set(CHILD, 0);
    await h.sampleAt(0);
    expect(h.dumps().map((d) => [d.pid, d.name])).toEqual([[CHILD, 'Calamari.exe']]);
    h.session.handle(exit(CHILD, 0));
    await h.settle();
    expect(h.events.find((e) => e.event === 'exited')).toMatchObject({ pid: CHILD, exitCode: 0 });
    await h.sampleAt(1000);
    await h.sampleAt(2000);
    expect(h.dumps()).toHaveLength(1);
    // A second child, whose pid is reused by another process before a sample: the start times differ, so no dump.
    h.session.handle({ t: 'new', pid: CHILD + 4, atBirth: true, late: false, attached: true, error: null });
    h.session.handle(create(CHILD + 4));
    h.set(CHILD + 4, 0, 10 * MB, 42);
    await h.sampleAt(3000);
    expect(h.dumps()).toHaveLength(1);
    // The target (scope descendants) is never sampled, and the watch has not ended.
    expect(h.writes.every((w) => w.request.pid !== TARGET)).toBe(true);
    expect(h.events.some((e) => e.event === 'done')).toBe(false);
    await h.session.finish('stopped');
  });

  it('a series waits -s seconds after each dump has ended, not for the tick after (a 250 ms dump still gives -s 1 dumps 1.25 s apart)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const h = setUp({ cpuPercent: null, memoryMb: null, seconds: 1, count: 3 }, {}, { manualWrites: true });
    h.set(TARGET, 0);
    await h.sampleAt(0);
    h.setClock(250);
    h.writes[0]!.finish(true);
    await h.settle();
    h.setClock(1249);
    vi.advanceTimersByTime(999);
    await h.settle();
    expect(h.writes).toHaveLength(1);
    h.setClock(1250);
    vi.advanceTimersByTime(1);
    await h.settle();
    expect(h.writes).toHaveLength(2);
    // The tick at 2000 finds that dump still pending and asks nothing more.
    await h.sampleAt(2000);
    expect(h.writes).toHaveLength(2);
  });

  it('a process seen as matching is sampled at once (sampleNew), a series dumping it then; one already sampled is not sampled twice', async () => {
    const h = setUp({ cpuPercent: 50, memoryMb: null, seconds: 1, count: 1 }, { scope: 'descendants' });
    h.session.handle({ t: 'new', pid: CHILD, atBirth: true, late: false, attached: true, error: null });
    h.session.handle(create(CHILD));
    h.set(CHILD, 0);
    h.mon.sampleNew(CHILD);
    expect(h.reads()).toBe(1);
    h.mon.sampleNew(CHILD);
    expect(h.reads()).toBe(1);
    // Its baseline was taken then: one busy second later the -s 1 run is complete.
    h.set(CHILD, 900);
    await h.sampleAt(1000);
    expect(h.dumps().map((d) => [d.pid, d.trigger])).toEqual([[CHILD, 'cpu']]);
  });

  it('debug events during a running dump: one that is not ours is continued at once; a crash waits for the dump, then is dumped and continued', async () => {
    const h = setUp({ cpuPercent: null, memoryMb: null, seconds: 1, count: 3 }, { triggers: ['series', 'crash'] }, { manualWrites: true });
    h.set(TARGET, 0);
    await h.sampleAt(0);
    expect(h.writes).toHaveLength(1);
    const continued = (): WorkerCommand[] => h.commands.filter((c) => c.c === 'continue' && c.pid === TARGET);
    // A first-chance C++ exception (0xE06D7363) is not a crash: it goes back to the process while the write goes on.
    h.session.handle(exception(TARGET, 0xe06d7363, true));
    await h.settle();
    expect(continued()).toHaveLength(2);
    expect(continued()[1]).toMatchObject({ status: DBG_EXCEPTION_NOT_HANDLED });
    // An access violation: frozen at its event until the series dump has ended and its own crash dump is written.
    h.session.handle(exception(TARGET, 0xc0000005, true));
    await h.settle();
    expect(continued()).toHaveLength(2);
    expect(h.writes).toHaveLength(1);
    h.writes[0]!.finish(true);
    await h.settle();
    expect(h.writes.map((w) => w.options?.nameHint)).toEqual(['Tentacle-at-series', 'Tentacle-at-crash']);
    expect(continued()).toHaveLength(2);
    h.writes[1]!.finish(true);
    await h.settle();
    expect(continued()).toHaveLength(3);
    expect(h.dumps().map((d) => d.trigger)).toEqual(['series', 'crash']);
    await h.session.finish('stopped');
  });

  it('stop during a series: the dump being written is cancelled, no error nor dump is reported, done comes last, sampling stops', async () => {
    const h = setUp({ cpuPercent: null, memoryMb: null, seconds: 1, count: 3 }, {}, { manualWrites: true });
    h.set(TARGET, 0);
    await h.sampleAt(0);
    await h.sampleAt(1000);
    expect(h.writes).toHaveLength(1);
    expect(h.writes[0]!.options?.signal?.aborted).toBe(false);
    await h.session.finish('stopped');
    h.mon.stop();
    expect(h.writes[0]!.options?.signal?.aborted).toBe(true);
    await h.settle();
    expect(h.events.map((e) => e.event)).toEqual(['seen', 'done']);
    expect(h.events.at(-1)).toMatchObject({ reason: 'stopped', dumpCount: 0 });
    expect(h.commands.at(-1)).toEqual({ c: 'stop' });
    const reads = h.reads();
    await h.sampleAt(2000);
    expect(h.reads()).toBe(reads);
    expect(h.writes).toHaveLength(1);
  });
});
