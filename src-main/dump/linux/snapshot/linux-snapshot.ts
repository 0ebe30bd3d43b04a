/*
 * Snapshot mode of the Linux core writer (issue 15): while the writer holds every thread stopped (registers already
 * read), one thread runs clone(2) with flags 0 through ptrace (snapshot-ptrace.ts): the clone is a copy-on-write
 * copy of the address space, born ptrace-stopped and attached to us (PTRACE_O_TRACECLONE; exit_signal 0, so
 * PTRACE_EVENT_CLONE and no SIGCHLD for the target), and never runs a user instruction. The writer lets the target go
 * and copies memory from the clone. Regions a fork does not copy (VmFlags dc = MADV_DONTFORK, wf =
 * MADV_WIPEONFORK) are read from the target before it goes. At the end the clone is SIGKILLed and reaped by us
 * (its tracer); it is then a zombie child of the target, which only the target can reap, so one thread of the
 * target is stopped again for a moment to run wait4(clone, NULL, __WALL, NULL) (that second pause is measured).
 * PTRACE_O_EXITKILL on the clone only: if our process dies, the kernel kills the clone; the target keeps running.
 * (The zombie then stays the target's until the target exits — said in the README.)
 *
 * Refused up front, with a sentence, when: the target has a seccomp mode (a filter may kill the thread on clone),
 * its cgroup's memory headroom is below the private memory copy-on-write could duplicate, no thread is free of a
 * pending signal, or no syscall instruction is found. A clone the kernel refuses (ENOMEM, EAGAIN from pids.max)
 * comes back as a refusal too; the writer then dumps live.
 */
import { closeSync, openSync, readFileSync } from 'node:fs';
import {
  PTRACE_DETACH,
  PTRACE_INTERRUPT,
  PTRACE_SEIZE,
  WALL as WALL_OPTION,
  WNOHANG,
  bufferAddress,
  processVmReadvSync,
  ptraceSync,
  waitpidSync,
} from '../ffi/libc-ptrace';
import { parseMaps, type ProcMapping, type SmapsInfo } from '../proc-maps';
import type { StoppedThread, ThreadRegisters } from '../ptrace-threads';
import {
  InjectError,
  NR_CLONE,
  NR_WAIT4,
  PTRACE_O_EXITKILL,
  PTRACE_O_TRACECLONE,
  PTRACE_SETOPTIONS,
  getRegsSync,
  injectSyscallSync,
  reapTracedSync,
  waitStatusSync,
} from './snapshot-ptrace';

const WALL = 0x40000000n;
const PTRACE_EVENT_STOP = 128;

export interface Snapshot {
  /** The clone to read memory from (process_vm_readv works on it: we are its tracer). */
  clonePid: number;
  /** How long the clone syscall took inside the target. */
  cloneMs: number;
  /** Kill the clone and have the target reap it. Never throws; says what could not be done. */
  close(): SnapshotClose;
}

export interface SnapshotClose {
  /** The second, short stop of one target thread to reap the clone. */
  reapPauseMs: number;
  /** null when the clone is gone and reaped; else why not. */
  problem: string | null;
}

export type SnapshotAttempt = { ok: true; snapshot: Snapshot } | { ok: false; reason: string };

function cgroupHeadroomBytes(pid: number): number | null {
  let rel: string | undefined;
  try {
    rel = /^0::(.*)$/m.exec(readFileSync(`/proc/${pid}/cgroup`, 'latin1'))?.[1];
  } catch {
    return null;
  }
  if (rel === undefined) return null;
  let least: number | null = null;
  for (let path = rel; ; path = path.slice(0, path.lastIndexOf('/'))) {
    try {
      const dir = `/sys/fs/cgroup${path === '/' ? '' : path}`;
      const max = readFileSync(`${dir}/memory.max`, 'latin1').trim();
      if (max !== 'max') {
        const room = Number(max) - Number(readFileSync(`${dir}/memory.current`, 'latin1').trim());
        if (least === null || room < least) least = room;
      }
    } catch {
      // no memory controller at this level
    }
    if (path === '' || path === '/') break;
  }
  return least;
}

const MiB = (n: number): string => `${Math.round(n / 1048576)} MiB`;

/** What is known before the target stops: why a snapshot cannot be tried, or where its syscall instruction is. */
export type SnapshotPrep = { refused: string } | { refused: null; syscallAddr: bigint };

/**
 * Run before the target stops: the refusals known up front, the syscall instruction's address (the vDSO and libc
 * text do not change), and a first call of every libc function the stop uses, so none is bound (koffi) or
 * compiled while the target waits — in a fresh CLI process that cost about 28 ms of the pause.
 */
