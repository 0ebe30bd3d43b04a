/*
 * The Linux capture engine (issue 12): ptrace follow-fork on every thread of the watched process (and its existing
 * descendants), so each new descendant is stopped at birth, at exec and (for the exit trigger) at exit with no race; a trigger holds the
 * whole process stopped while the core writer reads it in place, then it runs on (a crash signal is re-injected).
 * Runs on the JS thread of the process that calls start() — which must be its own process (CLI, helper, a test's
 * child), never Electron main or the browser host — driving its poll loop from timer turns so timers still run.
 * On a main thread the loop is woken by SIGCHLD, which the kernel sends the tracer at every ptrace-stop and tracee
 * exit (a listener only: nothing is reaped, libuv's handler goes on waiting for its own children by pid); the timer
 * then only backs it up. Elsewhere (a Worker gets no signal events) it polls: at once while busy, else every 2 ms.
 * Every path ends in detaching every tracee; nothing is killed, and tracer death leaves the tree running.
 */
import { constants } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import { captureFileNameHint, type CaptureDoneReason, type CaptureEvent, type CaptureRule, type CaptureTrigger } from '../../../src-shared/model/capture';
import type { DumpRequest, DumpResult } from '../../../src-shared/model/dump';
import { DumpError, requireSha256, type DumpWriteOptions, type LinuxOpenedFolder } from '../../dump/dump-writer';
import { EPERM, ESRCH, PTRACE_EVENT_CLONE, PTRACE_EVENT_EXEC, PTRACE_EVENT_EXIT } from '../../dump/linux/ffi/libc-ptrace';
import { writeHeldLinuxCore } from '../../dump/linux/linux-core-writer';
import { closeOpenedFolderSync, openFolderByWalkSync } from '../../dump/linux/opened-folder';
import { AttachError, type AttachedProcess } from '../../dump/linux/ptrace-threads';
import { checkIdentitySync, checkNotTracedSync, permissionError } from '../../dump/linux/target-checks';
import type { CaptureEngine, CaptureWatch } from '../capture-engine';
import { compileCaptureRule, ruleMatches, type CompiledRule } from '../capture-rule';
import { monitorDumped, monitorFinished, monitorSample, newMonitorState, type MonitorState } from '../monitor';
import { FanotifyExecListener, WATCHDOG_STALE_MS } from './fanotify-exec';
import { descendantsOfSync, readPpidSync, readProcImageSync, readProcInfoIfLiveSync, readProcInfoSync, readStatInfoSync, readUsageSync, type ProcImage, type ProcInfo } from './process-info';
import { readProcessStartTimeMs } from '../../platform/linux/proc-start-time';
import { PtraceTracer, readTgidSync, TRACE_OPTIONS, TRACE_OPTIONS_NO_EXIT, type TraceStop } from './ptrace-tracer';
import { tuneTracerJit } from './tracer-jit';

/** Writes the core of a process the tracer holds; a test seam replaces it (say, with one that never finishes). */
export type HeldCoreWriter = (request: DumpRequest, held: AttachedProcess, options: DumpWriteOptions) => Promise<DumpResult>;

export interface LinuxCaptureOptions {
  writeHeldCore?: HeldCoreWriter;
  /**
   * The output folder, already opened and checked by the elevated helper's walk (helper-validate.ts), whose rules
   * (the requester's folder, files created with the requester's rights) replace the root CLI's. The caller owns it
   * and closes it after the watch has finished.
   */
  folder?: LinuxOpenedFolder;
}

export const LINUX_CAPTURE_MECHANISM = 'ptrace follow-fork on every thread (PTRACE_SEIZE, fork/vfork/clone/exec events; exit events only for the exit trigger)';
export const LINUX_CAPTURE_LIMITS = [
  'A process already being debugged cannot be watched (one tracer per process).',
  'Every signal the watched processes receive costs a round trip (~20 µs): signal-heavy runtimes (JVM, Go, .NET) slow down.',
  "A held process's parent waits in waitpid until the hold ends (each hold has a deadline).",
  'With the exit trigger, a leader thread that ends with pthread_exit while other threads run on is reported as the process exiting.',
];

export const FANOTIFY_CAPTURE_MECHANISM =
  'fanotify exec permission on named binaries (FAN_OPEN_EXEC_PERM inode marks): a descendant exec-ing one is seized before it runs (PTRACE_SEIZE); the watched process is not traced';
export function fanotifyCaptureLimits(paths: readonly string[]): string[] {
  return [
    `Only execs of the named binaries are seen (${paths.join(', ')}), then their own descendants; a child of the watched process that execs another binary is not seen.`,
    'A script run by an interpreter is not an exec of the script: name the interpreter (or the launcher binary).',
    'A fork that does not exec is not seen, nor a process that was already running when the watch armed.',
    `Execs of a named binary wait for the watch's answer (well under 1 ms); one left unanswered ${WATCHDOG_STALE_MS} ms while the watch is busy is let run unwatched, and reported.`,
    "A held process's parent waits in waitpid until the hold ends (each hold has a deadline).",
  ];
}
/** How often fanotify mode checks that the watched process (not traced, so no exit report) is still there. */
const TARGET_CHECK_MS = 50;
/** How many parents up /proc the descendant check walks before it answers no. */
const MAX_ANCESTRY = 256;

