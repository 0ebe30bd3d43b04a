/*
 * Suspend / Resume / Kill of one thread of another process on Linux (the Threads tab): a suspended thread is held in
 * a ptrace stop (PTRACE_SEIZE of that tid only, no PTRACE_O_EXITKILL, then PTRACE_INTERRUPT) by one long-lived
 * worker_thread, the tracer of every hold; Resume is PTRACE_DETACH. It runs in the host (Electron main, serve, CLI)
 * and must never leave a thread stopped because of us, nor keep a dead one.
 *  - ptrace binds a tracee to the tracer *thread*, so every call of a hold runs on that worker (inline source through
 *    koffi, as thread-stack.ts's short-lived stack worker, with its rules): waitpid(tid, __WALL | __WNOTHREAD) for the
 *    tids it traces only, never waitpid(-1); the detail source refuses Procscope's own process, kernel threads and
 *    the host's own children before anything reaches it (thread-stack.ts says why).
 *  - The worker exists only while it traces something: the host ends it when it reports no tracee left. If it dies
 *    (ended, crashed, the host exits) the kernel detaches its tracees and a thread in an interrupt stop runs on.
 *  - While it holds threads it keeps reaping: every POLL_MS (or at once when the host rings) it calls
 *    waitpid(tid, WNOHANG) for each, so a thread that exits or a process that is killed is reaped at once (no
 *    zombie thread kept by us, the process's exit not delayed) and the hold is forgotten. Commands come over a
 *    MessagePort read with receiveMessageOnPort; a shared doorbell (Atomics.notify) wakes its Atomics.wait early.
 *  - Kill runs exit(2) in the held thread as a debugger does: the host builds the registers with snapshot-ptrace's
 *    syscallRegs (rip at a `syscall` instruction found by findSyscallInstructionSync, rax = 60, rdi = 0,
 *    orig_rax = -1) and the worker SETREGSETs them, PTRACE_CONTs and waits for the thread's end.
 *  - A suspended thread's stack is copied by the worker (it is the tracer) with the stack worker's own copy code.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { syscallRegs, NR_EXIT, USER_REGS_BYTES } from '../../dump/linux/snapshot/snapshot-ptrace';
import { DetailFailure } from '../detail-source';
import { COPY_HELD_STACK_SOURCE, holdFailure, koffiPath, STACK_COPY_BYTES, STOP_TIMEOUT_MS, type StackCopy } from './thread-stack';

/** How often the worker reaps its tracees when no command wakes it. */
export const POLL_MS = 10;
/** A killed thread must have ended within this after it was resumed into exit(2). */
export const EXIT_TIMEOUT_MS = 2000;

