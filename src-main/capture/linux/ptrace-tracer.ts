/*
 * The capture tracer's ptrace layer: seizes every thread of a process with follow-fork options, polls its tracees
 * for stops, and resumes, holds or detaches them (ptrace(2), "PTRACE_SEIZE", "Stopped states"). Runs on the one JS
 * thread that seized (ptrace is thread-affine): synchronous koffi only, never `.async`. It waits on each known tid
 * rather than on -1, so it never reaps a child of this process that is not a tracee (libuv's, a test's); every new
 * tracee's tid is learnt from its parent's FORK/VFORK/CLONE event before it can report anything. Never EXITKILL.
 * A poll takes ptrace-stops with one waitid(P_ALL, WSTOPPED|WNOHANG) each — no WEXITED, so it can never reap
 * anything; its siginfo says who (si_pid), that it is a ptrace-stop (CLD_TRAPPED) and the stop (si_status =
 * event << 8 | signal) — and hands each one to the caller at once, so a tracee is resumed before the next stop is
 * even read. A stop report of a child of this process that is not a tracee (CLD_STOPPED: a SIGSTOPped child) is
 * taken and ignored; nothing in this process waits for stops (libuv waits without WUNTRACED). A ptrace-stop of a
 * tid not known yet (a new child whose parent's FORK/VFORK/CLONE event is not read yet) is kept until that event
 * adopts it. Exits are found by a probe that reaps and consumes nothing — waitid(P_ALL, WEXITED|WNOHANG|WNOWAIT) —
 * and then waited on by tid only; when the probe names a pid that is not a tracee (a child of this process that
 * libuv has not reaped yet), it falls back to waiting on every known tid once, and never spins on the stranger.
 */
import { readdirSync, readFileSync } from 'node:fs';
import {
  ECHILD,
  ESRCH,
  PTRACE_CONT,
  PTRACE_DETACH,
  PTRACE_EVENT_EXEC,
  PTRACE_EVENT_STOP,
  PTRACE_GETEVENTMSG,
  PTRACE_INTERRUPT,
  PTRACE_LISTEN,
  PTRACE_O_TRACECLONE,
  PTRACE_O_TRACEEXEC,
  PTRACE_O_TRACEEXIT,
  PTRACE_O_TRACEFORK,
  PTRACE_O_TRACEVFORK,
  PTRACE_SEIZE,
  P_ALL,
  SIGINFO_BYTES,
  SIGINFO_PID_OFFSET,
  WALL,
  WEXITED,
  WNOHANG,
  WNOWAIT,
  WSTOPPED,
  bufferAddress,
  ptraceSync,
  waitidSync,
  waitpidSync,
} from '../../dump/linux/ffi/libc-ptrace';
import { AttachError } from '../../dump/linux/ptrace-threads';

export const TRACE_OPTIONS = PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT;
/**
 * The same without PTRACE_EVENT_EXIT: a tracee's exit then costs no stop, and its end (exit code or signal) comes
 * from the wait that reaps its ptrace link. For watches that need nothing of a process at its exit.
 */
export const TRACE_OPTIONS_NO_EXIT = TRACE_OPTIONS & ~PTRACE_O_TRACEEXIT;

// asm-generic/signal.h: the stop signals (a group-stop under SEIZE reports one of them with PTRACE_EVENT_STOP).
const SIGSTOP = 19;
const SIGTSTP = 20;
const SIGTTIN = 21;
const SIGTTOU = 22;
const STOP_SIGNALS = new Set([SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU]);
const MAX_LIST_ROUNDS = 100;
const HOLD_STOP_TIMEOUT_MS = 2000;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));
/** Blocks this thread briefly while waiting for a stop that is due within microseconds. */
function napSync(): void {
  Atomics.wait(sleepCell, 0, 0, 0.2);
}

/** One waitpid report, decoded (wait(2) macros, linux/ptrace.h events). */
export type TraceStop =
  | { kind: 'event'; tid: number; event: number; message: number }
  | { kind: 'signal'; tid: number; signal: number }
  | { kind: 'group-stop'; tid: number; signal: number }
  /** PTRACE_INTERRUPT's stop, or a new tracee's first stop (`birth`). */
  | { kind: 'trap'; tid: number; birth: boolean }
  /** The thread is gone; this was its last report. */
  | { kind: 'ended'; tid: number; exitCode: number | null; signal: number | null };