export function prepareSnapshotSync(pid: number, smaps: ReadonlyMap<number, SmapsInfo>): SnapshotPrep {
  const refused = snapshotRefusalSync(pid, smaps);
  if (refused) return { refused };
  let syscallAddr: bigint | null = null;
  try {
    syscallAddr = findSyscallInstructionSync(pid, parseMaps(readFileSync(`/proc/${pid}/maps`, 'latin1')));
  } catch {
    // gone: the writer says so
  }
  if (syscallAddr === null) return { refused: 'no syscall instruction was found in the vDSO or libc' };
  warmUpSync();
  return { refused: null, syscallAddr };
}

/** Harmless calls (pid 0 and an impossible pid: ESRCH / ECHILD) that bind and compile the stop's calls. */
function warmUpSync(): void {
  const status = new Int32Array(1);
  for (let i = 0; i < 3; i++) {
    ptraceSync(PTRACE_INTERRUPT, 0, 0n, 0n);
    waitpidSync(0x7ffffffe, status, WALL_OPTION | WNOHANG);
  }
}

/** Reasons known before the target stops (null: snapshot may be tried). */
export function snapshotRefusalSync(pid: number, smaps: ReadonlyMap<number, SmapsInfo>): string | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return null; // the writer reports the process gone
  }
  const seccomp = /^Seccomp:\s+(\d+)/m.exec(status)?.[1];
  if (seccomp && seccomp !== '0') {
    return `the process runs under seccomp (mode ${seccomp}), which may refuse or punish the clone a snapshot needs`;
  }
  let privateBytes = 0;
  for (const s of smaps.values()) privateBytes += s.anonymousBytes;
  const room = cgroupHeadroomBytes(pid);
  if (room !== null && room < privateBytes) {
    return `its cgroup has ${MiB(Math.max(0, room))} of memory headroom, less than the ${MiB(privateBytes)} of private memory copy-on-write may duplicate`;
  }
  return null;
}

function threadSeccompMode(pid: number, tid: number): string | null {
  try {
    return /^Seccomp:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'latin1'))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** The address of a `syscall` instruction (0f 05) in an executable mapping: the vDSO first, then libc's text. */
export function findSyscallInstructionSync(pid: number, maps: readonly ProcMapping[]): bigint | null {
  const candidates = [
    ...maps.filter((m) => m.path === '[vdso]'),
    ...maps.filter((m) => m.executable && m.readable && /\/libc[.-]/.test(m.path)),
  ];
  for (const m of candidates) {
    const length = Math.min(m.endAddr - m.startAddr, 4 << 20);
    const buf = Buffer.alloc(length);
    const local = Buffer.alloc(16);
    const remote = Buffer.alloc(16);
    local.writeBigUInt64LE(bufferAddress(buf), 0);
    local.writeBigUInt64LE(BigInt(length), 8);
    remote.writeBigUInt64LE(BigInt(m.startAddr), 0);
    remote.writeBigUInt64LE(BigInt(length), 8);
    const got = processVmReadvSync(pid, local, 1, remote, 1).value;
    for (let i = 0; i + 1 < got; i++) if (buf[i] === 0x0f && buf[i + 1] === 0x05) return BigInt(m.startAddr + i);
  }
  return null;
}

/**
 * Make the clone. `threads` are the writer's stopped threads and `regs` their registers as read; the thread used
 * is parked again with the same registers and its pendingSignal updated (a signal that arrived meanwhile).
 */
export function takeSnapshotSync(
  pid: number,
  threads: StoppedThread[],
  regs: readonly ThreadRegisters[],
  maps: readonly ProcMapping[],
  knownSyscallAddr?: bigint,
): SnapshotAttempt {
  // seccomp is per thread (a filter installed without TSYNC shows only in that thread's status): checked again
  // here, while every thread is stopped, for the very thread that will run clone — a KILL action would end it.
  const candidates = threads.filter((t) => t.pendingSignal === 0 && regs.some((r) => r.tid === t.tid));
  if (candidates.length === 0) return { ok: false, reason: 'every thread was stopped with a signal pending' };
  const thread = candidates.find((t) => threadSeccompMode(pid, t.tid) === '0');
  if (!thread) return { ok: false, reason: 'the process runs under seccomp, which may refuse or punish the clone a snapshot needs' };
  const syscallAddr = knownSyscallAddr ?? findSyscallInstructionSync(pid, maps);
  if (syscallAddr === null) return { ok: false, reason: 'no syscall instruction was found in the vDSO or libc' };
  return cloneInThreadSync(pid, thread, regs.find((r) => r.tid === thread.tid)!.prstatusRegs, syscallAddr);
}

