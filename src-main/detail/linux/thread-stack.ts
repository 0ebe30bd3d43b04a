/*
 * One live thread's stack (the Threads tab's "Stack"), on Linux: hold only that thread, copy what the unwind needs,
 * let it go, then unwind the copy with our x86-64 CFI unwinder (src-main/analysis/unwind) as the report does.
 *
 * Where the ptrace calls run: a short-lived worker_thread (inline source, as the fanotify watchdog), not the host's
 * main thread and not the helper process.
 *  - ptrace binds a tracee to the tracer *thread*; a worker is one OS thread that makes every call (SEIZE,
 *    INTERRUPT, waitpid, GETREGSET, DETACH) and then ends, so nothing ptrace-related stays in the host.
 *  - If the worker dies (terminated, crashed) the kernel detaches its tracees as the tracer thread exits, and a
 *    tracee in an interrupt stop (not a group stop) runs on: the thread can never stay stopped because of us.
 *    A test terminates the worker while it holds the thread and checks the thread runs on.
 *  - Its waitpid names the tid with __WALL | __WNOTHREAD, so it reaps nothing of another thread's. The other way
 *    round Linux reports a tracee's ptrace stop to every thread of the tracer's process: when the target is one of
 *    the host's own children, the main thread's libuv (waitpid(child) on each SIGCHLD) takes the report and treats
 *    the stop as the child's exit. So the source refuses the host's own children, and the worker also accepts a stop
 *    it sees in /proc ('t') whose report someone else took (PTRACE_GETSIGINFO says which stop it is).
 *  - The helper would add a process start (~50 ms) to a hold the user waits for, and it runs elevated: a stack
 *    read needs no more rights than the host has (same user, or root).
 * While the thread is held the worker reads its registers and copies its stack from the stack pointer up (at most
 * STACK_COPY_BYTES, within the stack mapping) through /proc/PID/mem; it then detaches at once (in `finally`), and
 * the unwind runs afterwards against that copy plus the process's unchanging code pages and unwind tables (read
 * live). pausedMs is measured in the worker, from the interrupt until the detach returned.
 */
import { readFileSync } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ReportFrame } from '../../../src-shared/model/analysis-report';
import type { ThreadStackDetail } from '../../../src-shared/model/process-detail';
import type { CoreThread, ElfCore } from '../../analysis/elf/elf-core-reader';
import type { CoreFileMapping } from '../../analysis/elf/elf-core-notes';
import { USER_REGS, type UserRegs } from '../../analysis/elf/elf-core-notes';
import { PF_R, PF_W, PF_X } from '../../analysis/elf/elf-format';
import { loadCoreModules } from '../../analysis/modules/core-modules';
import { toReportFrame } from '../../analysis/report/report-frame';
import { createStackUnwinder } from '../../analysis/unwind/x86-64-unwinder';
import { parseMaps, type ProcMapping } from '../../dump/linux/proc-maps';
import { DetailFailure } from '../detail-source';
import { NEEDS_ELEVATION } from './proc-errors';

/** The stack copied while the thread is held: deeper frames than this are read live (they may have moved). */
export const STACK_COPY_BYTES = 512 * 1024;
/** The thread must stop within this; else the worker gives up (and its exit detaches). */
export const STOP_TIMEOUT_MS = 2000;
const USER_REGS_BYTES = 216;
const DEBUG_FOLDERS = ['/usr/lib/debug'];

export interface StackCopy {
  regs: Buffer;
  /** Address of stack[0]. */
  stackStart: number;
  stack: Buffer;
  pausedMs: number;
}

type WorkerReply = { ok: true; regs: Uint8Array; stackStart: number; stack: Uint8Array; pausedMs: number } | { ok: false; errno: number; step: string };

/**
 * Worker source shared by this worker and the thread holder (thread-holder.ts), which reads a suspended thread's
 * stack without letting it go: `copyHeldStack(koffi, fs, call, pid, copyBytes)` reads the registers of the held
 * thread (`call(request, addr, data)` is ptrace on that tid, answering an errno or 0) and copies its stack from the
 * stack pointer up, within the stack's mapping, through /proc/PID/mem. Throws { errno, step: 'getregs' }.
 */
