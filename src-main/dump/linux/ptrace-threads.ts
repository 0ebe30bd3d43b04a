/*
 * Stops every thread of a process with PTRACE_SEIZE + PTRACE_INTERRUPT, reads their register sets, and lets them
 * go with PTRACE_DETACH (ptrace(2), "Attaching and detaching"). All calls are synchronous and must run on the one
 * thread that attached. A thread caught in a signal-delivery-stop gets its signal back at detach, so the target
 * runs on exactly as before. Never leaves a thread attached: attach failures detach what was taken.
 */
import { readdirSync } from 'node:fs';
import { DumpError } from '../dump-writer';
import {
  ECHILD,
  EPERM,
  ESRCH,
  NT_PRFPREG,
  NT_PRSTATUS,
  NT_X86_XSTATE,
  PTRACE_DETACH,
  PTRACE_EVENT_STOP,
  PTRACE_GETREGSET,
  PTRACE_GETSIGINFO,
  PTRACE_INTERRUPT,
  PTRACE_SEIZE,
  WALL,
  WNOHANG,
  bufferAddress,
  ptraceSync,
  waitpidSync,
} from './ffi/libc-ptrace';

export interface StoppedThread {
  tid: number;
  /** Signal the thread was about to receive when it stopped; handed back at detach. 0 = none. */
  pendingSignal: number;
}

export class AttachError extends Error {
  constructor(
    readonly errno: number,
    readonly tid: number,
  ) {
    super(`ptrace attach to thread ${tid} failed (errno ${errno})`);
  }
}

const STOP_TIMEOUT_MS = 5000;
const MAX_LIST_ROUNDS = 100;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

function listTidsSync(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).map(Number).filter((t) => t > 0);
  } catch {
    return [];
  }
}

/** Wait for one thread's stop. Returns false when the thread exited instead. */
function waitForStopSync(thread: StoppedThread): boolean {
  const status = new Int32Array(1);
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  for (;;) {
    const r = waitpidSync(thread.tid, status, WALL | WNOHANG);
    if (r.value === -1) {
      if (r.errno === ECHILD || r.errno === ESRCH) return false;
      throw new Error(`waitpid(${thread.tid}) failed (errno ${r.errno})`);
    }
    if (r.value === thread.tid) {
      const s = status[0]!;
      if ((s & 0xff) !== 0x7f) return false; // exited or killed
      const event = s >>> 16;
      const sig = (s >> 8) & 0xff;
      if (event !== PTRACE_EVENT_STOP) thread.pendingSignal = sig;
      return true;
    }
    if (Date.now() > deadline) throw new Error(`thread ${thread.tid} did not stop within ${STOP_TIMEOUT_MS} ms`);
    Atomics.wait(sleepCell, 0, 0, 0.2);
  }
}

/** Detach every thread; errors are ignored because a thread may have been killed meanwhile. */
export function detachAllSync(threads: Iterable<StoppedThread>): void {
  for (const t of threads) ptraceSync(PTRACE_DETACH, t.tid, 0n, BigInt(t.pendingSignal));
}

export interface AttachedProcess {
  /** Leader first (gdb shows the first NT_PRSTATUS as the current thread). */
  threads: StoppedThread[];
  /** performance.now() when the first thread was interrupted. */
  pauseStartMs: number;
}

/**
 * Seize and stop every thread, re-listing /proc/PID/task until a round finds no new thread. Throws AttachError
 * (EPERM: not allowed; ESRCH: the process is gone) after detaching whatever it took.
 */
