/*
 * The Threads tab on Windows: the process's threads from SystemProcessInformation (state, wait reason, CPU time,
 * priority) with each thread's Win32 start address (NtQueryInformationThread; the list's own is 0 under Wine) named
 * as module!export+off from the live module list, and its description; one thread's stack, read by suspending
 * just that thread for as long as it takes to copy its CONTEXT and the used part of its stack (then resumed, in a
 * finally), and unwound afterwards from that copy with our x64 .pdata unwinder on the live images; and kill /
 * suspend / resume of one thread. Every call checks the process identity, that the tid belongs to it, and refuses
 * our own process (suspending our own thread would hang us). Runs in the main process / CLI.
 */
import type { ReportFrame } from '../../../src-shared/model/analysis-report';
import type { ThreadAction, ThreadDetail, ThreadStackDetail } from '../../../src-shared/model/process-detail';
import { contextRegisters } from '../../analysis/minidump/minidump-analysis-input';
import { parseAmd64Context } from '../../analysis/minidump/minidump-reader';
import { toReportFrame } from '../../analysis/report/report-frame';
import { createPeStackWalker } from '../../analysis/pe/x64-pe-stack-walker';
import type { StackFrame } from '../../analysis/unwind/x86-64-unwinder';
import type { ProcessTarget } from '../../platform/backend';
import { threadStateName, waitReasonName } from '../../platform/win32/ffi/detail-structs';
import { getLastError, ProcessAccess, readProcessMemory } from '../../platform/win32/ffi/kernel32';
import { runningUnderWine } from '../../platform/win32/ffi/process-memory';
import {
  currentProcessId, getProcessIdOfThread, getThreadContext, getThreadDescription, openThread, readThreadTeb,
  readThreadWin32StartAddress, resumeThread, suspendThread, terminateThread, ThreadAccess,
} from '../../platform/win32/ffi/threads';
import type { WinHandle } from '../../platform/win32/ffi/win-types';
import { openLiveModules } from './live-modules';
import { systemRecord } from './win32-process-parts';
import { DetailFailure } from '../detail-source';
import { withProcess } from './win32-target';

const QUERY_AND_READ = ProcessAccess.QUERY_INFORMATION | ProcessAccess.VM_READ;
/** How much of a stack is copied while the thread is held: the used part, from rsp up to the TEB's StackBase. */
const MAX_STACK_COPY = 1024 * 1024;

function refuseOwn(target: ProcessTarget): void {
  if (target.pid === currentProcessId()) throw new DetailFailure('unsupported', 'Procscope does not hold or change its own threads.');
}

/** Opens thread `tid` of the target's process; 'process-gone' for a tid that ended or belongs to another process. */
function openTargetThread(target: ProcessTarget, tid: number, access: number): WinHandle {
  if (!Number.isSafeInteger(tid) || tid <= 0 || tid > 0xffffffff) throw new DetailFailure('failed', `${tid} is not a thread id.`);
  const h = openThread(tid, access | ThreadAccess.QUERY_LIMITED_INFORMATION);
  if (!h) {
    const error = getLastError();
    if (error === 5) throw new DetailFailure('access-denied', `Access to thread ${tid} was denied — needs elevation.`);
    throw new DetailFailure('process-gone', `Thread ${tid} has exited.`);
  }
  if (getProcessIdOfThread(h) !== target.pid) {
    h.close();
    throw new DetailFailure('process-gone', `Thread ${tid} is not a thread of process ${target.pid} (it exited, and its id was reused).`);
  }
  return h;
}

/** What the Threads tab keeps of a process between reads: CPU time per thread (for CPU %), names of start addresses. */
export interface ThreadMemory {
  /** By tid and creation time. */
  cpu: Map<string, { cpuTimeMs: number; atMs: number }>;
  /** A start address does not move while its module stays loaded: named once (a miss is kept too). */
  symbols: Map<bigint, string | null>;
}

export function newThreadMemory(): ThreadMemory {
  return { cpu: new Map(), symbols: new Map() };
}

export async function readThreads(target: ProcessTarget, memory: ThreadMemory): Promise<ThreadDetail[]> {
  const rec = systemRecord(target);
  const wine = runningUnderWine();
  const now = Date.now();
  const starts = new Map<number, bigint | null>();
  const names = new Map<number, string | null>();
  for (const t of rec.threads) {
    const h = openThread(t.tid, ThreadAccess.QUERY_INFORMATION | ThreadAccess.QUERY_LIMITED_INFORMATION) ?? openThread(t.tid, ThreadAccess.QUERY_LIMITED_INFORMATION);
    if (!h) continue;
    try {
      starts.set(t.tid, readThreadWin32StartAddress(h));
      names.set(t.tid, getThreadDescription(h) || null);
    } finally {
      h.close();
    }
  }
  const startOf = (t: (typeof rec.threads)[number]): bigint | null => starts.get(t.tid) ?? (t.startAddress || null);
  const unnamed = [...new Set(rec.threads.map(startOf).filter((a): a is bigint => a !== null && !memory.symbols.has(a)))];
  if (unnamed.length) {
    try {
      // The images' exports are read through the process handle: name every new address while it is open.
      await withProcess(target, QUERY_AND_READ, async (h) => {
        const modules = await openLiveModules(h);
        for (const a of unnamed) memory.symbols.set(a, await modules.symbolize(a));
      });
      if (memory.symbols.size > 4096) memory.symbols.clear();
    } catch (err) {
      if (!(err instanceof DetailFailure) || err.code !== 'access-denied') throw err;
    }
  }
  const seen = new Set<string>();
  const out: ThreadDetail[] = [];
  for (const t of rec.threads) {
    const key = `${t.tid}:${t.createTime100ns}`;
    seen.add(key);
    const before = memory.cpu.get(key);
    memory.cpu.set(key, { cpuTimeMs: t.cpuTimeMs, atMs: now });
    const start = startOf(t);
    // Wine leaves ThreadState, WaitReason and Priority 0 ('Initialized', 'Executive', 0): not facts, so not shown.
    const known = !wine;
    out.push({
      tid: t.tid,
      name: names.get(t.tid) ?? null,
      state: known ? threadStateName(t.state) : null,
      waitReason: known && t.state === 5 ? waitReasonName(t.waitReason) : null,
      cpuTimeMs: t.cpuTimeMs,
      cpuPercent: before && now > before.atMs ? Math.max(0, ((t.cpuTimeMs - before.cpuTimeMs) / (now - before.atMs)) * 100) : null,
      startAddress: start === null ? null : `0x${start.toString(16)}`,
      startSymbol: start === null ? null : (memory.symbols.get(start) ?? null),
      priority: known || t.priority !== 0 ? t.priority : null,
    });
  }
  for (const key of memory.cpu.keys()) if (!seen.has(key)) memory.cpu.delete(key);
  return out;
}