export const COPY_HELD_STACK_SOURCE = String.raw`
function copyHeldStack(koffi, fs, call, pid, copyBytes) {
  const regs = Buffer.alloc(216);
  const iov = Buffer.alloc(16);
  iov.writeBigUInt64LE(koffi.address(regs), 0);
  iov.writeBigUInt64LE(216n, 8);
  const e = call(0x4204, 1n, koffi.address(iov)); // PTRACE_GETREGSET, NT_PRSTATUS
  if (e) throw { errno: e, step: 'getregs' };
  const regsBytes = Number(iov.readBigUInt64LE(8));
  if (regsBytes !== 216) return { regs: regs.subarray(0, regsBytes), stackStart: 0, stack: Buffer.alloc(0) };
  const rsp = Number(regs.readBigUInt64LE(152));
  let end = rsp + copyBytes;
  for (const line of fs.readFileSync('/proc/' + pid + '/maps', 'latin1').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (m && parseInt(m[1], 16) <= rsp && rsp < parseInt(m[2], 16)) { end = Math.min(end, parseInt(m[2], 16)); break; }
  }
  // 128 bytes below rsp: the red zone a leaf function may use.
  const start = Math.max(0, rsp - 128);
  const stack = Buffer.alloc(Math.max(0, end - start));
  let got = 0;
  try {
    const fd = fs.openSync('/proc/' + pid + '/mem', 'r');
    try { got = fs.readSync(fd, stack, 0, stack.length, start); } finally { fs.closeSync(fd); }
  } catch { got = 0; }
  return { regs, stackStart: start, stack: stack.subarray(0, got) };
}
`;

/**
 * The worker: SEIZE → INTERRUPT → waitpid(tid) → GETREGSET(NT_PRSTATUS) → pread(/proc/PID/mem) → DETACH, detach in
 * `finally`. `holdMs` (tests only) keeps the thread held before the detach, so a test can terminate the worker there.
 */
const STACK_WORKER_SOURCE = String.raw`
${COPY_HELD_STACK_SOURCE}
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const koffi = require(workerData.koffiPath);
const libc = koffi.load('libc.so.6');
const ptrace = libc.func('long ptrace(int request, ...)');
const waitpid = libc.func('int waitpid(int pid, _Out_ int *status, int options)');
const PTRACE_SEIZE = 0x4206, PTRACE_INTERRUPT = 0x4207, PTRACE_DETACH = 17, PTRACE_GETSIGINFO = 0x4202;
const WALL = 0x40000000, WNOTHREAD = 0x20000000, WNOHANG = 1;
const { pid, tid, copyBytes, stopTimeoutMs, holdMs } = workerData;
const call = (req, addr, data) => { koffi.errno(0); const v = Number(ptrace(req, 'int', tid, 'uintptr_t', addr, 'uintptr_t', data)); return v === -1 ? koffi.errno() : 0; };
const sleepCell = new Int32Array(new SharedArrayBuffer(4));
let attached = false;
let pendingSignal = 0;
let t0 = 0;
let reply;
try {
  let e = call(PTRACE_SEIZE, 0n, 0n);
  if (e) throw { errno: e, step: 'seize' };
  attached = true;
  t0 = performance.now();
  e = call(PTRACE_INTERRUPT, 0n, 0n);
  if (e) throw { errno: e, step: 'interrupt' };
  const status = new Int32Array(1);
  const siginfo = Buffer.alloc(128);
  const statPath = '/proc/' + pid + '/task/' + tid + '/stat';
  const traced = () => { try { const t = fs.readFileSync(statPath, 'latin1'); return t[t.lastIndexOf(')') + 2] === 't'; } catch { return false; } };
  for (;;) {
    const r = waitpid(tid, status, WALL | WNOTHREAD | WNOHANG);
    if (r === tid) {
      const s = status[0];
      if ((s & 0xff) !== 0x7f) { attached = false; throw { errno: 3, step: 'exited' }; }
      // The interrupt's stop (event PTRACE_EVENT_STOP), or a signal-delivery stop that came first: either holds the
      // thread; a signal it was about to take is handed back at the detach.
      if ((s >>> 16) === 0) pendingSignal = (s >> 8) & 0xff;
      break;
    }
    if (r === -1 && koffi.errno() !== 10) throw { errno: koffi.errno(), step: 'wait' };
    // Stopped, but its report went to another waiter: when the target is a child of this process, the main thread's
    // libuv answers SIGCHLD with waitpid(child) and takes any ptrace stop of it. The stop holds all the same; what
    // kind it is, the siginfo says (an interrupt stop is SIGTRAP | PTRACE_EVENT_STOP << 8, else a signal to hand back).
    if (traced()) {
      if (call(PTRACE_GETSIGINFO, 0n, koffi.address(siginfo)) === 0) {
        const signo = siginfo.readInt32LE(0);
        const code = siginfo.readInt32LE(8);
        if (!(signo === 5 && (code >> 8) === 128)) pendingSignal = signo;
      }
      break;
    }
    if (performance.now() - t0 > stopTimeoutMs) throw { errno: 110, step: 'stop-timeout' };
    Atomics.wait(sleepCell, 0, 0, 1);
  }
  const copy = copyHeldStack(koffi, fs, call, pid, copyBytes);
  if (holdMs > 0) { parentPort.postMessage({ held: true }); Atomics.wait(sleepCell, 0, 0, holdMs); }
  reply = { ok: true, ...copy, pausedMs: 0 };
} catch (err) {
  reply = { ok: false, errno: err && err.errno || 0, step: err && err.step || String(err) };
} finally {
  if (attached) call(PTRACE_DETACH, 0n, BigInt(pendingSignal));
  if (reply && reply.ok) reply.pausedMs = performance.now() - t0;
}
parentPort.postMessage(reply);
`;

