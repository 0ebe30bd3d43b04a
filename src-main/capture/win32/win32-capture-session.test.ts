// The Windows watch's decisions on any OS, driven by the messages the capture worker posts (crafted DEBUG_EVENT
// bytes at the x64 offsets) with a fake writer and fake process facts: what is seen, when each trigger dumps, how
// every event is continued, the Wine exit case, filters, the hold deadline, the dump limit and the release on stop.
import { describe, expect, it } from 'vitest';
import type { CaptureEvent, CaptureRule } from '../../../src-shared/model/capture';
import type { DumpRequest, DumpResult } from '../../../src-shared/model/dump';
import { DumpError, type DumpWriteOptions, type DumpWriter } from '../../dump/dump-writer';
import { testCaptureRule } from '../__fixtures__/capture-rule-fixture';
import { compileNameGlob } from '../capture-pattern';
import { DBG_CONTINUE, DBG_EXCEPTION_NOT_HANDLED, DEBUG_EVENT_BYTES, DebugEventCode } from './debug-event';
import { MEMORY_GONE_AT_EXIT, Win32CaptureSession, type WorkerCommand } from './win32-capture-session';

const TARGET = 100;
const rule = (over: Partial<CaptureRule> = {}): CaptureRule =>
  testCaptureRule({ pid: TARGET, startTimeMs: 1 }, 'C:\\dumps', { triggers: ['start', 'crash', 'exit'], ...over });

function ev(code: number, pid: number, tid: number, fill: (b: Buffer) => void = () => undefined): { t: 'event'; bytes: Uint8Array } {
  const b = Buffer.alloc(DEBUG_EVENT_BYTES);
  b.writeUInt32LE(code, 0);
  b.writeUInt32LE(pid, 4);
  b.writeUInt32LE(tid, 8);
  fill(b);
  return { t: 'event', bytes: new Uint8Array(b) };
}
const create = (pid: number): ReturnType<typeof ev> => ev(DebugEventCode.CREATE_PROCESS, pid, pid + 1, (b) => b.writeBigUInt64LE(0x140000000n, 40));
const exception = (pid: number, code: number, firstChance: boolean): ReturnType<typeof ev> =>
  ev(DebugEventCode.EXCEPTION, pid, pid + 1, (b) => {
    b.writeUInt32LE(code, 16);
    b.writeUInt32LE(firstChance ? 1 : 0, 168);
  });
const exit = (pid: number, code: number): ReturnType<typeof ev> => ev(DebugEventCode.EXIT_PROCESS, pid, pid + 1, (b) => b.writeUInt32LE(code, 16));

interface Harness {
  session: Win32CaptureSession;
  events: CaptureEvent[];
  commands: WorkerCommand[];
  writes: { request: DumpRequest; options: DumpWriteOptions | undefined }[];
  settle(): Promise<void>;
}

function harness(r: CaptureRule, opts: { memoryReadable?: boolean; loaderListed?: boolean; names?: Record<number, string>; writer?: DumpWriter } = {}): Harness {
  const events: CaptureEvent[] = [];
  const commands: WorkerCommand[] = [];
  const writes: Harness['writes'] = [];
  const writer: DumpWriter = opts.writer ?? {
    format: 'minidump',
    async write(request, options) {
      writes.push({ request, options });
      return { path: `C:\\dumps\\${options?.nameHint}_${request.pid}.dmp`, fileBytes: 4096, sha256: 'ab'.repeat(32) } as DumpResult;
    },
  };
  const compiled = { rule: r, name: r.nameGlob === null ? null : compileNameGlob(r.nameGlob), cmdline: r.cmdlineRegex === null ? null : new RegExp(r.cmdlineRegex) };
  const session: Win32CaptureSession = new Win32CaptureSession(compiled, (e) => events.push(e), {
    writer,
    readFacts: (pid) => ({
      name: opts.names?.[pid] ?? 'hostname.exe', cmdline: `${opts.names?.[pid] ?? 'hostname.exe'} /x`, ppid: TARGET, startTimeMs: 1000 + pid,
      loaderListed: opts.loaderListed ?? false,
    }),
    isMemoryReadable: () => opts.memoryReadable ?? false,
    readExitCode: () => 7,
    send: (c) => {
      commands.push(c);
      // The worker answers stop with 'stopped' once everything is detached.
      if (c.c === 'stop') queueMicrotask(() => session.handle({ t: 'stopped' }));
    },
    now: () => 5000,
  });
  session.onArmed([]);
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 20; i++) await new Promise((res) => setImmediate(res));
  };
  return { session, events, commands, writes, settle };
}