/** The clone itself, in `thread` (stopped, registers `saved`), with no checks: takeSnapshotSync's last step. */
export function cloneInThreadSync(pid: number, thread: StoppedThread, saved: Buffer, syscallAddr: bigint): SnapshotAttempt {
  let clonePid: number | null = null;
  const started = performance.now();
  try {
    const call = injectSyscallSync(pid, thread.tid, saved, syscallAddr, NR_CLONE, [0n, 0n, 0n, 0n, 0n], PTRACE_O_TRACECLONE, 0, (child) => {
      clonePid = child;
      // Its first stop, then EXITKILL at once: from here on our death kills it.
      waitStatusSync(child);
      ptraceSync(PTRACE_SETOPTIONS, child, 0n, BigInt(PTRACE_O_EXITKILL));
    });
    thread.pendingSignal = call.pendingSignal;
    if (call.ret < 0n) {
      const errno = Number(-call.ret);
      const why = errno === 12 ? 'not enough memory (ENOMEM)' : errno === 11 ? 'the process limit (EAGAIN: pids.max or RLIMIT_NPROC)' : `errno ${errno}`;
      return { ok: false, reason: `the kernel refused the clone: ${why}` };
    }
    if (clonePid === null || Number(call.ret) !== clonePid) throw new InjectError('the clone was not reported');
  } catch (err) {
    if (clonePid !== null) killAndReap(pid, clonePid);
    return { ok: false, reason: `the clone could not be made: ${(err as Error).message}` };
  }
  const child: number = clonePid;
  return {
    ok: true,
    snapshot: { clonePid: child, cloneMs: performance.now() - started, close: () => killAndReap(pid, child) },
  };
}

function killAndReap(pid: number, clonePid: number): SnapshotClose {
  try {
    process.kill(clonePid, 'SIGKILL');
  } catch {
    // already gone
  }
  if (!reapTracedSync(clonePid)) return { reapPauseMs: 0, problem: `clone ${clonePid} did not end after SIGKILL` };
  return reapInTargetSync(pid, clonePid);
}

/** Stop one thread of the target (it may be attached by the writer still, then use that stop) and run wait4. */
function reapInTargetSync(pid: number, clonePid: number): SnapshotClose {
  let maps: ProcMapping[];
  try {
    maps = parseMaps(readFileSync(`/proc/${pid}/maps`, 'latin1'));
  } catch {
    return { reapPauseMs: 0, problem: null }; // the target is gone: init reaps the zombie
  }
  const started = performance.now();
  const tid = pid;
  const seize = ptraceSync(PTRACE_SEIZE, tid, 0n, 0n);
  const ownStop = seize.value !== -1;
  try {
    let pending = 0;
    if (ownStop) {
      ptraceSync(PTRACE_INTERRUPT, tid, 0n, 0n);
      const s = waitStatusSync(tid);
      if ((s & 0xff) !== 0x7f) return { reapPauseMs: 0, problem: null };
      if (s >>> 16 !== PTRACE_EVENT_STOP) pending = (s >> 8) & 0xff;
    } else {
      return { reapPauseMs: 0, problem: `the target's thread could not be stopped to reap clone ${clonePid} (errno ${seize.errno})` };
    }
    const addr = findSyscallInstructionSync(pid, maps);
    if (addr === null) throw new InjectError('no syscall instruction');
    const saved = getRegsSync(tid);
    const call = injectSyscallSync(pid, tid, saved, addr, NR_WAIT4, [BigInt(clonePid), 0n, WALL, 0n], 0, pending);
    pending = call.pendingSignal;
    ptraceSync(PTRACE_DETACH, tid, 0n, BigInt(pending));
    const reapPauseMs = performance.now() - started;
    return { reapPauseMs, problem: Number(call.ret) === clonePid ? null : `wait4 for clone ${clonePid} returned ${call.ret}` };
  } catch (err) {
    ptraceSync(PTRACE_DETACH, tid, 0n, 0n);
    return { reapPauseMs: performance.now() - started, problem: `clone ${clonePid} could not be reaped: ${(err as Error).message}` };
  }
}

/** Segment ranges a fork does not copy faithfully (dc: absent in the clone, wf: zeros there). */
export function uncopiedRanges(maps: readonly ProcMapping[], smaps: ReadonlyMap<number, SmapsInfo>): [number, number][] {
  const out: [number, number][] = [];
  for (const m of maps) {
    const f = smaps.get(m.startAddr)?.vmFlags;
    if (f && (f.has('dc') || f.has('wf'))) out.push([m.startAddr, m.endAddr]);
  }
  return out;
}

/**
 * Read, from the target while it is still stopped, the pieces in `ranges` (a fork does not copy them); each gets
 * its bytes as `data`, which the copier uses instead of reading the clone. Unreadable pages stay zeros.
 * Returns the bytes read, or a reason when they exceed `limitBytes` (the pause would grow with them).
 */
