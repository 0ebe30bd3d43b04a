/*
 * The ptrace steps of a snapshot dump (issue 15): run one raw syscall inside a stopped thread of the target the way
 * a debugger runs a call in the inferior, and park the thread again exactly as it was. Used twice: clone(2) with
 * flags 0 (a copy-on-write copy of the address space, exit_signal 0 so the target gets no SIGCHLD; no CLONE_VM,
 * no CLONE_PARENT, no CLONE_VFORK), and later wait4(2) to reap that clone. A raw syscall never runs glibc's fork()
 * wrapper, so no pthread_atfork handler runs. Every call stays on the thread that attached (see ffi/libc-ptrace.ts).
 *
 * Restarting an interrupted syscall: a thread stopped by PTRACE_INTERRUPT inside read()/nanosleep()/futex() has
 * rax = -ERESTART* and orig_rax = its syscall number; the kernel turns that into a restart only on the way out of
 * get_signal(). The injected registers carry orig_rax = -1 so the kernel does not "restart" our call; after the
 * syscall-exit-stop the saved registers are written back whole and the thread is stopped once more inside
 * get_signal() (PTRACE_INTERRUPT, or the signal it was about to take re-sent), so the kernel's own restart logic
 * sees the original registers when the writer detaches — no hand-made "rip -= 2".
 */
import koffi from 'koffi';
import {
  ECHILD,
  ESRCH,
  NT_PRSTATUS,
  PTRACE_CONT,
  PTRACE_EVENT_CLONE,
  PTRACE_EVENT_STOP,
  PTRACE_GETEVENTMSG,
  PTRACE_INTERRUPT,
  WALL,
  WNOHANG,
  bufferAddress,
  ptraceSync,
  waitpidSync,
} from '../ffi/libc-ptrace';

// linux/ptrace.h (uapi)
export const PTRACE_SETOPTIONS = 0x4200;
export const PTRACE_SYSCALL = 24;
export const PTRACE_SETREGSET = 0x4205;
export const PTRACE_GETREGSET = 0x4204;
export const PTRACE_O_TRACESYSGOOD = 0x1;
export const PTRACE_O_TRACECLONE = 0x8;
export const PTRACE_O_EXITKILL = 0x100000;
const SIGTRAP = 5;

// asm/unistd_64.h
export const NR_CLONE = 56;
/** exit(2): ends only the calling thread (exit_group, 231, would end the whole process). */
export const NR_EXIT = 60;
export const NR_WAIT4 = 61;

// user_regs_struct (asm/user_64.h) byte offsets
const R10 = 56;
const R8 = 72;
const RAX = 80;
const RDX = 96;
const RSI = 104;
const RDI = 112;
const ORIG_RAX = 120;
const RIP = 128;
export const USER_REGS_BYTES = 216;

export class InjectError extends Error {}

const STOP_TIMEOUT_MS = 5000;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Wait for a stop (or the end) of one traced task; the raw wait status. Throws after STOP_TIMEOUT_MS. */
export function waitStatusSync(tid: number, timeoutMs = STOP_TIMEOUT_MS): number {
  const status = new Int32Array(1);
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const r = waitpidSync(tid, status, WALL | WNOHANG);
    if (r.value === tid) return status[0]!;
    if (r.value === -1) throw new InjectError(`waitpid(${tid}) failed (errno ${r.errno})`);
    if (performance.now() > deadline) throw new InjectError(`task ${tid} did not stop within ${timeoutMs} ms`);
    Atomics.wait(sleepCell, 0, 0, 0.05);
  }
}

const isStopped = (s: number): boolean => (s & 0xff) === 0x7f;
const stopSig = (s: number): number => (s >> 8) & 0xff;
const stopEvent = (s: number): number => s >>> 16;

function regsetSync(request: number, tid: number, regs: Buffer): void {
  const iov = Buffer.alloc(16);
  iov.writeBigUInt64LE(bufferAddress(regs), 0);
  iov.writeBigUInt64LE(BigInt(regs.length), 8);
  const r = ptraceSync(request, tid, BigInt(NT_PRSTATUS), bufferAddress(iov));
  if (r.value === -1) throw new InjectError(`${request === PTRACE_SETREGSET ? 'SET' : 'GET'}REGSET of ${tid} failed (errno ${r.errno})`);
}

export function getRegsSync(tid: number): Buffer {
  const regs = Buffer.alloc(USER_REGS_BYTES);
  regsetSync(PTRACE_GETREGSET, tid, regs);
  return regs;
}

function must(r: { value: number; errno: number }, what: string): void {
  if (r.value === -1) throw new InjectError(`${what} failed (errno ${r.errno})`);
}

type TgkillFn = (tgid: number, tid: number, sig: number) => number;
let tgkillFn: TgkillFn | null = null;
function tgkillSync(tgid: number, tid: number, sig: number): void {
  tgkillFn ??= koffi.load('libc.so.6').func('int tgkill(int tgid, int tid, int sig)') as TgkillFn;
  tgkillFn(tgid, tid, sig);
}

/**
 * The registers that make a thread stopped with `saved` run syscall `nr(args)` when resumed: rip at a `syscall`
 * instruction, rax = nr, the arguments in rdi, rsi, rdx, r10, r8, orig_rax = -1. Also used by the Threads tab's
 * Kill (src-main/detail/linux), which runs exit(2) in the one thread it holds.
 */