// asm-generic/signal.h: the signals that end a process with a core (the crash trigger).
const CRASH_SIGNALS = new Set([4, 6, 7, 8, 11, 31]); // SIGILL, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGSYS
const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name]));
const BUSY_POLL_MS = 5;
const IDLE_POLL_MS = 2;
/** A pass waits on every known tid, not only those the probe names, at least this often (a safety net). */
const FULL_PASS_MS = 100;
/** Stops one tick handles before it lets the event loop turn (then it goes on at the next turn). */
const MAX_STOPS_PER_TICK = 64;
/** Whether watches started from now on are woken by SIGCHLD (a main thread only); tests turn it off for the poll loop. */
export const linuxCaptureWakeUps = { onSigchld: isMainThread };

interface Proc extends Omit<ProcInfo, 'startTimeMs'> {
  pid: number;
  /**
   * Null until something needs it (its 'seen' event, a dump): a child born under the watch reads its start time
   * after it has been resumed, or at a later stop, never at its birth stop.
   */
  startTimeMs: number | null;
  isTarget: boolean;
  seen: boolean;
  exited: boolean;
  /** performance.now() when we first saw it (birth stop or arming): lifetimes are measured from here. */
  firstSeenPerfMs: number;
  /** Its lifetime before we saw it, for processes that existed before the watch. */
  priorLifetimeMs: number;
  /** The sampled triggers' state (rule.monitor set), and the trigger whose interrupt-stop we are waiting for. */
  monitor?: MonitorState;
  sampledPending?: SampledTrigger | null;
  /** fanotify mode: seized inside its execve of a named binary; not matched until its exec event. */
  awaitingExec?: boolean;
  /**
   * It exec'd and was resumed at once; its new name and command line are read after the poll (settleExec), or at
   * its next stop if that comes first — never while it waits at the exec stop.
   */
  execPending?: boolean;
}

type SampledTrigger = Extract<CaptureTrigger, 'cpu' | 'memory' | 'series'>;
const SAMPLED = new Set<CaptureTrigger>(['cpu', 'memory', 'series']);
/** ProcDump's polling interval: one sample of each watched process a second. */
const MONITOR_INTERVAL_MS = 1000;

interface Hold {
  proc: Proc;
  stop: TraceStop;
  trigger: CaptureTrigger;
  /** The signal handed back when it goes on (crash), and whether its thread is detached (at exit) or resumed. */
  reinjectSignal: number;
  detachAfter: boolean;
  exitStatus: number | null;
  pauseStartMs: number;
  timer: NodeJS.Timeout | null;
  abort: AbortController;
  expired: boolean;
}

export function createLinuxCaptureEngine(options: LinuxCaptureOptions = {}): CaptureEngine {
  return { start: (rule, onEvent) => startLinuxWatch(rule, onEvent, options.writeHeldCore ?? writeHeldLinuxCore, options.folder ?? null) };
}

function exitFields(status: number): { exitCode: number | null; signal: string | null } {
  const sig = status & 0x7f;
  if (sig === 0) return { exitCode: (status >> 8) & 0xff, signal: null };
  return { exitCode: null, signal: SIGNAL_NAMES.get(sig) ?? `signal ${sig}` };
}

function seizeError(err: unknown, pid: number): DumpError {
  if (err instanceof DumpError) return err;
  if (err instanceof AttachError && err.errno === EPERM) return permissionError(pid);
  if (err instanceof AttachError && err.errno === ESRCH) return new DumpError('process-gone', `Process ${pid} has exited; there is nothing to watch.`);
  return new DumpError('io-error', `Procscope could not watch process ${pid}: ${(err as Error).message}.`);
}

function startLinuxWatch(
  rule: CaptureRule,
  onEvent: (event: CaptureEvent) => void,
  writeCore: HeldCoreWriter,
  given: LinuxOpenedFolder | null,
): Promise<CaptureWatch> {
  if (process.platform !== 'linux') return Promise.reject(new DumpError('unsupported', 'The ptrace capture engine runs on Linux only.'));
  try {
    const compiled = compileCaptureRule(rule);
    if (rule.target.pid === process.pid) {
      throw new DumpError('bad-request', `Process ${rule.target.pid} is Procscope's own process, which cannot trace itself. Watch another process.`);
    }
    checkIdentitySync(rule.target.pid, rule.target.startTimeMs);
    // fanotify mode never traces the target: another debugger on it, or it being our child, changes nothing.
    const execMode = rule.execPaths !== undefined;
    if (!execMode) checkNotTracedSync(rule.target.pid);
    if (!execMode && readProcInfoSync(rule.target.pid).ppid === process.pid) {
      // libuv's SIGCHLD handler calls waitpid on its own children, which returns their ptrace-stops too: it would
      // take the target's stops (and report it exited while it is held). ptrace(2), "waitpid ... tracer".
      throw new DumpError(
        'bad-request',
        `Process ${rule.target.pid} is a child of this process, which cannot also trace it. Start it from another process (a shell, or procscope watch --launch), then watch it.`,
      );
    }
    // As root (sudo procscope watch), the folder is opened once by a walk that follows no link and every dump is
    // created relative to it, as `procscope dump` does: a link planted on the way cannot send root's files elsewhere.
    const folder = given ?? (process.geteuid?.() === 0 ? openFolderByWalkSync(rule.outDir, { kind: 'root-cli' }) : null);
    tuneTracerJit(); // this process is the tracer from now on (see the header): no mid-tier compiles in its busiest second
    try {
      return Promise.resolve(new LinuxWatch(compiled, onEvent, writeCore, folder, given === null).arm());
    } catch (err) {
      if (folder && !given) closeOpenedFolderSync(folder);
      throw err;
    }
  } catch (err) {
    return Promise.reject(err instanceof DumpError ? err : seizeError(err, rule?.target?.pid ?? 0));
  }
}

