/*
 * The MINIDUMP_EXCEPTION_INFORMATION a crash dump carries, built in our own memory (ClientPointers FALSE) from what
 * a debugger holds at an exception event: the EXCEPTION_RECORD of the DEBUG_EVENT and the faulting thread's CONTEXT,
 * read while the debug event keeps the thread frozen. With it the dump has an exception stream, and a debugger
 * opens it at the faulting instruction. Used by the Windows capture engine through the minidump writer.
 */
import koffi from 'koffi';
import { wrapHandle } from './kernel32';
import { winLibrary } from './win-types';

const kernel32 = winLibrary('kernel32.dll');

/** EXCEPTION_RECORD (winnt.h, x64) is 152 bytes; it sits at offset 16 of an EXCEPTION_DEBUG_INFO DEBUG_EVENT. */
export const EXCEPTION_RECORD_BYTES = 152;
/** CONTEXT (winnt.h, AMD64) is 1232 bytes, 16-byte aligned; ContextFlags u32 @0x30. CONTEXT_ALL = 0x10001f. */
const CONTEXT_BYTES = 1232;
const CONTEXT_ALL_AMD64 = 0x10001f;
/** THREAD_GET_CONTEXT 0x8 | THREAD_QUERY_INFORMATION 0x40 (winnt.h). */
const THREAD_ACCESS = 0x8 | 0x40;

export interface ExceptionParam {
  /** Pass as MiniDumpWriteDump's ExceptionParam; keep `keepAlive` referenced until the call has returned. */
  param: Buffer;
  keepAlive: Buffer[];
}

/**
 * OpenThread (processthreadsapi.h, XP+) + GetThreadContext (XP+) of the frozen thread, then EXCEPTION_POINTERS
 * {ExceptionRecord @0, ContextRecord @8} and MINIDUMP_EXCEPTION_INFORMATION (minidumpapiset.h, pack 4): ThreadId
 * u32 @0, ExceptionPointers @4, ClientPointers BOOL @12. Null when the thread's context cannot be read.
 */
export function buildExceptionParam(threadId: number, exceptionRecord: Uint8Array): ExceptionParam | null {
  if (exceptionRecord.length !== EXCEPTION_RECORD_BYTES) return null;
  const thread = wrapHandle(kernel32.fn('HANDLE __stdcall OpenThread(uint32_t access, bool inherit, uint32_t tid)')(THREAD_ACCESS, false, threadId));
  if (!thread) return null;
  try {
    const raw = Buffer.alloc(CONTEXT_BYTES + 16);
    const pad = Number((16n - (koffi.address(raw) % 16n)) % 16n);
    const context = raw.subarray(pad, pad + CONTEXT_BYTES);
    context.writeUInt32LE(CONTEXT_ALL_AMD64, 0x30);
    if (!kernel32.fn('bool __stdcall GetThreadContext(HANDLE h, _Inout_ void *ctx)')(thread.raw, context)) return null;
    const record = Buffer.from(exceptionRecord);
    const pointers = Buffer.alloc(16);
    pointers.writeBigUInt64LE(koffi.address(record), 0);
    pointers.writeBigUInt64LE(koffi.address(context), 8);
    const param = Buffer.alloc(16);
    param.writeUInt32LE(threadId, 0);
    param.writeBigUInt64LE(koffi.address(pointers), 4);
    param.writeUInt32LE(0, 12);
    return { param, keepAlive: [raw, record, pointers] };
  } finally {
    thread.close();
  }
}
