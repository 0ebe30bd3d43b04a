/*
 * One Windows watch on the main thread: it turns the capture worker's messages (held at birth, raw DEBUG_EVENTs,
 * job exits, reconcile passes) into the contract's CaptureEvents, decides per event whether a trigger fires, writes
 * the dump with the ordinary minidump writer while the process is frozen by its debug event, and only then tells
 * the worker to continue it. Every hold is bounded by the rule's deadline; on finish every pending event is
 * continued and the worker detaches everything. OS access goes through injected facts and a writer, so the whole
 * decision logic runs in tests on any OS with crafted DEBUG_EVENT buffers.
 */
import type { CaptureDoneReason, CaptureEvent, CaptureRule, CaptureTrigger } from '../../../src-shared/model/capture';
import { captureFileNameHint } from '../../../src-shared/model/capture';
import type { DumpErrorInfo } from '../../../src-shared/model/dump';
import { DumpError, requireSha256, type DumpWriter } from '../../dump/dump-writer';
import { ruleMatches, type CompiledRule } from '../capture-rule';
import { inScope, triggerFor, windowsImageNames } from './capture-match';
import { DBG_CONTINUE, decodeDebugEvent, EXCEPTION_BREAKPOINT, exceptionContinueStatus, isCrash, STATUS_WX86_BREAKPOINT } from './debug-event';
import type { HeldProcessFacts } from './win32-process-facts';
import type { SampledHost, SampledTrigger } from './win32-capture-monitor';

/** What the worker posts (capture-worker-source.ts). */
export type WorkerMessage =
  | { t: 'armed'; limits: string[]; existing: { pid: number; attached: boolean }[] }
  | { t: 'new'; pid: number; atBirth: boolean; late: boolean; attached: boolean; error: string | null; tries?: number; ms?: number; suspendStatus?: number | null }
  | { t: 'event'; bytes: Uint8Array }
  | { t: 'job-exit'; pid: number }
  | { t: 'zero' }
  | { t: 'reconcile'; listed: number; missed: number[] }
  | { t: 'warn'; pid: number | null; message: string }
  | { t: 'stopped' }
  | { t: 'fatal'; message: string; assign: boolean; status?: number };

/** What the worker is told. */
export type WorkerCommand =
  | { c: 'continue'; pid: number; tid: number; status: number; thenDetach?: boolean; exited?: boolean }
  | { c: 'detach'; pid: number }
  | { c: 'stop' };

export interface SessionDeps {
  writer: DumpWriter;
  readFacts(pid: number): HeldProcessFacts | null;
  isMemoryReadable(pid: number, imageBase: bigint): boolean;
  readExitCode(pid: number): number | null;
  send(command: WorkerCommand): void;
  now(): number;
}

interface Tracked {
  pid: number;
  bornUnderWatch: boolean;
  attached: boolean;
  name: string;
  matched: boolean | null;
  seenAtMs: number;
  startTimeMs: number | null;
  imageBase: bigint;
  loaderBreakpointPending: boolean;
  /** A start dump waits for the loader's breakpoint: at CREATE_PROCESS a process held at birth has no modules yet. */
  startPending: boolean;
  crashDumped: boolean;
  exited: boolean;
}

type HeldException = { threadId: number; exceptionRecord: Uint8Array };

const TARGET_EXIT_GRACE_MS = 2000;

export const MEMORY_GONE_AT_EXIT = "the process's memory was already gone at exit";