export function syscallRegs(saved: Buffer, syscallAddr: bigint, nr: number, args: readonly bigint[]): Buffer {
  if (saved.length !== USER_REGS_BYTES) throw new InjectError('unexpected register set size');
  if (args.length > 5) throw new InjectError('at most 5 syscall arguments');
  const regs = Buffer.from(saved);
  regs.writeBigUInt64LE(BigInt(nr), RAX);
  regs.writeBigInt64LE(-1n, ORIG_RAX); // not in a syscall: the kernel must not "restart" anything at resume
  regs.writeBigUInt64LE(syscallAddr, RIP);
  const argOffsets = [RDI, RSI, RDX, R10, R8];
  args.forEach((a, i) => regs.writeBigUInt64LE(BigInt.asUintN(64, a), argOffsets[i]!));
  return regs;
}

export interface InjectedCall {
  /** The syscall's return value (negative errno on failure). */
  ret: bigint;
  /** The new task's pid when the call was a clone the kernel reported (PTRACE_EVENT_CLONE). */
  childPid: number | null;
}

/**
 * Run `nr(args)` in thread `tid` of process `tgid`, which is in a ptrace-stop inside get_signal() (an
 * interrupt's event-stop or a signal-delivery-stop) with registers `saved`. `pendingSignal` is the signal it was
 * stopped for (0: none); the thread is left stopped in get_signal() again with exactly `saved`, and its stop
 * signal (returned) is the one to hand back at detach. `options` are the ptrace options for the call
 * (TRACESYSGOOD is added); they are reset to 0 afterwards.
 */
export function injectSyscallSync(
  tgid: number,
  tid: number,
  saved: Buffer,
  syscallAddr: bigint,
  nr: number,
  args: readonly bigint[],
  options: number,
  pendingSignal: number,
  onChild?: (childPid: number) => void,
): InjectedCall & { pendingSignal: number } {
  const regs = syscallRegs(saved, syscallAddr, nr, args);
  let signalToGive = pendingSignal;
  let childPid: number | null = null;
  let ret: bigint | null = null;
  must(ptraceSync(PTRACE_SETOPTIONS, tid, 0n, BigInt(options | PTRACE_O_TRACESYSGOOD)), 'PTRACE_SETOPTIONS');
  let wrote = false;
  try {
    regsetSync(PTRACE_SETREGSET, tid, regs);
    wrote = true;
    let entered = false;
    // entry stop, [clone event], exit stop; a signal arriving meanwhile is noted and given back at the end
    for (let guard = 0; guard < 16 && ret === null; guard++) {
      must(ptraceSync(PTRACE_SYSCALL, tid, 0n, 0n), 'PTRACE_SYSCALL');
      const s = waitStatusSync(tid);
      if (!isStopped(s)) throw new InjectError(`thread ${tid} ended during the injected call`);
      const sig = stopSig(s);
      const event = stopEvent(s);
      if (sig === (SIGTRAP | 0x80)) {
        if (!entered) entered = true;
        else ret = getRegsSync(tid).readBigInt64LE(RAX);
      } else if (event === PTRACE_EVENT_CLONE) {
        const msg = Buffer.alloc(8);
        must(ptraceSync(PTRACE_GETEVENTMSG, tid, 0n, bufferAddress(msg)), 'PTRACE_GETEVENTMSG');
        childPid = Number(msg.readBigUInt64LE(0));
        onChild?.(childPid);
      } else if (event === 0 && sig !== SIGTRAP) {
        signalToGive ||= sig; // a signal-delivery-stop: suppressed now, re-sent when the thread is parked
      }
    }
    if (ret === null) throw new InjectError(`the injected syscall in thread ${tid} did not return`);
  } finally {
    if (wrote) parkSync(tgid, tid, saved, signalToGive);
    ptraceSync(PTRACE_SETOPTIONS, tid, 0n, 0n);
  }
  return { ret, childPid, pendingSignal: signalToGive };
}

/** Write `saved` back and stop the thread inside get_signal() again (see the header). */
function parkSync(tgid: number, tid: number, saved: Buffer, signal: number): void {
  regsetSync(PTRACE_SETREGSET, tid, Buffer.from(saved));
  if (signal) tgkillSync(tgid, tid, signal);
  else must(ptraceSync(PTRACE_INTERRUPT, tid, 0n, 0n), 'PTRACE_INTERRUPT');
  must(ptraceSync(PTRACE_CONT, tid, 0n, 0n), 'PTRACE_CONT');
  for (let guard = 0; guard < 8; guard++) {
    const s = waitStatusSync(tid);
    if (!isStopped(s)) throw new InjectError(`thread ${tid} ended while being parked`);
    if (stopEvent(s) === PTRACE_EVENT_STOP || (signal && stopSig(s) === signal && stopEvent(s) === 0)) return;
    must(ptraceSync(PTRACE_CONT, tid, 0n, 0n), 'PTRACE_CONT');
  }
  throw new InjectError(`thread ${tid} could not be parked`);
}

/** Wait for a traced child's end (it was SIGKILLed); true once reaped by us or already gone. */
export function reapTracedSync(pid: number): boolean {
  const status = new Int32Array(1);
  const deadline = performance.now() + STOP_TIMEOUT_MS;
  for (;;) {
    const r = waitpidSync(pid, status, WALL | WNOHANG);
    if (r.value === -1) return r.errno === ECHILD || r.errno === ESRCH;
    if (r.value === pid && !isStopped(status[0]!)) return true;
    if (r.value === pid) ptraceSync(PTRACE_CONT, pid, 0n, 0n);
    if (performance.now() > deadline) return false;
    Atomics.wait(sleepCell, 0, 0, 0.05);
  }
}