class LinuxWatch implements CaptureWatch {
  readonly finished: Promise<CaptureDoneReason>;
  private resolveFinished!: (reason: CaptureDoneReason) => void;
  private readonly tracer: PtraceTracer;
  /**
   * Whether tracees stop at their exit (PTRACE_EVENT_EXIT): only the exit trigger needs a process there. Without
   * it an exit costs no stop (its status comes from the wait), and an exec is read at its stop instead.
   */
  private readonly exitStops: boolean;
  private readonly procs = new Map<number, Proc>();
  /** A new child's tid → the watched process that forked it, from the fork event until the child's birth stop. */
  private readonly forkedBy = new Map<number, number>();
  private readonly queue: Hold[] = [];
  private current: Promise<void> | null = null;
  private currentHold: Hold | null = null;
  private finishing = false;
  private ending: CaptureDoneReason | null = null;
  private pollTimer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  /** The pending tick runs at the next turn (setImmediate), not on the idle timer. */
  private pollSoon = false;
  private readonly wakeOnSigchld = linuxCaptureWakeUps.onSigchld;
  private listening = false;
  private readonly onSigchld = (): void => this.tickNow();
  /** The last tick's polls were cut short by MAX_PASSES_PER_TICK: more stops may be waiting. */
  private pollBacklog = false;
  private lastFullPassMs = 0;
  private watchTimer: NodeJS.Timeout | null = null;
  private monitorTimer: NodeJS.Timeout | null = null;
  /** fanotify exec mode (rule.execPaths): the listener, and the timer that notices the untraced target's end. */
  private execs: FanotifyExecListener | null = null;
  private targetTimer: NodeJS.Timeout | null = null;
  private lastEventMs = 0;
  /** While the tracer's stops are read, events wait here and go out after the poll, so no tracee waits on a write. */
  private inPoll = false;
  private readonly pendingEvents: CaptureEvent[] = [];
  /** Processes that exec'd in this poll and whose /proc fields are read once it is done. */
  private readonly execReads: Proc[] = [];
  private readonly onStop = (s: TraceStop): boolean => {
    this.handleStop(s);
    return !this.finishing;
  };
  private seenCount = 0;
  private dumpCount = 0;
  private readonly rule: CaptureRule;

  constructor(
    private readonly compiled: CompiledRule,
    private readonly onEvent: (event: CaptureEvent) => void,
    private readonly writeCore: HeldCoreWriter,
    private readonly folder: LinuxOpenedFolder | null,
    private readonly ownsFolder: boolean,
  ) {
    this.rule = compiled.rule;
    this.exitStops = this.rule.triggers.includes('exit');
    this.tracer = new PtraceTracer(this.exitStops ? TRACE_OPTIONS : TRACE_OPTIONS_NO_EXIT);
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
  }

  private emit(event: CaptureEvent): void {
    if (this.inPoll) {
      this.pendingEvents.push(event);
      return;
    }
    this.flushEvents();
    this.deliver(event);
  }

  private deliver(event: CaptureEvent): void {
    try {
      this.onEvent(event);
    } catch {
      // A listener that throws must not leave processes held.
    }
  }

  private flushEvents(): void {
    // Each one is taken off before it goes out: a listener may cause another emit (which then flushes the rest first).
    for (let e = this.pendingEvents.shift(); e; e = this.pendingEvents.shift()) this.deliver(e);
  }

