/*
 * koffi declarations for one thread of another process (processthreadsapi.h, winternl.h on learn.microsoft.com) and
 * their safe wrappers, for the Properties window's Threads tab: open, suspend / resume / terminate, its creation
 * time (the thread's identity beside its tid), its CONTEXT (CONTEXT_FULL, in a 16-byte aligned buffer as
 * GetThreadContext requires), its TEB's stack bounds, its Win32 start address and its description. Callers get
 * WinHandle objects, bigints and strings, never a pointer.
 */
import koffi from 'koffi';
import { getLastError, localFree, wrapHandle } from './kernel32';
import { winLibrary, type WinHandle } from './win-types';

const kernel32 = winLibrary('kernel32.dll');
const ntdll = winLibrary('ntdll.dll');

/** Thread access rights (winnt.h, "Thread Security and Access Rights"). */
export const ThreadAccess = {
  TERMINATE: 0x0001,
  SUSPEND_RESUME: 0x0002,
  GET_CONTEXT: 0x0008,
  QUERY_INFORMATION: 0x0040,
  QUERY_LIMITED_INFORMATION: 0x0800,
} as const;

/** OpenThread (processthreadsapi.h, Windows XP+). Null with getLastError() set when it fails. */
export function openThread(tid: number, access: number): WinHandle | null {
  return wrapHandle(kernel32.fn('HANDLE __stdcall OpenThread(uint32_t access, bool inherit, uint32_t tid)')(access, false, tid));
}

const FAILED = 0xffffffff;

/** SuspendThread (processthreadsapi.h, Windows XP+): the previous suspend count, or null on failure. */
export function suspendThread(h: WinHandle): number | null {
  const r = (kernel32.fn('uint32_t __stdcall SuspendThread(HANDLE h)')(h.raw) as number) >>> 0;
  return r === FAILED ? null : r;
}

/** ResumeThread (processthreadsapi.h, Windows XP+): the previous suspend count, or null on failure. */
export function resumeThread(h: WinHandle): number | null {
  const r = (kernel32.fn('uint32_t __stdcall ResumeThread(HANDLE h)')(h.raw) as number) >>> 0;
  return r === FAILED ? null : r;
}

/** TerminateThread (processthreadsapi.h, Windows XP+). */
export function terminateThread(h: WinHandle, exitCode: number): boolean {
  return kernel32.fn('bool __stdcall TerminateThread(HANDLE h, uint32_t code)')(h.raw, exitCode) as boolean;
}

/** GetThreadTimes (processthreadsapi.h, Windows XP+): the creation FILETIME, or null. */
export function getThreadCreateTime100ns(h: WinHandle): bigint | null {
  const f = kernel32.fn('bool __stdcall GetThreadTimes(HANDLE h, _Out_ uint64_t *c, _Out_ uint64_t *e, _Out_ uint64_t *k, _Out_ uint64_t *u)');
  const c = [0n];
  return f(h.raw, c, [0n], [0n], [0n]) ? BigInt(c[0] ?? 0) : null;
}

/** GetProcessIdOfThread (processthreadsapi.h, Vista+): which process a thread handle's thread belongs to. */
export function getProcessIdOfThread(h: WinHandle): number {
  return kernel32.fn('uint32_t __stdcall GetProcessIdOfThread(HANDLE h)')(h.raw) as number;
}

/** GetCurrentThreadId (processthreadsapi.h, Windows XP+). */
export function currentThreadId(): number {
  return kernel32.fn('uint32_t __stdcall GetCurrentThreadId()')() as number;
}

/** GetCurrentProcessId (processthreadsapi.h, Windows XP+). */
export function currentProcessId(): number {
  return kernel32.fn('uint32_t __stdcall GetCurrentProcessId()')() as number;
}

/** CONTEXT (winnt.h, AMD64): 1232 bytes, ContextFlags u32 @0x30; CONTEXT_AMD64 | CONTROL | INTEGER | FLOATING_POINT. */
export const AMD64_CONTEXT_BYTES = 0x4d0;
const CONTEXT_FULL = 0x10000b;