export class Win32CaptureSession implements SampledHost {
  readonly #rule: CaptureRule;
  readonly #emit: (e: CaptureEvent) => void;
  readonly #deps: SessionDeps;
  readonly #compiled: CompiledRule;
  readonly #procs = new Map<number, Tracked>();
  /** Debug events waiting for our answer, by pid: continued on finish if a dump still holds them. */
  readonly #pending = new Map<number, { tid: number; status: number }>();
  #dumpQueue: Promise<void> = Promise.resolve();
  /** The dumps being written: a stop cancels them, so nothing is reported after done. */
  readonly #writing = new Set<AbortController>();
  #seenCount = 0;
  #dumpCount = 0;
  #finishing: Promise<void> | null = null;
  #targetExited = false;
  #exitGrace: NodeJS.Timeout | null = null;
  #workerStopped!: () => void;
  readonly #stopped = new Promise<void>((resolve) => (this.#workerStopped = resolve));
  #resolveFinished!: (r: CaptureDoneReason) => void;
  readonly finished = new Promise<CaptureDoneReason>((resolve) => (this.#resolveFinished = resolve));
  /** Counters for tests and the probe: held at birth, missed by the port but found by reconcile. */
  readonly stats = { heldAtBirth: 0, attachFailed: 0, reconciledLate: 0 };

  constructor(compiled: CompiledRule, emit: (e: CaptureEvent) => void, deps: SessionDeps) {
    this.#compiled = compiled;
    this.#rule = compiled.rule;
    this.#emit = emit;
    this.#deps = deps;
  }

  #error(pid: number | null, trigger: CaptureTrigger | null, error: DumpErrorInfo): void {
    this.#emit({ event: 'error', atMs: this.#deps.now(), pid, trigger, error });
  }

  #track(pid: number, bornUnderWatch: boolean, attached: boolean): Tracked {
    const p: Tracked = {
      pid, bornUnderWatch, attached, name: `pid${pid}`, matched: null, seenAtMs: this.#deps.now(), startTimeMs: null,
      imageBase: 0n, loaderBreakpointPending: bornUnderWatch, startPending: false, crashDumped: false, exited: false,
    };
    this.#procs.set(pid, p);
    return p;
  }

  /** The worker armed: the target and its existing descendants are known (attached where the scope says). */
  onArmed(existing: { pid: number; attached: boolean }[]): void {
    // A target created suspended for the watch (--launch) is as new as a child held at birth: its start dump waits
    // for its loader's breakpoint, which is ours to swallow (otherwise it would die of an unhandled breakpoint).
    this.#track(this.#rule.target.pid, this.#rule.targetHeldAtLaunch === true, inScope(this.#rule.scope, true));
    for (const e of existing) this.#track(e.pid, false, e.attached);
  }

  handle(m: WorkerMessage): void {
    if (this.#finishing && m.t !== 'stopped' && m.t !== 'fatal' && m.t !== 'event') return;
    switch (m.t) {
      case 'new': {
        // Every 'new' pid started after arming (the ones that existed then were tracked by onArmed), whether its job
        // message came (atBirth) or the reconcile pass found it (late): it is born under the watch and gets its start
        // dump. Only one held at birth is sure to meet its loader's breakpoint; a late one may (see create-process).
        const p = this.#track(m.pid, true, m.attached);
        p.loaderBreakpointPending = m.atBirth;
        if (m.attached && m.atBirth) this.stats.heldAtBirth++;
        if (m.late) this.stats.reconciledLate++;
        if (m.error) {
          this.stats.attachFailed++;
          p.matched = false;
          this.#error(m.pid, null, { code: 'io-error', message: `Process ${m.pid} could not be held, so it is not captured: ${m.error}.` });
        }
        return;
      }
      case 'event':
        this.#onDebugEvent(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength));
        return;
      case 'job-exit':
        this.#onJobExit(m.pid);
        return;
      case 'zero':
        this.#targetLeftJob();
        return;
      case 'warn':
        this.#error(m.pid, null, { code: 'io-error', message: `${m.message}.` });
        return;
      case 'stopped':
        this.#workerStopped();
        return;
      case 'fatal':
        this.#error(null, null, { code: 'io-error', message: `The capture worker failed: ${m.message}. Every held process was released.` });
        this.#workerStopped();
        void this.finish('error');
        return;
      default:
        return;
    }
  }

  #continue(pid: number, tid: number, status: number, extra: { thenDetach?: boolean; exited?: boolean } = {}): void {
    const waiting = this.#pending.get(pid);
    if (!waiting || waiting.tid !== tid) return;
    this.#pending.delete(pid);
    this.#deps.send({ c: 'continue', pid, tid, status, ...extra });
  }