export interface Tracee {
  tid: number;
  tgid: number;
  /** False until its first stop has been seen (a new child starts in PTRACE_EVENT_STOP). */
  born: boolean;
}

const status = new Int32Array(1);
const eventMessage = Buffer.alloc(8);
const probeInfo = Buffer.alloc(SIGINFO_BYTES);
const EXIT_PROBE_OPTIONS = WALL | WEXITED | WNOHANG | WNOWAIT;
/** Takes (consumes) one stop report; without WEXITED it cannot reap, and ptrace-stops are all reported (wait(2)). */
const STOP_OPTIONS = WALL | WSTOPPED | WNOHANG;
// siginfo_t of a SIGCHLD report (asm-generic/siginfo.h, x86-64): si_code at 8, si_pid at 16, si_status at 24.
const SIGINFO_CODE_OFFSET = 8;
const SIGINFO_STATUS_OFFSET = 24;
/** siginfo si_code of a SIGCHLD report (asm-generic/siginfo.h): a ptrace-stop of one of our tracees. */
const CLD_TRAPPED = 4;
/** An early stop (its parent's event unread) is adopted on its own after this long: the event may never come. */
const EARLY_ADOPT_MS = 50;

/** Clear the siginfo fields a WNOHANG waitid leaves alone when nothing is waiting (waitid(2): zero si_pid). */
function clearProbe(): void {
  probeInfo.fill(0, 0, SIGINFO_STATUS_OFFSET + 4);
}

/** The pid of some child or tracee of this process that has exited, 0 for none, -1 when waitid fails (ECHILD). */
function probeExitSync(): number {
  clearProbe();
  const r = waitidSync(P_ALL, 0, probeInfo, EXIT_PROBE_OPTIONS);
  return r.value === -1 ? -1 : probeInfo.readInt32LE(SIGINFO_PID_OFFSET);
}

/** Take one stop report: its pid (0: none waiting, -1: ECHILD); si_code and si_status stay in probeInfo. */
function takeStopSync(): number {
  clearProbe();
  const r = waitidSync(P_ALL, 0, probeInfo, STOP_OPTIONS);
  return r.value === -1 ? -1 : probeInfo.readInt32LE(SIGINFO_PID_OFFSET);
}

/** What the poll does with each stop it reads; false stops the poll (the watch is ending). */
export type StopHandler = (stop: TraceStop) => boolean;

function listTidsSync(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).map(Number).filter((t) => t > 0);
  } catch {
    return [];
  }
}