/**
 * GetThreadContext (processthreadsapi.h, Windows XP+) of a suspended thread (THREAD_GET_CONTEXT): the raw CONTEXT
 * bytes, copied out of a 16-byte aligned buffer (the call fails on an unaligned one), or null with the error.
 */
export function getThreadContext(h: WinHandle): { context: Buffer | null; error: number } {
  const backing = Buffer.alloc(AMD64_CONTEXT_BYTES + 16);
  const misalign = Number(koffi.address(backing) % 16n);
  const ctx = backing.subarray((16 - misalign) % 16, (16 - misalign) % 16 + AMD64_CONTEXT_BYTES);
  if (koffi.address(ctx) % 16n !== 0n) throw new Error('The CONTEXT buffer could not be aligned.');
  ctx.writeUInt32LE(CONTEXT_FULL, 0x30);
  if (!kernel32.fn('bool __stdcall GetThreadContext(HANDLE h, _Inout_ void *ctx)')(h.raw, ctx)) return { context: null, error: getLastError() };
  return { context: Buffer.from(ctx), error: 0 };
}

type QueryThreadFn = (h: unknown, cls: number, buf: Buffer, len: number, ret: number[]) => number;

function queryInformationThread(h: WinHandle, cls: number, buf: Buffer): number {
  const f = ntdll.fn('int32_t __stdcall NtQueryInformationThread(HANDLE h, int cls, _Out_ void *buf, uint32_t len, _Out_ uint32_t *ret)') as unknown as QueryThreadFn;
  return f(h.raw, cls, buf, buf.length, [0]) >>> 0;
}

/**
 * NtQueryInformationThread(ThreadBasicInformation = 0) (winternl.h): THREAD_BASIC_INFORMATION is ExitStatus @0,
 * TebBaseAddress @8, ClientId @16, AffinityMask @32, Priority @40, BasePriority @44 (48 bytes). Null on failure.
 */
export function readThreadTeb(h: WinHandle): bigint | null {
  const b = Buffer.alloc(48);
  if (queryInformationThread(h, 0, b) !== 0) return null;
  const teb = b.readBigUInt64LE(8);
  return teb === 0n ? null : teb;
}

/** NtQueryInformationThread(ThreadQuerySetWin32StartAddress = 9): the start address Process Explorer shows. */
export function readThreadWin32StartAddress(h: WinHandle): bigint | null {
  const b = Buffer.alloc(8);
  if (queryInformationThread(h, 9, b) !== 0) return null;
  const a = b.readBigUInt64LE(0);
  return a === 0n ? null : a;
}

let describe: ((h: unknown, out: unknown[]) => number) | null | undefined;

/**
 * GetThreadDescription (processthreadsapi.h, Windows 10 1607+; THREAD_QUERY_LIMITED_INFORMATION): the name
 * SetThreadDescription gave the thread, '' when none. Null where kernel32 lacks the function or the call fails.
 */
export function getThreadDescription(h: WinHandle): string | null {
  if (describe === undefined) {
    try {
      describe = kernel32.fn('int32_t __stdcall GetThreadDescription(HANDLE h, _Out_ void **desc)') as unknown as typeof describe;
    } catch {
      describe = null;
    }
  }
  if (!describe) return null;
  const out: unknown[] = [null];
  if (describe(h.raw, out) < 0 || !out[0]) return null;
  try {
    // The pointer is the string itself: decode as char16_t up to its NUL ('str16' would read a pointer there).
    return koffi.decode(out[0], 'char16_t', -1) as string;
  } finally {
    localFree(out[0]);
  }
}

/** Whether GetThreadDescription exists here (Wine 8: say what the tab will lack). */
export function hasThreadDescription(): boolean {
  try {
    kernel32.fn('int32_t __stdcall GetThreadDescription(HANDLE h, _Out_ void **desc)');
    return true;
  } catch {
    return false;
  }
}