  #onDebugEvent(bytes: Buffer): void {
    const ev = decodeDebugEvent(bytes);
    const p = this.#procs.get(ev.pid) ?? this.#track(ev.pid, false, true);
    const status = ev.code === 'exception' ? exceptionContinueStatus(ev.exceptionCode, ev.firstChance, p.loaderBreakpointPending) : DBG_CONTINUE;
    this.#pending.set(ev.pid, { tid: ev.tid, status });
    if (this.#finishing) {
      this.#continue(ev.pid, ev.tid, status, { thenDetach: true, exited: ev.code === 'exit-process' });
      return;
    }
    if (ev.code === 'create-process') {
      p.imageBase = ev.imageBase;
      const facts = this.#deps.readFacts(ev.pid);
      if (facts) {
        p.name = facts.name;
        p.startTimeMs = facts.startTimeMs;
      }
      const isTarget = ev.pid === this.#rule.target.pid;
      p.matched = ruleMatches(this.#compiled, isTarget, windowsImageNames(p.name), facts?.cmdline ?? '');
      if (!p.matched) {
        // Not ours: let it go entirely; it runs on as if we had never looked.
        p.attached = false;
        this.#continue(ev.pid, ev.tid, DBG_CONTINUE, { thenDetach: true });
        return;
      }
      this.#seenCount++;
      this.#emit({
        event: 'seen', atMs: this.#deps.now(), pid: ev.pid, ppid: facts?.ppid ?? 0, name: p.name, cmdline: facts?.cmdline ?? '',
        startTimeMs: p.startTimeMs ?? p.seenAtMs,
      });
      // Held before its loader ran, the process has only its image and ntdll mapped here (Wine lists no module at
      // all): its start dump waits for the loader's breakpoint, once its static DLLs are loaded and before its own
      // code runs. Held later (the job message lost the race), no breakpoint will come: dump it here.
      const start = triggerFor(this.#rule, { kind: 'create', bornUnderWatch: p.bornUnderWatch });
      const atBreakpoint = start !== null && facts !== null && !facts.loaderListed;
      p.startPending = atBreakpoint;
      // Held before its loader listed its modules, it meets the loader's breakpoint (it is debugged now): ours to swallow.
      if (atBreakpoint) p.loaderBreakpointPending = true;
      this.#hold(p, ev.tid, status, start && !atBreakpoint ? [start] : []);
    } else if (ev.code === 'exception') {
      const isBreakpoint = ev.exceptionCode === EXCEPTION_BREAKPOINT || ev.exceptionCode === STATUS_WX86_BREAKPOINT;
      if (isBreakpoint && ev.firstChance) p.loaderBreakpointPending = false;
      const triggers: CaptureTrigger[] = [];
      if (p.startPending) {
        p.startPending = false;
        triggers.push('start');
      }
      if (p.matched === true && !p.crashDumped && isCrash(ev.exceptionCode, ev.firstChance)) {
        p.crashDumped = true;
        const crash = triggerFor(this.#rule, { kind: 'crash' });
        if (crash) triggers.push(crash);
      }
      // The crash dump carries the exception (EXCEPTION_RECORD @16..@168 of the DEBUG_EVENT) and its thread.
      this.#hold(p, ev.tid, status, triggers, { threadId: ev.tid, exceptionRecord: Uint8Array.from(bytes.subarray(16, 168)) });
    } else if (ev.code === 'exit-process') {
      if (p.startPending) {
        // The loader's breakpoint never came (it was already past its check when we attached): say so, never skip silently.
        p.startPending = false;
        this.#error(ev.pid, 'start', { code: 'process-gone', message: `Process ${ev.pid} (${p.name}) ended before its loader's breakpoint, so no start dump was written.` });
      }
      const trigger = p.matched === true ? triggerFor(this.#rule, { kind: 'exit', exitCode: ev.exitCode }) : null;
      const done = (): void => {
        this.#exited(p, ev.exitCode);
        this.#continue(ev.pid, ev.tid, DBG_CONTINUE, { exited: true });
        if (ev.pid === this.#rule.target.pid) this.#targetGone();
      };
      if (trigger && !this.#deps.isMemoryReadable(ev.pid, p.imageBase)) {
        this.#error(ev.pid, 'exit', {
          code: 'process-gone',
          message: `Process ${ev.pid} (${p.name}): ${MEMORY_GONE_AT_EXIT}, so no exit dump was written (Wine frees it before the exit event; Windows keeps it).`,
        });
        done();
        return;
      }
      this.#dumpThen(p, trigger ? [trigger] : [], done);
    } else {
      this.#continue(ev.pid, ev.tid, DBG_CONTINUE);
    }
  }