export function attachAllThreadsSync(pid: number): AttachedProcess {
  const attached = new Map<number, StoppedThread>();
  let pauseStartMs = 0;
  try {
    for (let round = 0; round < MAX_LIST_ROUNDS; round++) {
      const fresh = listTidsSync(pid).filter((t) => !attached.has(t));
      if (fresh.length === 0) break;
      const taken: StoppedThread[] = [];
      for (const tid of fresh) {
        const seize = ptraceSync(PTRACE_SEIZE, tid, 0n, 0n);
        if (seize.value === -1) {
          if (seize.errno === ESRCH && tid !== pid) continue; // thread exited between listing and seizing
          throw new AttachError(seize.errno, tid);
        }
        const thread = { tid, pendingSignal: 0 };
        attached.set(tid, thread);
        if (pauseStartMs === 0) pauseStartMs = performance.now();
        if (ptraceSync(PTRACE_INTERRUPT, tid, 0n, 0n).value === -1) {
          attached.delete(tid);
          continue;
        }
        taken.push(thread);
      }
      for (const t of taken) if (!waitForStopSync(t)) attached.delete(t.tid);
    }
    if (!attached.has(pid)) throw new AttachError(attached.size === 0 ? ESRCH : EPERM, pid);
  } catch (err) {
    detachAllSync(attached.values());
    throw err;
  }
  const threads = [...attached.values()].sort((a, b) => (a.tid === pid ? -1 : b.tid === pid ? 1 : a.tid - b.tid));
  return { threads, pauseStartMs };
}

/** PTRACE_GETREGSET into a fresh buffer; the kernel shrinks iov_len to the set's real size. Null if refused. */
function getRegsetSync(tid: number, noteType: number, maxBytes: number): Buffer | null {
  const data = Buffer.alloc(maxBytes);
  const iov = Buffer.alloc(16);
  iov.writeBigUInt64LE(bufferAddress(data), 0);
  iov.writeBigUInt64LE(BigInt(maxBytes), 8);
  const r = ptraceSync(PTRACE_GETREGSET, tid, BigInt(noteType), bufferAddress(iov));
  if (r.value === -1) return null;
  return data.subarray(0, Number(iov.readBigUInt64LE(8)));
}

export interface ThreadRegisters {
  tid: number;
  /** user_regs_struct, 216 bytes (asm/user_64.h). */
  prstatusRegs: Buffer;
  /** user_fpregs_struct, 512 bytes; null if the kernel refused it. */
  fpRegs: Buffer | null;
  /** XSAVE area, CPU-dependent size. */
  xstate: Buffer | null;
  /** siginfo_t, 128 bytes. */
  siginfo: Buffer | null;
  pendingSignal: number;
}

export const USER_REGS_BYTES = 216;
const USER_REGS_RIP = 128;
const USER_REGS_RSP = 152;

export function readThreadRegistersSync(thread: StoppedThread): ThreadRegisters | null {
  const prstatusRegs = getRegsetSync(thread.tid, NT_PRSTATUS, USER_REGS_BYTES);
  if (!prstatusRegs) return null;
  if (prstatusRegs.length !== USER_REGS_BYTES) {
    throw new DumpError(
      'unsupported',
      `Thread ${thread.tid} has a ${prstatusRegs.length}-byte register set: it is not a 64-bit x86 process, and Procscope writes cores of those only.`,
    );
  }
  const siginfo = Buffer.alloc(128);
  const si = ptraceSync(PTRACE_GETSIGINFO, thread.tid, 0n, bufferAddress(siginfo));
  return {
    tid: thread.tid,
    prstatusRegs,
    fpRegs: getRegsetSync(thread.tid, NT_PRFPREG, 512),
    xstate: getRegsetSync(thread.tid, NT_X86_XSTATE, 16384),
    siginfo: si.value === -1 ? null : siginfo,
    pendingSignal: thread.pendingSignal,
  };
}

/** The 27 general registers as numbers (values above 2^53 lose precision; fine for address windows). */
export function registerValues(regs: ThreadRegisters): number[] {
  const out: number[] = [];
  for (let off = 0; off + 8 <= USER_REGS_BYTES; off += 8) out.push(Number(regs.prstatusRegs.readBigUInt64LE(off)));
  return out;
}

export function stackPointer(regs: ThreadRegisters): number {
  return Number(regs.prstatusRegs.readBigUInt64LE(USER_REGS_RSP));
}

export function instructionPointer(regs: ThreadRegisters): number {
  return Number(regs.prstatusRegs.readBigUInt64LE(USER_REGS_RIP));
}