/** Where koffi is, for a worker started from inline source (it has no bundler's module map). */
export function koffiPath(): string {
  const from = typeof __filename === 'string' ? __filename : join(process.cwd(), 'procscope.js');
  return createRequire(from).resolve('koffi');
}

/**
 * A hold's failure as the sentence the tab shows. `purpose` finishes "Procscope cannot … while it is" ('read its
 * stack', 'suspend it'); `letGo` says what happens to a thread that did not stop in time.
 */
export function holdFailure(errno: number, step: string, pid: number, tid: number, purpose = 'read its stack', letGo = 'it was let go'): DetailFailure {
  if (step === 'seize' && errno === 1) {
    // EPERM from SEIZE: no right to trace it, or another tracer (gdb, strace, a capture watch) holds it already.
    const tracer = tracerOf(pid, tid);
    if (tracer) return new DetailFailure('failed', `Thread ${tid} is already being traced (by task ${tracer}: a debugger, strace or a capture watch); Procscope cannot ${purpose} while it is.`);
  }
  if (errno === 1 || errno === 13) return new DetailFailure('access-denied', NEEDS_ELEVATION);
  if (errno === 3 || step === 'exited') return new DetailFailure('process-gone', `Thread ${tid} has exited.`);
  if (step === 'stop-timeout') return new DetailFailure('timeout', `Thread ${tid} did not stop within ${STOP_TIMEOUT_MS} ms (it may be in an uninterruptible wait); ${letGo}.`);
  return new DetailFailure('failed', `Holding thread ${tid} failed at ${step} (errno ${errno}).`);
}