const HOLDER_WORKER_SOURCE = String.raw`
${COPY_HELD_STACK_SOURCE}
const { workerData, parentPort, receiveMessageOnPort } = require('node:worker_threads');
const fs = require('node:fs');
const koffi = require(workerData.koffiPath);
const libc = koffi.load('libc.so.6');
const ptrace = libc.func('long ptrace(int request, ...)');
const waitpid = libc.func('int waitpid(int pid, _Out_ int *status, int options)');
const PTRACE_CONT = 7, PTRACE_DETACH = 17, PTRACE_SETREGSET = 0x4205, PTRACE_SEIZE = 0x4206, PTRACE_INTERRUPT = 0x4207;
const WALL = 0x40000000, WNOTHREAD = 0x20000000, WNOHANG = 1, ESRCH = 3, ECHILD = 10;
const { port, bell, stopTimeoutMs, exitTimeoutMs, pollMs, copyBytes } = workerData;
const call = (req, tid, addr, data) => { koffi.errno(0); const v = Number(ptrace(req, 'int', tid, 'uintptr_t', addr, 'uintptr_t', data)); return v === -1 ? koffi.errno() : 0; };
const sleepCell = new Int32Array(new SharedArrayBuffer(4));
const statusCell = new Int32Array(1);
/** tid -> { pid, state: 'held' | 'abandoned' (did not stop in time) | 'dying' (resumed into exit), signal }. */
const tracees = new Map();
const post = (m) => parentPort.postMessage({ ...m, tracees: tracees.size });
const stoppedIn = (s) => (s & 0xff) === 0x7f;
/** A signal-delivery stop's signal (the thread was about to take it): handed back when it is let go. */
// Under PTRACE_SEIZE (no syscall stops asked for) a stop without an event is always a signal-delivery stop.
const signalOf = (s) => ((s >>> 16) === 0 ? (s >> 8) & 0xff : 0);
/** One report of tid: null (none yet), 'gone' (reaped now, or not ours any more), or the stop's status. */
function waitOne(tid) {
  koffi.errno(0);
  const r = waitpid(tid, statusCell, WALL | WNOTHREAD | WNOHANG);
  if (r === 0) return null;
  if (r === -1) return koffi.errno() === ECHILD ? 'gone' : null;
  return stoppedIn(statusCell[0]) ? statusCell[0] : 'gone';
}
function forget(tid, why) { const t = tracees.get(tid); tracees.delete(tid); post({ event: 'gone', tid, pid: t ? t.pid : 0, why }); }
function reap(except) {
  for (const [tid, t] of tracees) {
    if (tid === except) continue;
    const s = waitOne(tid);
    if (s === 'gone') { forget(tid, 'exited'); continue; }
    if (t.state === 'held') { if (s !== null) t.signal ||= signalOf(s); continue; }
    if (t.state === 'dying') { if (s !== null) call(PTRACE_CONT, tid, 0n, BigInt(signalOf(s))); continue; }
    // Abandoned: let it go as soon as it is stopped (DETACH answers ESRCH while it still runs).
    if (call(PTRACE_DETACH, tid, 0n, BigInt(s === null ? 0 : signalOf(s))) === 0) forget(tid, 'let go');
  }
}
function hold(pid, tid) {
  if (tracees.has(tid)) throw { errno: 0, step: 'busy' };
  let e = call(PTRACE_SEIZE, tid, 0n, 0n);
  if (e) throw { errno: e, step: 'seize' };
  tracees.set(tid, { pid, state: 'starting', signal: 0 });
  e = call(PTRACE_INTERRUPT, tid, 0n, 0n);
  const t0 = performance.now();
  for (;;) {
    const s = waitOne(tid);
    if (s === 'gone') { tracees.delete(tid); throw { errno: ESRCH, step: 'exited' }; }
    if (s !== null) { tracees.set(tid, { pid, state: 'held', signal: signalOf(s) }); return { pausedMs: 0 }; }
    if (performance.now() - t0 > stopTimeoutMs) { tracees.set(tid, { pid, state: 'abandoned', signal: 0 }); throw { errno: 110, step: 'stop-timeout' }; }
    reap(tid);
    Atomics.wait(sleepCell, 0, 0, 1);
  }
}
function held(tid) {
  const t = tracees.get(tid);
  if (!t || t.state !== 'held') throw { errno: 0, step: 'not-held' };
  return t;
}
function release(tid) {
  const t = held(tid);
  const e = call(PTRACE_DETACH, tid, 0n, BigInt(t.signal));
  if (e) { if (waitOne(tid) === 'gone') { tracees.delete(tid); throw { errno: ESRCH, step: 'exited' }; } throw { errno: e, step: 'detach' }; }
  tracees.delete(tid);
  return {};
}
function exitThread(tid, regs) {
  const t = held(tid);
  const iov = Buffer.alloc(16);
  iov.writeBigUInt64LE(koffi.address(regs), 0);
  iov.writeBigUInt64LE(BigInt(regs.length), 8);
  let e = call(PTRACE_SETREGSET, tid, 1n, koffi.address(iov));
  if (e) throw { errno: e, step: 'setregs' };
  // A signal it was stopped for is given: a handler runs and returns into the syscall; a fatal one ends the process.
  e = call(PTRACE_CONT, tid, 0n, BigInt(t.signal));
  if (e) throw { errno: e, step: 'cont' };
  t.state = 'dying';
  const t0 = performance.now();
  for (;;) {
    const s = waitOne(tid);
    if (s === 'gone') { tracees.delete(tid); return { exitMs: performance.now() - t0 }; }
    if (s !== null) call(PTRACE_CONT, tid, 0n, BigInt(signalOf(s)));
    if (performance.now() - t0 > exitTimeoutMs) throw { errno: 110, step: 'exit-timeout' };
    reap(tid);
    Atomics.wait(sleepCell, 0, 0, 0.2);
  }
}
function copyStack(tid) {
  const t = held(tid);
  const t0 = performance.now();
  const copy = copyHeldStack(koffi, fs, (req, addr, data) => call(req, tid, addr, data), t.pid, copyBytes);
  return { ...copy, pausedMs: performance.now() - t0 };
}
function releaseAll() {
  for (const [tid, t] of tracees) if (t.state === 'held' && call(PTRACE_DETACH, tid, 0n, BigInt(t.signal)) === 0) tracees.delete(tid);
  return {};
}
const ops = {
  hold: (m) => hold(m.pid, m.tid),
  release: (m) => release(m.tid),
  regs: (m) => { held(m.tid); return copyHeldStack(koffi, fs, (req, addr, data) => call(req, m.tid, addr, data), tracees.get(m.tid).pid, 0); },
  exit: (m) => exitThread(m.tid, Buffer.from(m.regs)),
  stack: (m) => copyStack(m.tid),
  'release-all': () => releaseAll(),
};
for (;;) {
  const rung = Atomics.load(bell, 0);
  for (let m; (m = receiveMessageOnPort(port)) !== undefined; ) {
    const { id, op } = m.message;
    try { post({ id, ok: true, value: ops[op](m.message) }); }
    catch (err) { post({ id, ok: false, errno: (err && err.errno) || 0, step: (err && err.step) || String(err) }); }
  }
  reap(0);
  Atomics.wait(bell, 0, rung, pollMs);
}
`;