  arm(): CaptureWatch {
    if (this.rule.execPaths) return this.armExecMode(this.rule.execPaths);
    const target = this.rule.target.pid;
    const refused: { pid: number; error: DumpError }[] = [];
    try {
      this.tracer.seizeProcessSync(target);
      this.addProc(target, true, true);
      if (this.rule.scope !== 'self') {
        // Children the target made before we seized it are not traced: seize them too, again until none is new.
        for (let round = 0; round < 20; round++) {
          // Never this process itself (a watch of its own ancestor, such as the shell it runs in): no process can
          // trace itself, and trying only reported a misleading refusal.
          const fresh = descendantsOfSync(target).filter((p) => p !== process.pid && !this.procs.has(p) && !refused.some((r) => r.pid === p));
          if (fresh.length === 0) break;
          for (const pid of fresh) {
            try {
              this.tracer.seizeProcessSync(pid);
              this.addProc(pid, false, true);
            } catch (err) {
              refused.push({ pid, error: seizeError(err, pid) });
            }
          }
        }
      }
    } catch (err) {
      this.tracer.detachAllSync();
      throw seizeError(err, target);
    }
    this.emit({ event: 'armed', atMs: Date.now(), pid: target, mechanism: LINUX_CAPTURE_MECHANISM, limits: LINUX_CAPTURE_LIMITS });
    for (const r of refused) this.emit({ event: 'error', atMs: Date.now(), pid: r.pid, trigger: null, error: { code: r.error.code, message: r.error.message } });
    for (const p of this.procs.values()) this.evaluate(p);
    if (this.rule.timeoutMs !== null) this.watchTimer = setTimeout(() => void this.finish('timeout'), this.rule.timeoutMs);
    if (this.rule.monitor) {
      this.monitorTimer = setInterval(() => this.sampleAll(), MONITOR_INTERVAL_MS);
      this.sampleAll(); // a series dumps at once; a threshold takes its first (baseline) sample
    }
    this.schedule(true);
    return this;
  }

  stop(): Promise<void> {
    return this.finish('stopped').then(() => undefined);
  }

  /**
   * fanotify exec mode: mark the binaries, leave the target untraced, and notice its end by its start time. From the
   * armed event on, a descendant that execs a named binary waits in execve until drainExecs has seized it.
   */
  private armExecMode(paths: string[]): CaptureWatch {
    const target = this.rule.target.pid;
    this.execs = FanotifyExecListener.openSync(paths);
    this.addProc(target, true, true);
    this.emit({ event: 'armed', atMs: Date.now(), pid: target, mechanism: FANOTIFY_CAPTURE_MECHANISM, limits: fanotifyCaptureLimits(paths) });
    this.targetTimer = setInterval(() => {
      const p = this.procs.get(target);
      if (p && readProcessStartTimeMs(target) !== this.rule.target.startTimeMs) this.markExited(p, null);
    }, TARGET_CHECK_MS);
    if (this.rule.timeoutMs !== null) this.watchTimer = setTimeout(() => void this.finish('timeout'), this.rule.timeoutMs);
    if (this.rule.monitor) this.monitorTimer = setInterval(() => this.sampleAll(), MONITOR_INTERVAL_MS);
    this.schedule(true);
    return this;
  }

  /**
   * Answer every exec waiting on the named binaries: a descendant of the target not yet traced is seized first (all
   * its threads, the five options), so its exec stops at PTRACE_EVENT_EXEC before its first instruction; anything
   * else — another process, one we trace already, a seize refused — is allowed at once. Always FAN_ALLOW.
   */
  private drainExecs(): void {
    const execs = this.execs;
    if (!execs) return;
    for (const ev of execs.readSync()) {
      try {
        if (!this.finishing && !this.tracer.tracees.has(ev.pid) && this.isDescendant(ev.pid)) {
          try {
            this.tracer.seizeProcessSync(ev.pid);
            // Its lifetime counts from its exec (fork to exec is short): /proc's start time is off by up to a second.
            this.addProc(ev.pid, false, false).awaitingExec = true;
          } catch (err) {
            const e = seizeError(err, ev.pid);
            this.emit({ event: 'error', atMs: Date.now(), pid: ev.pid, trigger: null, error: { code: e.code, message: e.message } });
          }
        }
      } finally {
        execs.allowSync(ev);
      }
    }
    const unwatched = execs.takeWatchdogAllowed();
    if (unwatched > 0) {
      const message = `${unwatched} exec${unwatched === 1 ? '' : 's'} of the named binaries ran on unwatched: the watch was busy for more than ${WATCHDOG_STALE_MS} ms, and an exec is never kept waiting longer.`;
      this.emit({ event: 'error', atMs: Date.now(), pid: null, trigger: null, error: { code: 'cancelled', message } });
    }
  }

  /** Is `pid` below the target? Walks ppid through /proc (the exec'ing process waits in execve meanwhile). */
  private isDescendant(pid: number): boolean {
    const target = this.rule.target.pid;
    let p = pid;
    for (let i = 0; i < MAX_ANCESTRY && p > 1; i++) {
      p = readPpidSync(p);
      if (p === target) return this.procs.has(target);
    }
    return false;
  }

  /** `existing`: it ran before the watch, so its lifetime so far comes from its start time. */
  private addProc(pid: number, isTarget: boolean, existing: boolean): Proc {
    const info = readProcInfoSync(pid);
    const proc: Proc = {
      ...info,
      pid,
      isTarget,
      seen: false,
      exited: false,
      firstSeenPerfMs: performance.now(),
      priorLifetimeMs: existing ? Math.max(0, Date.now() - info.startTimeMs) : 0,
    };
    this.procs.set(pid, proc);
    return proc;
  }