function tracerOf(pid: number, tid: number): number {
  try {
    return Number(/^TracerPid:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'latin1'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

export interface StackWorkerRun {
  worker: Worker;
  /** Told once the thread is held (tests: holdMs > 0). */
  held: Promise<void>;
  result: Promise<StackCopy>;
}

/** Starts the worker; the caller awaits `result` (tests may terminate `worker` once `held`). */
export function startStackWorker(pid: number, tid: number, options: { holdMs?: number } = {}): StackWorkerRun {
  const worker = new Worker(STACK_WORKER_SOURCE, {
    eval: true,
    workerData: { koffiPath: koffiPath(), pid, tid, copyBytes: STACK_COPY_BYTES, stopTimeoutMs: STOP_TIMEOUT_MS, holdMs: options.holdMs ?? 0 },
  });
  let onHeld: () => void = () => {};
  const held = new Promise<void>((resolve) => (onHeld = resolve));
  const result = new Promise<StackCopy>((resolve, reject) => {
    worker.on('message', (m: WorkerReply | { held: true }) => {
      if ('held' in m) return onHeld();
      if (m.ok) resolve({ regs: Buffer.from(m.regs), stackStart: m.stackStart, stack: Buffer.from(m.stack), pausedMs: m.pausedMs });
      else reject(holdFailure(m.errno, m.step, pid, tid));
    });
    worker.once('error', (err) => reject(new DetailFailure('failed', `The stack reader failed: ${err.message}`)));
    worker.once('exit', () => reject(new DetailFailure('failed', 'The stack reader ended without an answer.')));
  });
  return { worker, held, result };
}

// ---- the live process as the unwinder's input ---------------------------------------------------------------

function flagsOf(m: ProcMapping): number {
  return (m.readable ? PF_R : 0) | (m.writable ? PF_W : 0) | (m.executable ? PF_X : 0);
}

/**
 * The subset of ElfCore the module loader and the unwinder read: the file mappings (/proc/PID/maps), auxv, segments,
 * and memory — the held stack copy first, else /proc/PID/mem (code pages and unwind tables do not change).
 */
async function openLiveProcess(pid: number, tid: number, copy: StackCopy): Promise<{ core: ElfCore; thread: CoreThread; close: () => Promise<void> }> {
  const maps = parseMaps(await readFile(`/proc/${pid}/maps`, 'latin1'));
  const auxvBuf = await readFile(`/proc/${pid}/auxv`).catch(() => Buffer.alloc(0));
  const auxv = new Map<number, bigint>();
  for (let off = 0; off + 16 <= auxvBuf.length; off += 16) {
    const type = Number(auxvBuf.readBigUInt64LE(off));
    if (type === 0) break;
    auxv.set(type, auxvBuf.readBigUInt64LE(off + 8));
  }
  const files: CoreFileMapping[] = maps
    .filter((m) => m.path.startsWith('/') && m.inode !== 0)
    // Through the process's own root, so a process in a container (another mount namespace) finds its files; the
    // module loader still takes a file only if its build id is the one in the mapped header.
    .map((m) => ({ start: BigInt(m.startAddr), end: BigInt(m.endAddr), fileOffset: BigInt(m.fileOffset), path: `/proc/${pid}/root${m.path}` }));
  const segments = maps.map((m) => ({ start: BigInt(m.startAddr), end: BigInt(m.endAddr), fileBytes: m.endAddr - m.startAddr, fileOffset: 0, flags: flagsOf(m) }));
  let mem: FileHandle | null = await open(`/proc/${pid}/mem`, 'r').catch(() => null);
  const stackStart = BigInt(copy.stackStart);
  const stackEnd = stackStart + BigInt(copy.stack.length);
  const regs = {} as UserRegs;
  USER_REGS.forEach((name, i) => (regs[name] = copy.regs.readBigUInt64LE(i * 8)));
  const core = {
    path: `/proc/${pid}`,
    fileBytes: 0,
    segments,
    threads: [],
    process: null,
    auxv,
    siginfo: null,
    files,
    filePageBytes: null,
    procscope: null,
    noteProblems: [],
    notes: [],
    segmentAt: (a: bigint) => segments.find((s) => a >= s.start && a < s.end) ?? null,
    async readMemory(address: bigint, length: number): Promise<Buffer | null> {
      if (length <= 0) return Buffer.alloc(0);
      if (address >= stackStart && address + BigInt(length) <= stackEnd) {
        const at = Number(address - stackStart);
        return copy.stack.subarray(at, at + length);
      }
      if (!mem || address > BigInt(Number.MAX_SAFE_INTEGER)) return null;
      const buf = Buffer.alloc(length);
      try {
        const { bytesRead } = await mem.read(buf, 0, length, Number(address));
        return bytesRead === length ? buf : null;
      } catch {
        return null;
      }
    },
    close: async () => {
      await mem?.close();
      mem = null;
    },
  } as unknown as ElfCore;
  const thread = { tid, regs, hasFpregs: false, hasXstate: false } as unknown as CoreThread;
  return { core, thread, close: () => core.close() };
}

/** Holds the thread in a worker, lets it go, unwinds the copy; frames as the analysis report writes them. */
export async function readThreadStackInWorker(pid: number, tid: number): Promise<ThreadStackDetail> {
  if (process.arch !== 'x64') throw new DetailFailure('unsupported', 'Thread stacks are read on x86-64 only.');
  return unwindStackCopy(pid, tid, await startStackWorker(pid, tid).result);
}

/** Unwinds a stack copied while the thread was held (by the stack worker, or by the holder of a suspended thread). */
export async function unwindStackCopy(pid: number, tid: number, copy: StackCopy): Promise<ThreadStackDetail> {
  if (copy.regs.length !== USER_REGS_BYTES) throw new DetailFailure('unsupported', 'The thread is not a 64-bit x86 thread.');
  const live = await openLiveProcess(pid, tid, copy);
  try {
    // The distribution's detached debug files (Debian: /usr/lib/debug/.build-id/xx/rest.debug), by build id only.
    const modules = await loadCoreModules(live.core, { localFiles: true, symbolFolders: DEBUG_FOLDERS });
    try {
      const stack = await createStackUnwinder(live.core, modules).unwindThread(live.thread);
      const frames: ReportFrame[] = stack.frames.map(toReportFrame);
      const note = stack.problems.length > 0 ? stack.problems.slice(0, 3).join(' ') : frames.length <= 1 ? `The walk stopped: ${stack.stopReason}.` : null;
      return { tid, frames, pausedMs: Math.round(copy.pausedMs * 100) / 100, note };
    } finally {
      await modules.close();
    }
  } finally {
    await live.close();
  }
}