export function preReadUncopiedSync(
  pid: number,
  pieces: { vaddr: number; length: number; read: boolean; data?: Buffer }[],
  ranges: readonly [number, number][],
  limitBytes: number,
): { bytes: number } | { reason: string } {
  const inRange = pieces.filter((p) => p.read && ranges.some(([lo, hi]) => p.vaddr >= lo && p.vaddr < hi));
  const bytes = inRange.reduce((n, p) => n + p.length, 0);
  if (bytes > limitBytes) return { reason: `${MiB(bytes)} of MADV_DONTFORK/WIPEONFORK memory would have to be read while the process is stopped` };
  const local = Buffer.alloc(16);
  const remote = Buffer.alloc(16);
  for (const p of inRange) {
    const data = Buffer.alloc(p.length);
    for (let at = 0; at < p.length; ) {
      local.writeBigUInt64LE(bufferAddress(data) + BigInt(at), 0);
      local.writeBigUInt64LE(BigInt(p.length - at), 8);
      remote.writeBigUInt64LE(BigInt(p.vaddr + at), 0);
      remote.writeBigUInt64LE(BigInt(p.length - at), 8);
      const got = processVmReadvSync(pid, local, 1, remote, 1).value;
      at += got > 0 ? got : 4096; // skip an unreadable page (zeros)
    }
    p.data = data;
  }
  return { bytes };
}

/** Most bytes of dc/wf memory read while the target is stopped before snapshot mode gives up (live instead). */
export const UNCOPIED_LIMIT_BYTES = 64 * 1024 * 1024;

/** What the writer needs from snapshot mode: where to read memory, and the mode and pause to report. */
export interface SnapshotRun {
  /** The pid memory is read from: the clone's, or the target's when snapshot mode fell back to live. */
  readPid: number;
  /** The clone's /proc/PID/mem, open until finish(); null in live mode (see memory-copier.ts for why). */
  memFd: number | null;
  method: 'live' | 'snapshot';
  /** Why snapshot mode was asked for but live mode ran. */
  fallbackReason: string | null;
  /** Kill and reap the clone (idempotent); the extra pause of the target it cost, in ms. */
  finish(): number;
  /** What went wrong while closing, if anything (set by finish). */
  closeProblem: string | null;
}

/**
 * The writer's one call, with every thread stopped and the pieces planned: try the clone (unless `refused` says
 * why not), read the dc/wf pieces from the target, and say where to read the rest. On a fallback nothing was
 * changed in the target. The caller releases the target after this returns and calls finish() on every path.
 */
export function startSnapshotSync(o: {
  pid: number;
  threads: StoppedThread[];
  regs: readonly ThreadRegisters[];
  maps: readonly ProcMapping[];
  /** The memory the clone will not have (uncopiedRanges of these maps): read from the target here. */
  uncopied: readonly [number, number][];
  pieces: { vaddr: number; length: number; read: boolean; data?: Buffer }[];
  prep: SnapshotPrep;
}): SnapshotRun {
  const live = (reason: string): SnapshotRun => ({ readPid: o.pid, memFd: null, method: 'live', fallbackReason: reason, finish: () => 0, closeProblem: null });
  if (o.prep.refused !== null) return live(o.prep.refused);
  const ranges = o.uncopied;
  if (ranges.length > 0) {
    const r = preReadUncopiedSync(o.pid, o.pieces, ranges, UNCOPIED_LIMIT_BYTES);
    if ('reason' in r) {
      for (const p of o.pieces) delete p.data;
      return live(r.reason);
    }
  }
  const attempt = takeSnapshotSync(o.pid, o.threads, o.regs, o.maps, o.prep.syscallAddr);
  if (!attempt.ok) {
    for (const p of o.pieces) delete p.data;
    return live(attempt.reason);
  }
  let memFd: number;
  try {
    memFd = openSync(`/proc/${attempt.snapshot.clonePid}/mem`, 'r');
  } catch (err) {
    attempt.snapshot.close();
    for (const p of o.pieces) delete p.data;
    return live(`the clone's memory could not be opened (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let closed: SnapshotClose | null = null;
  const run: SnapshotRun = {
    readPid: attempt.snapshot.clonePid,
    memFd,
    method: 'snapshot',
    fallbackReason: null,
    closeProblem: null,
    finish: () => {
      if (run.memFd !== null) closeSync(run.memFd);
      run.memFd = null;
      closed ??= attempt.snapshot.close();
      run.closeProblem = closed.problem;
      return closed.reapPauseMs;
    },
  };
  return run;
}