  /** A child seen at its birth stop: its parent's copy until it execs; nothing is read from /proc. */
  private addChild(pid: number, parent: Proc): Proc {
    const proc: Proc = {
      pid,
      name: parent.name,
      exeName: parent.exeName,
      cmdline: parent.cmdline,
      ppid: parent.pid,
      startTimeMs: null,
      isTarget: false,
      seen: false,
      exited: false,
      firstSeenPerfMs: performance.now(),
      priorLifetimeMs: 0,
    };
    this.procs.set(pid, proc);
    return proc;
  }

  /** Its new name, exe and command line after an exec (its start time stays); if it has gone, what is known stands. */
  private updateAfterExec(p: Proc, image?: ProcImage): void {
    const info = readProcInfoIfLiveSync(p.pid, image);
    if (!info) return;
    p.name = info.name;
    p.exeName = info.exeName;
    p.cmdline = info.cmdline;
    p.ppid = info.ppid;
    p.startTimeMs ??= info.startTimeMs;
  }

  /** Its start time, read once when first needed (with its parent, which the same read gives). */
  private startOf(p: Proc): number {
    if (p.startTimeMs === null) {
      const stat = readStatInfoSync(p.pid);
      if (stat) p.ppid = stat.ppid;
      p.startTimeMs = stat?.startTimeMs ?? Date.now();
    }
    return p.startTimeMs;
  }

  private matches(p: Proc): boolean {
    if (p.awaitingExec) return false;
    return ruleMatches(this.compiled, p.isTarget, [p.name, p.exeName].filter(Boolean), p.cmdline);
  }

  /** Emit `seen` the first time a process matches (at arming, birth or exec). */
  private evaluate(p: Proc): boolean {
    const match = this.matches(p);
    if (match && !p.seen) {
      p.seen = true;
      this.seenCount++;
      const startTimeMs = this.startOf(p);
      this.emit({ event: 'seen', atMs: Date.now(), pid: p.pid, ppid: p.ppid, name: p.name, cmdline: p.cmdline, startTimeMs });
    }
    return match;
  }

  private markExited(p: Proc, status: number | null, signal: number | null = null): void {
    if (p.exited) return;
    p.exited = true;
    if (p.seen) {
      const f = status !== null ? exitFields(status) : { exitCode: null, signal: signal !== null ? (SIGNAL_NAMES.get(signal) ?? `signal ${signal}`) : null };
      const lifetimeMs = Math.round((p.priorLifetimeMs + performance.now() - p.firstSeenPerfMs) * 1000) / 1000;
      this.emit({ event: 'exited', atMs: Date.now(), pid: p.pid, name: p.name, exitCode: f.exitCode, signal: f.signal, lifetimeMs });
    }
    this.procs.delete(p.pid);
    if (p.isTarget) this.endAfterDumps('target-exited');
  }

  /**
   * The sampled triggers: read each matching live process's CPU time and memory, and when the monitor says so ask
   * its leader thread for an interrupt-stop; the 'trap' it reports is held like any trigger's stop (every other thread
   * interrupted, the held-core writer, then all resumed). The process runs between samples; nothing else is stopped.
   */
  private sampleAll(): void {
    const m = this.rule.monitor;
    if (!m || this.finishing) return;
    const now = performance.now();
    for (const p of this.procs.values()) {
      if (p.exited || !this.matches(p)) continue;
      p.monitor ??= newMonitorState();
      if (p.sampledPending) {
        this.tracer.interruptSync(p.pid); // its stop has not come yet (it was in another stop): ask again
        continue;
      }
      if (monitorFinished(m, p.monitor) || this.ending !== null || !this.canDump()) continue;
      const usage = readUsageSync(p.pid);
      if (!usage) continue;
      const d = monitorSample(m, p.monitor, { atMs: now, cpuMs: usage.cpuMs, memoryBytes: usage.memoryBytes });
      if (d.fire) {
        p.sampledPending = d.fire;
        this.tracer.interruptSync(p.pid);
      }
    }
  }

  private schedule(busy: boolean): void {
    if (this.finishing) return;
    if (this.wakeOnSigchld && !this.listening) {
      // Before the first tick: a stop from before the listener is still waiting, and that tick's poll finds it.
      this.listening = true;
      process.on('SIGCHLD', this.onSigchld);
    }
    if (this.pollTimer) {
      clearTimeout(this.pollTimer as NodeJS.Timeout);
      clearImmediate(this.pollTimer as NodeJS.Immediate);
    }
    this.pollSoon = busy;
    this.pollTimer = busy ? setImmediate(() => this.tick()) : setTimeout(() => this.tick(), IDLE_POLL_MS);
  }

  /** Tick at the next turn: a SIGCHLD came, or a release handed back stops that no signal will announce again. */
  private wake(): void {
    if (!this.finishing && !this.pollSoon) this.schedule(true);
  }

  /**
   * SIGCHLD: a stop is waiting, so poll in this turn (the listener runs from the event loop, never inside a tick)
   * rather than one turn later: the tracee is stopped until then. The pending tick, if any, is replaced.
   */
  private tickNow(): void {
    if (this.finishing) return;
    if (this.pollTimer) {
      clearTimeout(this.pollTimer as NodeJS.Timeout);
      clearImmediate(this.pollTimer as NodeJS.Immediate);
    }
    this.tick();
  }