type WorkerFailure = { id: number; ok: false; errno: number; step: string; tracees: number };
type WorkerMessage =
  | { id: number; ok: true; value: unknown; tracees: number }
  | WorkerFailure
  | { event: 'gone'; tid: number; pid: number; why: string; tracees: number };

interface Pending {
  resolve: (value: unknown) => void;
  reject: (failure: WorkerFailure | DetailFailure) => void;
}

export interface ThreadHolder {
  /** Suspends thread `tid` of `pid`. Throws DetailFailure. */
  hold(pid: number, tid: number): Promise<void>;
  /** Resumes a thread this holder suspended. */
  release(pid: number, tid: number): Promise<void>;
  /** True while `tid` is suspended by this holder. */
  isHeld(tid: number): boolean;
  /** The held thread's registers and stack, copied without letting it go. */
  copyStack(pid: number, tid: number): Promise<StackCopy>;
  /**
   * Ends thread `tid` alone (held first if it is not): it runs exit(2) from the `syscall` instruction that
   * `findSyscall` answers once the thread is held (null: a sentence saying why not, the thread let go again).
   */
  exitThread(pid: number, tid: number, findSyscall: () => Promise<bigint | null>): Promise<void>;
  /** Lets every held thread go and ends the worker. */
  dispose(): void;
  /** Tests: the worker while one runs (to terminate it while it holds a thread). */
  workerForTest(): Worker | null;
}