  #hold(p: Tracked, tid: number, status: number, triggers: CaptureTrigger[], exception?: HeldException): void {
    this.#dumpThen(p, triggers, () => this.#continue(p.pid, tid, status), exception);
  }

  /** Writes the dumps (one at a time: dbghelp is single-threaded) while the event holds the process, then `release`. */
  #dumpThen(p: Tracked, triggers: CaptureTrigger[], release: () => void, exception?: HeldException): void {
    if (triggers.length === 0 || this.#budgetLeft() <= 0) {
      release();
      return;
    }
    const heldAt = this.#deps.now();
    const held = (trigger: CaptureTrigger): void =>
      this.#emit({ event: 'held', atMs: this.#deps.now(), pid: p.pid, name: p.name, trigger, deadlineMs: heldAt + this.#rule.holdTimeoutMs });
    held(triggers[0]!);
    this.#dumpQueue = this.#dumpQueue.then(async () => {
      try {
        for (const [i, trigger] of triggers.entries()) {
          // A second dump in the same hold (start, then crash): the first one's dump event ended the shown hold.
          if (i > 0 && !this.#finishing) held(trigger);
          await this.#dumpOne(p, trigger, heldAt, trigger === 'crash' ? exception : undefined);
        }
      } finally {
        release();
      }
      if (this.#budgetLeft() <= 0) void this.finish('max-dumps');
    });
  }

  /** Writes one dump; true when it was written. */
  async #dumpOne(p: Tracked, trigger: CaptureTrigger, heldAt: number, exception: HeldException | undefined): Promise<boolean> {
    const left = this.#rule.holdTimeoutMs - (this.#deps.now() - heldAt);
    if (this.#finishing || left <= 0 || this.#budgetLeft() <= 0) {
      if (left <= 0) this.#error(p.pid, trigger, { code: 'cancelled', message: `Process ${p.pid} (${p.name}) reached its hold deadline before its ${trigger} dump could start; it was released undumped.` });
      return false;
    }
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), left);
    this.#writing.add(abort);
    try {
      const r = await this.#deps.writer.write(
        { pid: p.pid, startTimeMs: p.startTimeMs ?? 0, kind: this.#rule.kind, outDir: this.#rule.outDir },
        // No analysis pack: it reads module files after the dump, which would hold the target longer (as on Linux).
        { signal: abort.signal, nameHint: captureFileNameHint(p.name.replace(/\.exe$/i, ''), trigger), analysisPack: false, ...(exception ? { exception } : {}) },
      );
      this.#dumpCount++;
      this.#emit({
        event: 'dump', atMs: this.#deps.now(), pid: p.pid, name: p.name, trigger, path: r.path, fileBytes: r.fileBytes,
        sha256: requireSha256(r), targetPauseMs: this.#deps.now() - heldAt, unreadableBytes: r.unreadableBytes,
      });
      return true;
    } catch (err) {
      // Cancelled by a stop: the watch is ending, and says so with done.
      if (this.#finishing && abort.signal.aborted) return false;
      const info: DumpErrorInfo = err instanceof DumpError
        ? { code: err.code, message: abort.signal.aborted ? `Process ${p.pid} (${p.name}) reached its hold deadline during its ${trigger} dump and was released; the partial file is removed.` : err.message }
        : { code: 'io-error', message: `The ${trigger} dump of process ${p.pid} failed: ${(err as Error).message}` };
      this.#error(p.pid, trigger, info);
      return false;
    } finally {
      clearTimeout(timer);
      this.#writing.delete(abort);
    }
  }

  /** The processes the sampled triggers sample: matched by the rule, in scope (so attached), and still running. */
  sampleTargets(): { pid: number; startTimeMs: number | null }[] {
    const out: { pid: number; startTimeMs: number | null }[] = [];
    for (const p of this.#procs.values()) {
      if (p.matched !== true || p.exited) continue;
      out.push({ pid: p.pid, startTimeMs: p.startTimeMs ?? (p.pid === this.#rule.target.pid ? this.#rule.target.startTimeMs : null) });
    }
    return out;
  }

  /** Whether a sampled dump may be asked for now: not ending, and the watch's dump limit not reached. */
  canDumpSampled(): boolean {
    return this.#finishing === null && !this.#targetExited && this.#budgetLeft() > 0;
  }

  /**
   * A sampled trigger fired: dump the process as it runs (no debug event holds it; MiniDumpWriteDump suspends its
   * threads for the write, or dumps a PSS clone). Queued behind any dump that holds a process, one at a time. A debug
   * event it raises meanwhile is handled as ever: the worker continues the ones that are not ours at once, and ours
   * wait their turn in the queue, frozen by the kernel, which the write does not need to run. Resolves true when written.
   */
  dumpRunning(pid: number, trigger: SampledTrigger): Promise<boolean> {
    const p = this.#procs.get(pid);
    if (!p || p.matched !== true || p.exited || !this.canDumpSampled()) return Promise.resolve(false);
    const run = this.#dumpQueue.then(async () => {
      // It may have exited while an earlier dump was written.
      const written = p.exited ? false : await this.#dumpOne(p, trigger, this.#deps.now(), undefined);
      if (this.#budgetLeft() <= 0) void this.finish('max-dumps');
      return written;
    });
    this.#dumpQueue = run.then(() => undefined, () => undefined);
    return run;
  }

  #budgetLeft(): number {
    return this.#rule.maxDumps === null ? Infinity : this.#rule.maxDumps - this.#dumpCount;
  }

  #exited(p: Tracked, exitCode: number | null): void {
    if (p.exited) return;
    p.exited = true;
    if (p.matched !== true) return;
    const now = this.#deps.now();
    const plausible = p.startTimeMs !== null && p.startTimeMs > p.seenAtMs - 10 * 86_400_000 && p.startTimeMs <= p.seenAtMs + 1000;
    const from = plausible && p.bornUnderWatch ? Math.max(p.startTimeMs!, p.seenAtMs - 1000) : (plausible ? p.startTimeMs! : p.seenAtMs);
    this.#emit({ event: 'exited', atMs: now, pid: p.pid, name: p.name, exitCode, signal: null, lifetimeMs: Math.max(0, now - from) });
  }

  #onJobExit(pid: number): void {
    const p = this.#procs.get(pid);
    // An attached, matched process reports its exit through EXIT_PROCESS_DEBUG_EVENT (with the code) first.
    if (p && !p.exited && !(p.attached && p.matched === true)) this.#exited(p, this.#deps.readExitCode(pid));
    if (p && !p.attached) this.#procs.delete(pid);
    if (pid === this.#rule.target.pid) this.#targetLeftJob();
  }

  /**
   * The job's EXIT_PROCESS (or ACTIVE_PROCESS_ZERO) can overtake the debugger's EXIT_PROCESS_DEBUG_EVENT (Wine posts
   * it as the Unix process ends): a held target is given a moment for its exit event, which carries the exit dump.
   */
  #targetLeftJob(): void {
    const t = this.#procs.get(this.#rule.target.pid);
    if (!t || !t.attached || t.matched !== true || t.exited) {
      this.#targetGone();
      return;
    }
    this.#exitGrace ??= setTimeout(() => {
      this.#exited(t, this.#deps.readExitCode(t.pid));
      this.#targetGone();
    }, TARGET_EXIT_GRACE_MS);
  }

  #targetGone(): void {
    if (this.#exitGrace) clearTimeout(this.#exitGrace);
    if (this.#targetExited) return;
    this.#targetExited = true;
    // Let queued dumps of the last children finish, then end.
    void this.#dumpQueue.then(() => this.finish('target-exited'));
  }

  /** Continues every pending event, has the worker detach everything, and emits `done` once. */
  finish(reason: CaptureDoneReason): Promise<void> {
    this.#finishing ??= (async () => {
      if (this.#exitGrace) clearTimeout(this.#exitGrace);
      for (const [pid, w] of [...this.#pending]) this.#continue(pid, w.tid, w.status, { thenDetach: true });
      this.#deps.send({ c: 'stop' });
      // A dump still being written is cancelled (its partial file removed); done comes after its end.
      for (const abort of this.#writing) abort.abort();
      await this.#stopped;
      await this.#dumpQueue.catch(() => undefined);
      this.#emit({ event: 'done', atMs: this.#deps.now(), reason, seenCount: this.#seenCount, dumpCount: this.#dumpCount });
      this.#resolveFinished(reason);
    })();
    return this.#finishing;
  }
}