  private tick(): void {
    this.pollTimer = null;
    this.pollSoon = false;
    if (this.finishing) return;
    let count: number;
    try {
      this.drainExecs();
      count = this.pollTracer();
    } catch (err) {
      this.emit({ event: 'error', atMs: Date.now(), pid: null, trigger: null, error: { code: 'io-error', message: `The watch failed: ${(err as Error).message}.` } });
      void this.finish('error');
      return;
    }
    const now = performance.now();
    if (count > 0) this.lastEventMs = now;
    // Woken by SIGCHLD, the next stop wakes the next tick: no busy polling after an event.
    this.schedule(this.wakeOnSigchld ? this.pollBacklog : now - this.lastEventMs < BUSY_POLL_MS);
  }

  /**
   * Read and handle the tracer's stops; returns how many. Woken by SIGCHLD, poll until a poll finds nothing: one
   * signal can stand for several stops (a parent's fork event and its child's birth stop, say), and a child adopted
   * from an event in this poll is only waited on by the next one.
   */
  private pollTracer(): number {
    const now = performance.now();
    const full = now - this.lastFullPassMs >= FULL_PASS_MS;
    if (full) this.lastFullPassMs = now;
    this.pollBacklog = false;
    this.inPoll = true;
    try {
      // Each stop is handled as it is read: its tracee is resumed before the next stop is even read.
      const count = this.tracer.pollSync(this.onStop, full, MAX_STOPS_PER_TICK);
      this.pollBacklog = this.wakeOnSigchld && count >= MAX_STOPS_PER_TICK;
      // Then what can wait until no tracee is stopped for us: /proc reads after execs, and the events' writes.
      for (let p = this.execReads.shift(); p; p = this.execReads.shift()) this.settleExec(p);
      return count;
    } finally {
      this.inPoll = false;
      this.flushEvents();
    }
  }

  /** Read what an exec changed (name, exe, command line) and match it again; once per exec. */
  private settleExec(p: Proc): void {
    if (!p.execPending) return;
    p.execPending = false;
    this.updateAfterExec(p);
    this.evaluate(p);
  }

  private canDump(): boolean {
    return this.rule.maxDumps === null || this.dumpCount + this.queue.length + (this.currentHold ? 1 : 0) < this.rule.maxDumps;
  }

  private wants(p: Proc, trigger: CaptureTrigger): boolean {
    return this.rule.triggers.includes(trigger) && this.ending === null && this.canDump() && this.matches(p);
  }

  private handleStop(s: TraceStop): void {
    const t = this.tracer.tracees.get(s.tid);
    const tgid = t?.tgid ?? s.tid;
    const proc = this.procs.get(tgid);
    // Any later stop of a process that exec'd decides on its new name: read it now, while it is stopped.
    if (proc?.execPending && !(s.kind === 'event' && s.event === PTRACE_EVENT_EXEC)) this.settleExec(proc);
    switch (s.kind) {
      case 'ended':
        this.forkedBy.delete(s.tid);
        if (proc && s.tid === proc.pid) this.markExited(proc, s.exitCode !== null ? s.exitCode << 8 : null, s.signal);
        return;
      case 'group-stop':
        // A stopped process (SIGSTOP) answers the sampled triggers' interrupt with its group-stop: hold that one,
        // or it would be asked again every second and never dumped; its release LISTENs, so it stays stopped.
        if (proc?.sampledPending && s.tid === proc.pid) return this.holdSampled(proc, s);
        this.tracer.resumeSync(s);
        return;
      case 'trap':
        if (!s.birth && proc?.sampledPending && s.tid === proc.pid) return this.holdSampled(proc, s);
        if (s.birth && s.tid === tgid && !proc) {
          const parentPid = this.forkedBy.get(s.tid);
          this.forkedBy.delete(s.tid);
          if (this.rule.scope === 'self') {
            this.tracer.detachSync(s.tid); // the target's children are not watched
            return;
          }
          const parent = parentPid !== undefined ? this.procs.get(parentPid) : undefined;
          if (parent) {
            // It has run nothing yet: it is its parent's copy (same name, exe and command line), so nothing is read
            // while it is stopped. Resumed first; its start time (and exact ppid) is read if its 'seen' needs them.
            this.tracer.resumeSync(s);
            this.evaluate(this.addChild(s.tid, parent));
            return;
          }
          this.evaluate(this.addProc(s.tid, false, false));
        }
        this.tracer.resumeSync(s);
        return;
      case 'signal':
        if (proc && CRASH_SIGNALS.has(s.signal) && this.wants(proc, 'crash')) this.hold(proc, s, 'crash', s.signal, false, null);
        else this.tracer.resumeSync(s, s.signal);
        return;
      case 'event':
        this.handleEvent(s, tgid, proc);
    }
  }