export function createThreadHolder(): ThreadHolder {
  let worker: Worker | null = null;
  let port: MessagePort | null = null;
  let bell: Int32Array | null = null;
  let nextId = 1;
  let disposed = false;
  const pending = new Map<number, Pending>();
  /** tid → pid of every thread the worker holds, as it last said. */
  const held = new Map<number, number>();

  const endIfIdle = (tracees: number) => {
    if (tracees === 0 && pending.size === 0 && worker) {
      void worker.terminate();
      worker = null;
    }
  };

  function start(): Worker {
    const channel = new MessageChannel();
    bell = new Int32Array(new SharedArrayBuffer(4));
    const w = new Worker(HOLDER_WORKER_SOURCE, {
      eval: true,
      workerData: { koffiPath: koffiPath(), port: channel.port2, bell, stopTimeoutMs: STOP_TIMEOUT_MS, exitTimeoutMs: EXIT_TIMEOUT_MS, pollMs: POLL_MS, copyBytes: STACK_COPY_BYTES },
      transferList: [channel.port2],
    });
    // The host may exit while threads are held: the kernel then detaches them, and they run on.
    w.unref();
    port = channel.port1;
    w.on('message', (m: WorkerMessage) => {
      if ('event' in m) held.delete(m.tid);
      else {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (p) {
          if (m.ok) p.resolve(m.value);
          else p.reject(m);
        }
      }
      if (w === worker) endIfIdle(m.tracees);
    });
    const ended = (why: string) => {
      if (w !== worker) return;
      worker = null;
      held.clear();
      for (const p of pending.values()) p.reject(new DetailFailure('failed', `The thread holder ${why}; every thread it held was let go by the kernel.`));
      pending.clear();
    };
    w.once('error', (err) => ended(`failed (${err.message})`));
    w.once('exit', () => ended('ended'));
    return w;
  }

  function send<T>(message: Record<string, unknown>): Promise<T> {
    if (disposed) return Promise.reject(new DetailFailure('failed', 'The host is shutting down.'));
    worker ??= start();
    const id = nextId++;
    const answer = new Promise<T>((resolve, reject) => pending.set(id, { resolve: resolve as (v: unknown) => void, reject }));
    port!.postMessage({ ...message, id });
    Atomics.add(bell!, 0, 1);
    Atomics.notify(bell!, 0);
    return answer;
  }

  /** The worker's failure as the tab's sentence. */
  const failure = (err: unknown, pid: number, tid: number, purpose: string): DetailFailure => {
    if (err instanceof DetailFailure) return err;
    const f = err as WorkerFailure;
    if (f.step === 'not-held') return new DetailFailure('failed', `Thread ${tid} is not suspended by Procscope.`);
    if (f.step === 'busy') return new DetailFailure('failed', `Thread ${tid} is already held by Procscope (being let go or killed).`);
    if (f.step === 'exit-timeout') return new DetailFailure('timeout', `Thread ${tid} was made to call exit but had not ended after ${EXIT_TIMEOUT_MS} ms.`);
    return holdFailure(f.errno, f.step, pid, tid, purpose, 'it is let go as soon as it stops');
  };

  async function hold(pid: number, tid: number, purpose: string): Promise<void> {
    try {
      await send({ op: 'hold', pid, tid });
    } catch (err) {
      throw failure(err, pid, tid, purpose);
    }
    held.set(tid, pid);
  }

  return {
    hold: (pid, tid) => hold(pid, tid, 'suspend it'),
    async release(pid, tid) {
      try {
        await send({ op: 'release', tid });
      } catch (err) {
        if ((err as WorkerFailure).step === 'exited') held.delete(tid);
        throw failure(err, pid, tid, 'resume it');
      }
      held.delete(tid);
    },
    isHeld: (tid) => held.has(tid),
    async copyStack(pid, tid) {
      try {
        const c = await send<{ regs: Uint8Array; stackStart: number; stack: Uint8Array; pausedMs: number }>({ op: 'stack', tid });
        return { regs: Buffer.from(c.regs), stackStart: c.stackStart, stack: Buffer.from(c.stack), pausedMs: c.pausedMs };
      } catch (err) {
        throw failure(err, pid, tid, 'read its stack');
      }
    },
    async exitThread(pid, tid, findSyscall) {
      const wasHeld = held.has(tid);
      if (!wasHeld) await hold(pid, tid, 'kill it');
      try {
        const syscallAddr = await findSyscall();
        if (syscallAddr === null) throw new DetailFailure('failed', `Thread ${tid} could not be killed: no syscall instruction was found in the process's vDSO or libc.`);
        const saved = await send<{ regs: Uint8Array }>({ op: 'regs', tid });
        if (saved.regs.length !== USER_REGS_BYTES) {
          throw new DetailFailure('unsupported', `Thread ${tid} is not a 64-bit x86 thread; Procscope kills single threads of x86-64 processes only.`);
        }
        await send({ op: 'exit', tid, regs: syscallRegs(Buffer.from(saved.regs), syscallAddr, NR_EXIT, [0n]) });
        held.delete(tid);
      } catch (err) {
        const step = (err as Partial<WorkerFailure>).step;
        // Resumed into exit(2) but not seen to end yet: no longer held (the worker reaps it when it ends).
        if (step === 'exit-timeout' || step === 'exited') held.delete(tid);
        // Refused before it was resumed: a thread held only to be killed is let go again, its registers untouched.
        else if (!wasHeld && held.has(tid)) await send({ op: 'release', tid }).then(() => held.delete(tid), () => {});
        throw failure(err, pid, tid, 'kill it');
      }
    },
    dispose() {
      const w = worker;
      if (disposed || !w) {
        disposed = true;
        return;
      }
      held.clear();
      // Detach (handing back any signal it was stopped for) then end; should the worker not answer, ending it
      // detaches all the same.
      void send({ op: 'release-all' }).catch(() => {}).finally(() => void w.terminate());
      disposed = true;
      setTimeout(() => void w.terminate(), 1000).unref();
    },
    workerForTest: () => worker,
  };
}