const continues = (h: Harness, pid: number): WorkerCommand[] => h.commands.filter((c) => c.c === 'continue' && c.pid === pid);

describe('Win32CaptureSession', () => {
  it('holds a child from birth: seen at CREATE_PROCESS, start dump at the loader breakpoint, crash at a first-chance AV, Wine exit error', async () => {
    const h = harness(rule());
    h.session.handle({ t: 'new', pid: 200, atBirth: true, late: false, attached: true, error: null });
    h.session.handle(create(200));
    await h.settle();
    expect(h.events.map((e) => e.event)).toEqual(['seen']);
    expect(h.events[0]).toMatchObject({ pid: 200, ppid: TARGET, name: 'hostname.exe', cmdline: 'hostname.exe /x', startTimeMs: 1200 });
    expect(h.writes).toHaveLength(0);
    expect(continues(h, 200)).toEqual([{ c: 'continue', pid: 200, tid: 201, status: DBG_CONTINUE }]);

    h.session.handle(exception(200, 0x80000003, true));
    await h.settle();
    expect(h.writes.map((w) => w.options?.nameHint)).toEqual(['hostname-at-start']);
    expect(h.writes[0]!.request).toEqual({ pid: 200, startTimeMs: 1200, kind: 'mini', outDir: 'C:\\dumps' });
    // The loader's breakpoint is ours: swallowed, or the child would die of it.
    expect(continues(h, 200)[1]).toMatchObject({ status: DBG_CONTINUE });

    h.session.handle(exception(200, 0xc0000005, true));
    await h.settle();
    expect(h.writes.map((w) => w.options?.nameHint)).toEqual(['hostname-at-start', 'hostname-at-crash']);
    // The crash dump gets the exception: its thread and the EXCEPTION_RECORD (code first) from the DEBUG_EVENT.
    expect(h.writes[0]!.options?.exception).toBeUndefined();
    const exc = h.writes[1]!.options?.exception;
    expect(exc?.threadId).toBe(201);
    expect(exc?.exceptionRecord.length).toBe(152);
    expect(Buffer.from(exc!.exceptionRecord).readUInt32LE(0)).toBe(0xc0000005);
    expect(continues(h, 200)[2]).toMatchObject({ status: DBG_EXCEPTION_NOT_HANDLED });
    // The second chance of the same crash is not dumped again.
    h.session.handle(exception(200, 0xc0000005, false));
    await h.settle();
    expect(h.writes).toHaveLength(2);

    h.session.handle(exit(200, 0xc0000005));
    await h.settle();
    const error = h.events.find((e) => e.event === 'error');
    expect(error).toMatchObject({ pid: 200, trigger: 'exit', error: { code: 'process-gone' } });
    expect(error?.event === 'error' && error.error.message).toContain(MEMORY_GONE_AT_EXIT);
    expect(h.writes).toHaveLength(2);
    expect(h.events.find((e) => e.event === 'exited')).toMatchObject({ pid: 200, exitCode: 0xc0000005, signal: null });
    expect(continues(h, 200).at(-1)).toEqual({ c: 'continue', pid: 200, tid: 201, status: DBG_CONTINUE, exited: true });
    expect(h.events.filter((e) => e.event === 'dump').map((e) => e.event === 'dump' && e.trigger)).toEqual(['start', 'crash']);
    // Held (with its deadline) before each dump; not at CREATE_PROCESS (let go there) nor at the exit (no memory).
    expect(h.events.map((e) => e.event)).toEqual(['seen', 'held', 'dump', 'held', 'dump', 'error', 'exited']);
    expect(h.events.filter((e) => e.event === 'held')).toEqual([
      { event: 'held', atMs: 5000, pid: 200, name: 'hostname.exe', trigger: 'start', deadlineMs: 65_000 },
      { event: 'held', atMs: 5000, pid: 200, name: 'hostname.exe', trigger: 'crash', deadlineMs: 65_000 },
    ]);
  });

  it('one hold that dumps twice (its first exception is a crash before the loader breakpoint) reports the hold again for the second dump', async () => {
    const h = harness(rule({ triggers: ['start', 'crash'] }));
    h.session.handle({ t: 'new', pid: 220, atBirth: true, late: false, attached: true, error: null });
    h.session.handle(create(220));
    h.session.handle(exception(220, 0xc0000005, true));
    await h.settle();
    expect(h.writes.map((w) => w.options?.nameHint)).toEqual(['hostname-at-start', 'hostname-at-crash']);
    const shown = h.events.map((e) => (e.event === 'held' || e.event === 'dump' ? `${e.event} ${e.trigger}` : e.event));
    expect(shown).toEqual(['seen', 'held start', 'dump start', 'held crash', 'dump crash']);
  });

  it('says so when a pending start dump never got its loader breakpoint before the exit', async () => {
    const h = harness(rule({ triggers: ['start'] }));
    h.session.handle({ t: 'new', pid: 260, atBirth: true, late: false, attached: true, error: null });
    h.session.handle(create(260));
    h.session.handle(exit(260, 0));
    await h.settle();
    expect(h.writes).toHaveLength(0);
    expect(h.events.find((e) => e.event === 'error')).toMatchObject({ pid: 260, trigger: 'start', error: { code: 'process-gone' } });
  });

  it('dumps at CREATE_PROCESS a child held only after its loader began (no loader breakpoint will come)', async () => {
    const h = harness(rule({ triggers: ['start'] }), { loaderListed: true });
    h.session.handle({ t: 'new', pid: 250, atBirth: true, late: false, attached: true, error: null });
    h.session.handle(create(250));
    await h.settle();
    expect(h.writes.map((w) => [w.request.pid, w.options?.nameHint])).toEqual([[250, 'hostname-at-start']]);
    expect(continues(h, 250)).toEqual([{ c: 'continue', pid: 250, tid: 251, status: DBG_CONTINUE }]);
    h.session.handle(exception(250, 0x80000003, true));
    await h.settle();
    expect(h.writes).toHaveLength(1);
  });

  it('start-dumps a child the reconcile pass found late (its job message lost): it was born under the watch too', async () => {
    // Under load Wine delivered no NEW_PROCESS for one of 20 children; the 1 s pass held it, and it got no start dump.
    const listed = harness(rule({ triggers: ['start'] }), { loaderListed: true });
    listed.session.handle({ t: 'new', pid: 270, atBirth: false, late: true, attached: true, error: null });
    listed.session.handle(create(270));
    await listed.settle();
    expect(listed.writes.map((w) => [w.request.pid, w.options?.nameHint])).toEqual([[270, 'hostname-at-start']]);

    // Found before its loader listed its modules: the start dump waits for the loader's breakpoint, which is swallowed.
    const early = harness(rule({ triggers: ['start'] }));
    early.session.handle({ t: 'new', pid: 280, atBirth: false, late: true, attached: true, error: null });
    early.session.handle(create(280));
    early.session.handle(exception(280, 0x80000003, true));
    await early.settle();
    expect(early.writes.map((w) => [w.request.pid, w.options?.nameHint])).toEqual([[280, 'hostname-at-start']]);
    expect(continues(early, 280)[1]).toMatchObject({ status: DBG_CONTINUE });
  });

  it('writes the exit dump where the memory is still there (real Windows), and only for a non-zero code when asked', async () => {
    const h = harness(rule({ triggers: ['exit'], exitNonZeroOnly: true }), { memoryReadable: true });
    for (const [pid, code] of [[300, 0], [310, 3]] as const) {
      h.session.handle({ t: 'new', pid, atBirth: true, late: false, attached: true, error: null });
      h.session.handle(create(pid));
      h.session.handle(exit(pid, code));
    }
    await h.settle();
    expect(h.writes.map((w) => [w.request.pid, w.options?.nameHint])).toEqual([[310, 'hostname-at-exit']]);
    // The exit-0 child was only let go: held is reported for the exit-3 one alone.
    expect(h.events.filter((e) => e.event === 'held').map((e) => e.event === 'held' && [e.pid, e.trigger])).toEqual([[310, 'exit']]);
    expect(h.events.filter((e) => e.event === 'exited').map((e) => e.event === 'exited' && [e.pid, e.exitCode])).toEqual([[300, 0], [310, 3]]);
  });

  it('lets a process that does not match the filter go at once: detached, never seen, never dumped', async () => {
    const h = harness(rule({ nameGlob: 'Calamari*' }), { names: { 400: 'powershell.exe', 410: 'Calamari.exe' } });
    for (const pid of [400, 410]) {
      h.session.handle({ t: 'new', pid, atBirth: true, late: false, attached: true, error: null });
      h.session.handle(create(pid));
    }
    await h.settle();
    expect(continues(h, 400)).toEqual([{ c: 'continue', pid: 400, tid: 401, status: DBG_CONTINUE, thenDetach: true }]);
    expect(h.events.filter((e) => e.event === 'seen').map((e) => e.event === 'seen' && e.name)).toEqual(['Calamari.exe']);
  });

  it('releases a held process undumped at its hold deadline, with an error that says so', async () => {
    const never: DumpWriter = {
      format: 'minidump',
      write: (_req, options) => new Promise((_res, reject) => options?.signal?.addEventListener('abort', () => reject(new DumpError('cancelled', 'x')))),
    };
    const h = harness(rule({ triggers: ['crash'], holdTimeoutMs: 150 }), { writer: never });
    h.session.handle({ t: 'new', pid: 500, atBirth: true, late: false, attached: true, error: null });
    h.session.handle(create(500));
    h.session.handle(exception(500, 0xc00000fd, true));
    await new Promise((res) => setTimeout(res, 250));
    await h.settle();
    expect(h.events.find((e) => e.event === 'error')).toMatchObject({ pid: 500, trigger: 'crash', error: { code: 'cancelled' } });
    expect(h.events.find((e) => e.event === 'held')).toEqual({ event: 'held', atMs: 5000, pid: 500, name: 'hostname.exe', trigger: 'crash', deadlineMs: 5150 });
    expect(continues(h, 500).at(-1)).toMatchObject({ status: DBG_EXCEPTION_NOT_HANDLED });
  });

  it('stops at the dump limit and releases whatever is still held', async () => {
    const h = harness(rule({ triggers: ['start'], maxDumps: 1 }));
    for (const pid of [600, 610]) {
      h.session.handle({ t: 'new', pid, atBirth: true, late: false, attached: true, error: null });
      h.session.handle(create(pid));
    }
    h.session.handle(exception(600, 0x80000003, true));
    await h.settle();
    expect(await h.session.finished).toBe('max-dumps');
    expect(h.writes).toHaveLength(1);
    expect(h.commands.at(-1)).toEqual({ c: 'stop' });
    expect(h.events.at(-1)).toMatchObject({ event: 'done', reason: 'max-dumps', seenCount: 2, dumpCount: 1 });
  });

  it('on stop continues a pending event and detaches before the worker is told to stop; done comes last', async () => {
    // A dump that would never end by itself; it honours its abort signal, as every DumpWriter must.
    const slow: DumpWriter = {
      format: 'minidump',
      write: (_r, o) => new Promise((_res, rej) => o?.signal?.addEventListener('abort', () => rej(new DumpError('cancelled', 'The dump was cancelled.')))),
    };
    const h = harness(rule({ triggers: ['start'] }), { writer: slow });
    h.session.handle({ t: 'new', pid: 700, atBirth: true, late: false, attached: true, error: null });
    h.session.handle(create(700));
    h.session.handle(exception(700, 0x80000003, true));
    await h.settle();
    await h.session.finish('stopped');
    const i = h.commands.findIndex((c) => c.c === 'continue' && c.pid === 700 && c.thenDetach === true);
    expect(i).toBeGreaterThanOrEqual(0);
    expect(h.commands.findIndex((c) => c.c === 'stop')).toBeGreaterThan(i);
    expect(h.events.at(-1)).toMatchObject({ event: 'done', reason: 'stopped' });
    // The dump the stop cancelled is not reported as an error (done says the watch stopped), nor after done.
    await h.settle();
    expect(h.events.map((e) => e.event)).toEqual(['seen', 'held', 'done']);
  });

  it('ends with target-exited when the watched process leaves the job, and reports a child it could not hold', async () => {
    const h = harness(rule());
    h.session.handle({ t: 'new', pid: 800, atBirth: true, late: false, attached: false, error: 'NtDebugActiveProcess failed with NTSTATUS 0xc0000048' });
    h.session.handle({ t: 'job-exit', pid: TARGET });
    expect(await h.session.finished).toBe('target-exited');
    expect(h.events[0]).toMatchObject({ event: 'error', pid: 800, error: { code: 'io-error' } });
    expect(h.events.at(-1)).toMatchObject({ event: 'done', reason: 'target-exited' });
  });

  it("waits for a held target's own exit event when the job's exit message overtakes it (scope self)", async () => {
    const h = harness(rule({ scope: 'self', triggers: ['exit'] }), { names: { [TARGET]: 'node.exe' } });
    h.session.handle(create(TARGET));
    h.session.handle({ t: 'job-exit', pid: TARGET });
    h.session.handle({ t: 'zero' });
    await h.settle();
    expect(h.events.map((e) => e.event)).toEqual(['seen']);
    h.session.handle(exit(TARGET, 0xc0000005));
    expect(await h.session.finished).toBe('target-exited');
    expect(h.events.map((e) => e.event)).toEqual(['seen', 'error', 'exited', 'done']);
    expect(h.events[2]).toMatchObject({ pid: TARGET, exitCode: 0xc0000005 });
  });

  it('a held target whose exit event never comes still ends the watch, with the exit code the job saw', async () => {
    const h = harness(rule({ scope: 'self', triggers: ['exit'] }), { names: { [TARGET]: 'node.exe' } });
    h.session.handle(create(TARGET));
    h.session.handle({ t: 'job-exit', pid: TARGET });
    expect(await h.session.finished).toBe('target-exited');
    expect(h.events.map((e) => e.event)).toEqual(['seen', 'exited', 'done']);
    expect(h.events[1]).toMatchObject({ exitCode: 7 });
  });

  it('a target launched suspended for the watch (--launch) is start-dumped at its loader breakpoint, which is swallowed', async () => {
    const h = harness(rule({ scope: 'self', triggers: ['start'], targetHeldAtLaunch: true }), { names: { [TARGET]: 'cmd.exe' } });
    h.session.handle(create(TARGET));
    await h.settle();
    expect(h.events.map((e) => e.event)).toEqual(['seen']);
    expect(h.writes).toHaveLength(0);
    h.session.handle(exception(TARGET, 0x80000003, true));
    await h.settle();
    expect(h.writes.map((w) => w.options?.nameHint)).toEqual(['cmd-at-start']);
    expect(h.writes[0]!.request.pid).toBe(TARGET);
    expect(continues(h, TARGET).at(-1)).toMatchObject({ status: DBG_CONTINUE });
    h.session.handle(exit(TARGET, 3));
    expect(await h.session.finished).toBe('target-exited');
    expect(h.events.find((e) => e.event === 'exited')).toMatchObject({ pid: TARGET, exitCode: 3 });
  });

  it('a target that was already running gets no start dump, and its breakpoints go back to it', async () => {
    const h = harness(rule({ scope: 'self', triggers: ['start'] }), { names: { [TARGET]: 'cmd.exe' } });
    h.session.handle(create(TARGET));
    h.session.handle(exception(TARGET, 0x80000003, true));
    await h.settle();
    expect(h.writes).toHaveLength(0);
    expect(continues(h, TARGET).at(-1)).toMatchObject({ status: DBG_EXCEPTION_NOT_HANDLED });
  });

  it('a worker failure ends the watch with an error, then done', async () => {
    const h = harness(rule());
    h.session.handle({ t: 'fatal', message: 'boom', assign: false });
    expect(await h.session.finished).toBe('error');
    expect(h.events.map((e) => e.event)).toEqual(['error', 'done']);
  });
});