  private handleEvent(s: Extract<TraceStop, { kind: 'event' }>, tgid: number, proc: Proc | undefined): void {
    if (s.event === PTRACE_EVENT_EXEC) {
      if (proc) {
        proc.awaitingExec = false;
        proc.execPending = false;
        if (this.rule.triggers.includes('start') && this.ending === null && this.canDump()) {
          // The start trigger may hold it here, before its first instruction: its new name and command line decide.
          this.updateAfterExec(proc);
          this.evaluate(proc);
          if (this.wants(proc, 'start')) return this.hold(proc, s, 'start', 0, false, null);
          return this.tracer.resumeSync(s);
        }
        if (!this.exitStops) {
          // No exit stop would catch it later: what its exit would take (the exe link, the command line) is read
          // now; then it goes on, and its stat (name, parent, start time) is read after: if it has exited by then,
          // it is a zombie that only this tracer can reap, and a zombie's stat still reads. The child waits ~15 µs
          // less at every exec (bench:capture prints when its main() starts).
          const image = readProcImageSync(proc.pid);
          this.tracer.resumeSync(s);
          this.updateAfterExec(proc, image);
          this.evaluate(proc);
          return;
        }
        // Nothing is decided at exec: it goes on first, and its new name and command line are read once this poll
        // has resumed every stopped tracee (or at its next stop, if that comes first: at its exit it is still
        // there unless killed; then what is known stands).
        this.tracer.resumeSync(s);
        proc.execPending = true;
        this.execReads.push(proc);
        return;
      }
      return this.tracer.resumeSync(s);
    }
    if (s.event === PTRACE_EVENT_EXIT) {
      if (proc && s.tid === proc.pid) {
        const nonZero = s.message !== 0;
        if (this.wants(proc, 'exit') && (nonZero || !this.rule.exitNonZeroOnly)) return this.hold(proc, s, 'exit', 0, true, s.message);
        this.tracer.detachSync(s.tid);
        return this.markExited(proc, s.message);
      }
      return this.tracer.detachSync(s.tid); // a thread's exit, or a process we do not watch
    }
    // FORK, VFORK, CLONE: the new tid reports its birth stop next.
    const child = s.message;
    const childTgid = s.event === PTRACE_EVENT_CLONE ? (readTgidSync(child) ?? child) : child;
    this.tracer.adopt(child, childTgid === tgid ? tgid : child);
    if (childTgid !== tgid && proc) this.forkedBy.set(child, tgid);
    this.tracer.resumeSync(s);
  }

  /** The stop the sampled triggers asked for has come: hold it for the dump, or let it go if the watch is ending. */
  private holdSampled(proc: Proc, s: TraceStop): void {
    const trigger = proc.sampledPending!;
    proc.sampledPending = null;
    if (this.ending === null && this.canDump()) return this.hold(proc, s, trigger, 0, false, null);
    if (proc.monitor && this.rule.monitor) monitorDumped(this.rule.monitor, proc.monitor, performance.now(), false);
    this.tracer.resumeSync(s);
  }

  private hold(proc: Proc, stop: TraceStop, trigger: CaptureTrigger, reinjectSignal: number, detachAfter: boolean, exitStatus: number | null): void {
    const pauseStartMs = performance.now();
    this.tracer.holdSync(proc.pid, stop);
    const h: Hold = { proc, stop, trigger, reinjectSignal, detachAfter, exitStatus, pauseStartMs, timer: null, abort: new AbortController(), expired: false };
    h.timer = setTimeout(() => this.expire(h), this.rule.holdTimeoutMs);
    // The Capture panel shows it held until then (or until its dump, error or exit says otherwise).
    this.emit({ event: 'held', atMs: Date.now(), pid: proc.pid, name: proc.name, trigger, deadlineMs: Date.now() + this.rule.holdTimeoutMs });
    this.queue.push(h);
    this.pump();
  }

  /** The hold's deadline: a queued process goes on undumped, a dump in progress is cancelled. */
  private expire(h: Hold): void {
    h.expired = true;
    h.abort.abort();
    const i = this.queue.indexOf(h);
    if (i >= 0) {
      this.queue.splice(i, 1);
      this.holdError(h, this.deadlineError(h));
      this.release(h);
      this.afterHold();
    }
  }

  private deadlineError(h: Hold): DumpError {
    return new DumpError(
      'cancelled',
      `Process ${h.proc.pid} (${h.proc.name}) was held ${this.rule.holdTimeoutMs} ms at ${h.trigger} without its dump finishing, so it was released undumped and runs on. Raise the hold deadline to allow longer dumps.`,
    );
  }

  private holdError(h: Hold, err: DumpError): void {
    this.emit({ event: 'error', atMs: Date.now(), pid: h.proc.pid, trigger: h.trigger, error: { code: err.code, message: err.message } });
  }

  private pump(): void {
    if (this.current || this.finishing) return;
    const h = this.queue.shift();
    if (!h) {
      if (this.ending) void this.finish(this.ending);
      return;
    }
    this.currentHold = h;
    this.current = this.dump(h).finally(() => {
      this.current = null;
      this.currentHold = null;
      this.afterHold();
    });
  }