export function readTgidSync(tid: number): number | null {
  try {
    const m = /^Tgid:\s*(\d+)$/m.exec(readFileSync(`/proc/${tid}/status`, 'latin1'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export class PtraceTracer {
  readonly tracees = new Map<number, Tracee>();
  /** Stops saved while their process was held, handed out again once it is released. */
  private replay: TraceStop[] = [];
  /** tgid → its threads stopped for a hold, with the stop each one was in. */
  private readonly held = new Map<number, Map<number, TraceStop>>();

  /** `options`: what each seized thread reports (its new children and threads inherit them). */
  constructor(private readonly options: number = TRACE_OPTIONS) {}

  /**
   * Seize every thread of `pid`, re-listing /proc/PID/task until a round finds none new. Threads do not stop.
   * Throws AttachError (EPERM: not allowed; ESRCH: gone) for the leader; a thread that vanished is skipped.
   */
  seizeProcessSync(pid: number): void {
    for (let round = 0; round < MAX_LIST_ROUNDS; round++) {
      const fresh = listTidsSync(pid).filter((t) => !this.tracees.has(t));
      if (fresh.length === 0) break;
      for (const tid of fresh) {
        const r = ptraceSync(PTRACE_SEIZE, tid, 0n, BigInt(this.options));
        if (r.value === -1) {
          if (r.errno === ESRCH && tid !== pid) continue;
          throw new AttachError(r.errno, tid);
        }
        this.tracees.set(tid, { tid, tgid: pid, born: true });
      }
    }
    if (!this.tracees.has(pid)) throw new AttachError(ESRCH, pid);
  }

  /** Threads of one traced process. */
  threadsOf(tgid: number): number[] {
    return [...this.tracees.values()].filter((t) => t.tgid === tgid).map((t) => t.tid);
  }

  eventMessageSync(tid: number): number {
    eventMessage.fill(0);
    ptraceSync(PTRACE_GETEVENTMSG, tid, 0n, bufferAddress(eventMessage));
    return Number(eventMessage.readBigUInt64LE(0));
  }

  /**
   * Non-blocking: read every stop waiting and hand each to `handle` as it is read (replayed ones first), so each
   * tracee is resumed before the next stop is read; tracees adopted by `handle` are taken in the same poll. Tracees
   * that ended are forgotten. `full` also waits on every known tid (the caller's occasional safety pass). At most
   * `limit` stops are handled; returns how many were (when that is `limit`, more may be waiting).
   */
  pollSync(handle: StopHandler, full = false, limit = 64): number {
    let count = 0;
    const deliver = (s: TraceStop): boolean => {
      count++;
      return handle(s);
    };
    /** Hands out a list; when the caller says stop, what is left goes back to the replay (nothing is lost). */
    const deliverAll = (list: TraceStop[]): boolean => {
      for (let i = 0; i < list.length; i++) {
        if (!deliver(list[i]!)) {
          this.replay.push(...list.slice(i + 1));
          return false;
        }
      }
      return true;
    };
    if (this.replay.length > 0) {
      const out = this.replay.filter((s) => !this.held.has(this.tracees.get(s.tid)?.tgid ?? -1));
      this.replay = this.replay.filter((s) => !out.includes(s));
      if (!deliverAll(out)) return count;
    }
    if (full) {
      this.adoptStaleEarly();
      const out: TraceStop[] = [];
      this.pollEverySync(out);
      if (!deliverAll(out)) return count;
    }
    // Bounded however the reports come: each turn delivers a stop or takes one that no later turn sees again.
    for (let turns = 0; count < limit && turns < 4 * limit; turns++) {
      const ready = this.ready.shift();
      if (ready) {
        if (!this.deliverOrHold(ready, deliver)) return count;
        continue;
      }
      const pid = takeStopSync();
      if (pid > 0) {
        if (probeInfo.readInt32LE(SIGINFO_CODE_OFFSET) !== CLD_TRAPPED) continue; // a stopped child that is not ours to trace
        const st = probeInfo.readInt32LE(SIGINFO_STATUS_OFFSET);
        const t = this.tracees.get(pid);
        if (!t) {
          this.early.set(pid, { status: st, atMs: performance.now() });
          continue;
        }
        if (!this.deliverOrHold(this.decodeTrapped(t, st), deliver)) return count;
        continue;
      }
      // No stop waiting: an exit, then? (This probe names ptrace-stops too: one that came meanwhile is taken above.)
      const exited = probeExitSync();
      if (exited <= 0) return count;
      if (probeInfo.readInt32LE(SIGINFO_CODE_OFFSET) === CLD_TRAPPED) continue;
      const t = this.tracees.get(exited);
      if (t) {
        const s = this.waitOneSync(t, WNOHANG);
        if (s && !this.deliverOrHold(s, deliver)) return count;
        if (s) continue;
      }
      // A child of this process that libuv has not reaped yet: wait on every known tid once instead, and stop here.
      const out: TraceStop[] = [];
      this.pollEverySync(out);
      deliverAll(out);
      return count;
    }
    return count;
  }

  /** Ptrace-stops read before their tracee was known (its parent's event unread), by tid. */
  private readonly early = new Map<number, { status: number; atMs: number }>();
  /** Early stops of tracees adopted since, handled next in this poll. */
  private readonly ready: TraceStop[] = [];

  /** A stop goes to the caller, or to its process's hold while it is held. */
  private deliverOrHold(stop: TraceStop, deliver: (s: TraceStop) => boolean): boolean {
    const t = this.tracees.get(stop.tid);
    const hold = t ? this.held.get(t.tgid) : undefined;
    if (hold) {
      if (stop.kind !== 'ended') hold.set(stop.tid, stop);
      else this.replay.push(stop);
      return true;
    }
    return deliver(stop);
  }

  /**
   * An early stop whose parent's event never came (the parent was killed in between, say): adopt the tid with its
   * /proc tgid, so its stop is handled (a birth with no known parent) instead of leaving it stopped.
   */
  private adoptStaleEarly(): void {
    const now = performance.now();
    for (const [tid, e] of this.early) {
      if (now - e.atMs < EARLY_ADOPT_MS) continue;
      this.adopt(tid, readTgidSync(tid) ?? tid);
    }
  }

  private pollEverySync(out: TraceStop[]): void {
    for (const t of [...this.tracees.values()]) this.takeSync(t, out);
  }

  /** Wait on one tracee (WNOHANG); its report goes to `out`, or to its process's hold. False when it had none. */
  private takeSync(t: Tracee, out: TraceStop[]): boolean {
    const stop = this.waitOneSync(t, WNOHANG);
    if (!stop) return false;
    const hold = this.held.get(t.tgid);
    if (hold) {
      // Its process is held: a thread that reports now (killed meanwhile, say) is dealt with after the release.
      if (stop.kind !== 'ended') hold.set(t.tid, stop);
      else this.replay.push(stop);
      return true;
    }
    out.push(stop);
    return true;
  }

  private waitOneSync(t: Tracee, flags: number): TraceStop | null {
    const r = waitpidSync(t.tid, status, WALL | flags);
    if (r.value === -1) {
      if (r.errno === ECHILD || r.errno === ESRCH) {
        this.tracees.delete(t.tid);
        return { kind: 'ended', tid: t.tid, exitCode: null, signal: null };
      }
      return null;
    }
    if (r.value !== t.tid) return null;
    return this.decode(t, status[0]!);
  }

  private decode(t: Tracee, s: number): TraceStop {
    const tid = t.tid;
    if ((s & 0xff) !== 0x7f) {
      this.tracees.delete(tid);
      const sig = s & 0x7f;
      return sig === 0 ? { kind: 'ended', tid, exitCode: (s >> 8) & 0xff, signal: null } : { kind: 'ended', tid, exitCode: null, signal: sig };
    }
    return this.decodeTrapped(t, s >>> 8);
  }

  /** A ptrace-stop from its stop code: waitid's si_status, waitpid's status >> 8 (event << 8 | signal). */
  private decodeTrapped(t: Tracee, code: number): TraceStop {
    const tid = t.tid;
    const sig = code & 0xff;
    const event = (code >>> 8) & 0xff;
    const birth = !t.born;
    t.born = true;
    if (event === PTRACE_EVENT_STOP) {
      return STOP_SIGNALS.has(sig) ? { kind: 'group-stop', tid, signal: sig } : { kind: 'trap', tid, birth };
    }
    if (event !== 0) {
      const message = this.eventMessageSync(tid);
      if (event === PTRACE_EVENT_EXEC && message !== tid) this.tracees.delete(message); // its old tid is gone
      return { kind: 'event', tid, event, message };
    }
    return { kind: 'signal', tid, signal: sig };
  }

  /** A tracee learnt from an event's message (new child or thread); it reports its birth stop next. */
  adopt(tid: number, tgid: number): void {
    if (this.tracees.has(tid)) return;
    const t: Tracee = { tid, tgid, born: false };
    this.tracees.set(tid, t);
    const early = this.early.get(tid);
    if (early) {
      // Its birth stop was read before this event: it is handled next in this poll (or the next one).
      this.early.delete(tid);
      this.ready.push(this.decodeTrapped(t, early.status));
    }
  }

  /** Resume from any stop; a group-stop is resumed with LISTEN so it stays a group-stop. ESRCH = gone, ignored. */
  resumeSync(stop: TraceStop, signal = 0): void {
    if (stop.kind === 'ended') return;
    if (stop.kind === 'group-stop') ptraceSync(PTRACE_LISTEN, stop.tid, 0n, 0n);
    else ptraceSync(PTRACE_CONT, stop.tid, 0n, BigInt(signal));
  }

  detachSync(tid: number, signal = 0): void {
    ptraceSync(PTRACE_DETACH, tid, 0n, BigInt(signal));
    this.tracees.delete(tid);
  }

  /**
   * Hold a whole process: `stop` already has one thread in hand; interrupt the others and wait for each to stop
   * (whatever stop comes first counts; it is kept and replayed or resumed at release). Returns the stopped tids.
   */
  holdSync(tgid: number, stop: TraceStop): number[] {
    const hold = new Map<number, TraceStop>([[stop.tid, stop]]);
    this.held.set(tgid, hold);
    const deadline = Date.now() + HOLD_STOP_TIMEOUT_MS;
    const others = this.threadsOf(tgid).filter((tid) => tid !== stop.tid);
    for (const tid of others) ptraceSync(PTRACE_INTERRUPT, tid, 0n, 0n);
    for (const tid of others) {
      const t = this.tracees.get(tid);
      while (t && this.tracees.has(tid)) {
        const s = this.waitOneSync(t, WNOHANG);
        if (s && s.kind !== 'ended') {
          hold.set(tid, s);
          break;
        }
        if (s || Date.now() > deadline) break;
        napSync();
      }
    }
    return [...hold.keys()];
  }

  /** Ask a running tracee for a stop (it reports a 'trap' that is not a birth): the sampled triggers' way in. */
  interruptSync(tid: number): void {
    ptraceSync(PTRACE_INTERRUPT, tid, 0n, 0n);
  }

  /** The stop a held thread is in (to name its pending signal). */
  heldStop(tgid: number, tid: number): TraceStop | undefined {
    return this.held.get(tgid)?.get(tid);
  }

  /**
   * End a hold: the threads other than `except` go on (an interrupt-stop is resumed, any other stop is replayed to
   * the caller's next poll so its event is handled as usual). The caller resumes `except` itself.
   */
  unholdSync(tgid: number, except: number): void {
    const hold = this.held.get(tgid);
    this.held.delete(tgid);
    if (!hold) return;
    for (const [tid, s] of hold) {
      if (tid === except) continue;
      if (s.kind === 'trap' && !s.birth) this.resumeSync(s);
      else this.replay.push(s);
    }
  }

  /**
   * Detach every tracee, whatever it is doing: held threads at once with their pending signal, running ones after
   * an interrupt-stop, new children reported meanwhile too. Nothing is killed; a thread that will not stop within
   * the deadline is detached blindly (ESRCH then: it has gone or is already free).
   */
  detachAllSync(timeoutMs = 2000): void {
    // New tracees whose birth stop was read before their parent's event: adopted now, so they are detached too.
    for (const tid of [...this.early.keys()]) this.adopt(tid, readTgidSync(tid) ?? tid);
    const pending = [...this.replay, ...this.ready.splice(0)];
    this.replay = [];
    for (const hold of this.held.values()) pending.push(...hold.values());
    this.held.clear();
    const stopped = new Map<number, TraceStop>();
    for (const s of pending) if (s.kind !== 'ended' && this.tracees.has(s.tid)) stopped.set(s.tid, s);
    for (const t of this.tracees.values()) if (!stopped.has(t.tid)) ptraceSync(PTRACE_INTERRUPT, t.tid, 0n, 0n);
    const deadline = Date.now() + timeoutMs;
    while (this.tracees.size > 0) {
      for (const t of [...this.tracees.values()]) {
        let s = stopped.get(t.tid) ?? null;
        if (!s) s = this.waitOneSync(t, WNOHANG);
        if (!s || s.kind === 'ended') continue;
        if (s.kind === 'event' && s.event >= 1 && s.event <= 3) this.adopt(s.message, s.event === 3 ? (readTgidSync(s.message) ?? t.tgid) : s.message);
        this.detachSync(t.tid, s.kind === 'signal' ? s.signal : 0);
        stopped.delete(t.tid);
      }
      if (Date.now() > deadline) {
        for (const t of [...this.tracees.values()]) this.detachSync(t.tid, 0);
        break;
      }
      if (this.tracees.size > 0) napSync();
    }
  }
}