export function toReportFrames(frames: readonly StackFrame[]): ReportFrame[] {
  return frames.map(toReportFrame);
}

interface HeldCopy {
  context: Buffer;
  stackStart: bigint;
  stack: Buffer;
  pausedMs: number;
}

/** Suspends the thread, copies its CONTEXT and used stack, resumes it (in a finally, whatever failed). */
function copyWhileHeld(process: WinHandle, thread: WinHandle, tid: number): HeldCopy {
  const teb = readThreadTeb(thread);
  // NT_TIB: StackBase @8, StackLimit @0x10 (the stack grows down from StackBase).
  const tib = teb === null ? null : readProcessMemory(process, teb + 8n, 16);
  const started = performance.now();
  if (suspendThread(thread) === null) throw new DetailFailure('failed', `Thread ${tid} could not be suspended (Windows error ${getLastError()}).`);
  let got: { context: Buffer | null; error: number } | undefined;
  let stack: Buffer | null = null;
  let rsp = 0n;
  try {
    got = getThreadContext(thread);
    if (got.context) {
      rsp = got.context.readBigUInt64LE(0x98);
      const base = tib?.readBigUInt64LE(0) ?? 0n;
      // Without the TEB's StackBase, 64 KiB from rsp, halved until the read stays inside the stack's mapping.
      let length = base > rsp && base - rsp <= BigInt(MAX_STACK_COPY) ? Number(base - rsp) : 64 * 1024;
      while (!stack && length >= 256) {
        stack = readProcessMemory(process, rsp, length);
        if (!stack) length = Math.floor(length / 2);
      }
    }
  } finally {
    resumeThread(thread);
  }
  const pausedMs = performance.now() - started;
  if (!got?.context) throw new DetailFailure('failed', `GetThreadContext of thread ${tid} failed (Windows error ${got?.error}).`);
  return { context: got.context, stackStart: rsp, stack: stack ?? Buffer.alloc(0), pausedMs };
}

export async function readThreadStack(target: ProcessTarget, tid: number): Promise<ThreadStackDetail> {
  refuseOwn(target);
  return withProcess(target, QUERY_AND_READ, async (process) => {
    const thread = openTargetThread(target, tid, ThreadAccess.SUSPEND_RESUME | ThreadAccess.GET_CONTEXT | ThreadAccess.QUERY_INFORMATION);
    let held: HeldCopy;
    try {
      held = copyWhileHeld(process, thread, tid);
    } finally {
      thread.close();
    }
    const ctx = parseAmd64Context(held.context);
    if (!ctx) throw new DetailFailure('failed', `Thread ${tid}'s CONTEXT could not be decoded.`);
    const modules = await openLiveModules(process);
    const stackEnd = held.stackStart + BigInt(held.stack.length);
    const walker = createPeStackWalker({
      moduleAt: (a) => modules.moduleAt(a),
      async readMemory(a, length) {
        if (a >= held.stackStart && a + BigInt(length) <= stackEnd) {
          const off = Number(a - held.stackStart);
          return held.stack.subarray(off, off + length);
        }
        return readProcessMemory(process, a, length);
      },
      bytesAvailableAt: (a) => (a >= held.stackStart && a < stackEnd ? Number(stackEnd - a) : 0),
    });
    const walked = await walker.walk(tid, contextRegisters(ctx));
    const ended = /^end of stack/.test(walked.stopReason);
    const notes = [...(ended ? [] : [walked.stopReason]), ...walked.problems];
    return {
      tid,
      frames: toReportFrames(walked.frames),
      pausedMs: Math.round(held.pausedMs * 1000) / 1000,
      note: notes.length ? notes.join('; ') : null,
    };
  });
}

export async function threadAction(target: ProcessTarget, tid: number, action: ThreadAction): Promise<void> {
  refuseOwn(target);
  const access = action === 'kill' ? ThreadAccess.TERMINATE : ThreadAccess.SUSPEND_RESUME;
  await withProcess(target, ProcessAccess.QUERY_LIMITED_INFORMATION, () => {
    const thread = openTargetThread(target, tid, access);
    try {
      const ok = action === 'kill' ? terminateThread(thread, 1) : action === 'suspend' ? suspendThread(thread) !== null : resumeThread(thread) !== null;
      if (!ok) throw new DetailFailure('failed', `Could not ${action} thread ${tid} (Windows error ${getLastError()}).`);
    } finally {
      thread.close();
    }
  });
}