  private afterHold(): void {
    if (this.finishing) return;
    if (this.rule.maxDumps !== null && this.dumpCount >= this.rule.maxDumps) this.endAfterDumps('max-dumps');
    this.pump();
  }

  private async dump(h: Hold): Promise<void> {
    const tids = [h.stop.tid, ...this.tracer.threadsOf(h.proc.pid).filter((tid) => tid !== h.stop.tid && this.tracer.heldStop(h.proc.pid, tid))];
    const held: AttachedProcess = {
      threads: tids.map((tid) => {
        const s = this.tracer.heldStop(h.proc.pid, tid);
        return { tid, pendingSignal: s?.kind === 'signal' ? s.signal : 0 };
      }),
      pauseStartMs: h.pauseStartMs,
    };
    const request: DumpRequest = { pid: h.proc.pid, startTimeMs: this.startOf(h.proc), kind: this.rule.kind, outDir: this.rule.outDir };
    let written = false;
    try {
      const r = await this.writeCore(request, held, {
        signal: h.abort.signal,
        nameHint: captureFileNameHint(h.proc.name, h.trigger),
        ...(this.folder ? { folder: this.folder } : {}),
      });
      this.dumpCount++;
      written = true;
      const e = { event: 'dump' as const, atMs: Date.now(), pid: h.proc.pid, name: h.proc.name, trigger: h.trigger };
      const targetPauseMs = Math.round((performance.now() - h.pauseStartMs) * 10) / 10;
      this.emit({ ...e, path: r.path, fileBytes: r.fileBytes, sha256: requireSha256(r), targetPauseMs, unreadableBytes: r.unreadableBytes });
    } catch (err) {
      if (h.expired) this.holdError(h, this.deadlineError(h));
      else if (!this.finishing) this.holdError(h, err instanceof DumpError ? err : new DumpError('io-error', `The dump failed: ${(err as Error).message}.`));
    } finally {
      if (h.timer) clearTimeout(h.timer);
      if (SAMPLED.has(h.trigger) && h.proc.monitor && this.rule.monitor) monitorDumped(this.rule.monitor, h.proc.monitor, performance.now(), written);
      if (!this.finishing) this.release(h);
    }
  }

  /** The held process goes on: its other threads resume, the stopped one is resumed (crash: with its signal) or detached (exit). */
  private release(h: Hold): void {
    if (h.timer) clearTimeout(h.timer);
    this.tracer.unholdSync(h.proc.pid, h.stop.tid);
    this.wake(); // the stops its other threads were in come back from the tracer's replay, with no SIGCHLD
    if (h.detachAfter) {
      this.tracer.detachSync(h.stop.tid);
      this.markExited(h.proc, h.exitStatus);
    } else {
      this.tracer.resumeSync(h.stop, h.reinjectSignal);
    }
  }

  /** The watch ends once the dumps already holding processes are written (the target exited, or N dumps). */
  private endAfterDumps(reason: CaptureDoneReason): void {
    this.ending ??= reason;
    if (!this.current && this.queue.length === 0) void this.finish(this.ending);
  }

  private finishPromise: Promise<CaptureDoneReason> | null = null;

  private finish(reason: CaptureDoneReason): Promise<CaptureDoneReason> {
    this.finishPromise ??= this.finishNow(reason);
    return this.finishPromise;
  }

  private async finishNow(reason: CaptureDoneReason): Promise<CaptureDoneReason> {
    this.finishing = true;
    // First of all, no exec waits on us any more: closing the group allows every pending one.
    if (this.targetTimer) clearInterval(this.targetTimer);
    if (this.execs) await this.execs.close().catch(() => undefined);
    if (this.pollTimer) {
      clearTimeout(this.pollTimer as NodeJS.Timeout);
      clearImmediate(this.pollTimer as NodeJS.Immediate);
    }
    if (this.listening) process.removeListener('SIGCHLD', this.onSigchld);
    if (this.watchTimer) clearTimeout(this.watchTimer);
    if (this.monitorTimer) clearInterval(this.monitorTimer);
    const pending = [...this.queue, ...(this.currentHold ? [this.currentHold] : [])];
    this.queue.length = 0;
    for (const h of pending) h.abort.abort();
    if (this.current) await this.current.catch(() => undefined);
    try {
      this.tracer.detachAllSync();
    } catch {
      // detachAllSync ignores ptrace's refusals; nothing else can be done for a tracee that is gone.
    }
    for (const h of pending) {
      if (h.timer) clearTimeout(h.timer);
      if (h.detachAfter) this.markExitedQuietly(h);
    }
    if (this.folder && this.ownsFolder) closeOpenedFolderSync(this.folder);
    this.emit({ event: 'done', atMs: Date.now(), reason, seenCount: this.seenCount, dumpCount: this.dumpCount });
    this.resolveFinished(reason);
    return reason;
  }

  /** A process held at its exit when the watch ended: it was exiting, so report it as such. */
  private markExitedQuietly(h: Hold): void {
    const p = h.proc;
    p.isTarget = false; // finishing already; do not start another ending
    this.markExited(p, h.exitStatus);
  }
}
