/*
 * The byte layouts of the Windows capture engine, decoded without koffi so they are tested on any OS: DEBUG_EVENT
 * (minwinbase.h, x64) as DbgUiConvertStateChangeStructure fills it, the job object's completion-port messages
 * (winnt.h JOB_OBJECT_MSG_*), JOBOBJECT_BASIC_PROCESS_ID_LIST, and which continue status each event gets. The
 * capture worker (capture-worker-source.ts) copies raw bytes out; the engine on the main thread decodes them here.
 */

/** DEBUG_EVENT is 176 bytes on x64: dwDebugEventCode u32 @0, dwProcessId @4, dwThreadId @8, union @16. */
export const DEBUG_EVENT_BYTES = 176;

/** dwDebugEventCode values (minwinbase.h). */
export const DebugEventCode = {
  EXCEPTION: 1,
  CREATE_THREAD: 2,
  CREATE_PROCESS: 3,
  EXIT_THREAD: 4,
  EXIT_PROCESS: 5,
  LOAD_DLL: 6,
  UNLOAD_DLL: 7,
  OUTPUT_DEBUG_STRING: 8,
  RIP: 9,
} as const;

/** ContinueStatus values (winnt.h / ntstatus.h). */
export const DBG_CONTINUE = 0x00010002;
export const DBG_EXCEPTION_NOT_HANDLED = 0x80010001;

/** Exception codes (ntstatus.h). */
export const EXCEPTION_BREAKPOINT = 0x80000003;
export const STATUS_WX86_BREAKPOINT = 0x4000001f;

/**
 * First-chance exceptions that are fatal in practice: runtimes (CRT fail-fast, the CLR, WER) often end the process
 * before a second chance comes, so a crash trigger dumps on these at first chance (ProcDump's `-e 1 -f` idea).
 * Access violation, stack overflow, stack buffer overrun (__fastfail), heap corruption.
 */
export const FATAL_FIRST_CHANCE_CODES: readonly number[] = [0xc0000005, 0xc00000fd, 0xc0000409, 0xc0000374];

export type DebugEvent =
  | { code: 'create-process'; pid: number; tid: number; imageBase: bigint }
  | { code: 'exit-process'; pid: number; tid: number; exitCode: number }
  | { code: 'exception'; pid: number; tid: number; exceptionCode: number; address: bigint; firstChance: boolean }
  | { code: 'other'; pid: number; tid: number; rawCode: number };

/**
 * Decodes a DEBUG_EVENT. CREATE_PROCESS_DEBUG_INFO: hFile @16, hProcess @24, hThread @32, lpBaseOfImage @40.
 * EXCEPTION_DEBUG_INFO: EXCEPTION_RECORD @16 (ExceptionCode u32 @16, ExceptionAddress @32), dwFirstChance @168.
 * EXIT_PROCESS_DEBUG_INFO: dwExitCode @16.
 */
export function decodeDebugEvent(b: Buffer): DebugEvent {
  if (b.length < DEBUG_EVENT_BYTES) throw new RangeError(`A DEBUG_EVENT is ${DEBUG_EVENT_BYTES} bytes, not ${b.length}.`);
  const rawCode = b.readUInt32LE(0);
  const pid = b.readUInt32LE(4);
  const tid = b.readUInt32LE(8);
  switch (rawCode) {
    case DebugEventCode.CREATE_PROCESS:
      return { code: 'create-process', pid, tid, imageBase: b.readBigUInt64LE(40) };
    case DebugEventCode.EXIT_PROCESS:
      return { code: 'exit-process', pid, tid, exitCode: b.readUInt32LE(16) };
    case DebugEventCode.EXCEPTION:
      return {
        code: 'exception', pid, tid,
        exceptionCode: b.readUInt32LE(16),
        address: b.readBigUInt64LE(32),
        firstChance: b.readUInt32LE(168) !== 0,
      };
    default:
      return { code: 'other', pid, tid, rawCode };
  }
}

/**
 * Which handle fields of a DEBUG_EVENT NtWaitForDebugEvent opened in our process (the raw NT API leaves closing
 * them to the debugger; kernel32 does it for WaitForDebugEvent callers): byte offsets to close, per event code.
 */
export function handleOffsetsOf(rawCode: number): number[] {
  switch (rawCode) {
    case DebugEventCode.CREATE_PROCESS:
      return [16, 24, 32];
    case DebugEventCode.CREATE_THREAD:
    case DebugEventCode.LOAD_DLL:
      return [16];
    default:
      return [];
  }
}

/** Whether the engine must look at an event before it is continued (the others are continued by the worker at once). */
export function needsDecision(rawCode: number): boolean {
  return rawCode === DebugEventCode.CREATE_PROCESS || rawCode === DebugEventCode.EXIT_PROCESS || rawCode === DebugEventCode.EXCEPTION;
}

/**
 * How an exception is continued so the debuggee behaves as it would without us: the loader's breakpoint of a
 * process attached at birth (ntdll breaks in once when PEB.BeingDebugged is set) is ours and is swallowed; every
 * other exception goes back to the process's own handlers, unhandled by us.
 */
export function exceptionContinueStatus(exceptionCode: number, firstChance: boolean, loaderBreakpointPending: boolean): number {
  const isBreakpoint = exceptionCode === EXCEPTION_BREAKPOINT || exceptionCode === STATUS_WX86_BREAKPOINT;
  return isBreakpoint && firstChance && loaderBreakpointPending ? DBG_CONTINUE : DBG_EXCEPTION_NOT_HANDLED;
}

/** Whether an exception is a crash for the crash trigger: any second chance, or a fatal code at first chance. */
export function isCrash(exceptionCode: number, firstChance: boolean): boolean {
  return !firstChance || FATAL_FIRST_CHANCE_CODES.includes(exceptionCode >>> 0);
}

/** JOB_OBJECT_MSG_* (winnt.h), delivered as GetQueuedCompletionStatus's lpNumberOfBytes; the pid is lpOverlapped. */
export const JobMessage = {
  END_OF_JOB_TIME: 1,
  END_OF_PROCESS_TIME: 2,
  ACTIVE_PROCESS_LIMIT: 3,
  ACTIVE_PROCESS_ZERO: 4,
  NEW_PROCESS: 6,
  EXIT_PROCESS: 7,
  ABNORMAL_EXIT_PROCESS: 8,
  PROCESS_MEMORY_LIMIT: 9,
  JOB_MEMORY_LIMIT: 10,
} as const;

/** JOBOBJECT_BASIC_PROCESS_ID_LIST (winnt.h): NumberOfAssignedProcesses u32 @0, NumberOfProcessIdsInList u32 @4, ULONG_PTR ids @8. */
export function decodeProcessIdList(b: Buffer): { assignedCount: number; pids: number[] } {
  if (b.length < 8) throw new RangeError('JOBOBJECT_BASIC_PROCESS_ID_LIST is at least 8 bytes.');
  const assignedCount = b.readUInt32LE(0);
  const listed = Math.min(b.readUInt32LE(4), Math.floor((b.length - 8) / 8));
  const pids: number[] = [];
  for (let i = 0; i < listed; i++) pids.push(Number(b.readBigUInt64LE(8 + i * 8)));
  return { assignedCount, pids };
}

/** JOBOBJECT_EXTENDED_LIMIT_INFORMATION (winnt.h) is 144 bytes on x64; BasicLimitInformation.LimitFlags is u32 @16. */
export const EXTENDED_LIMIT_INFORMATION_BYTES = 144;
/** JOB_OBJECT_LIMIT_BREAKAWAY_OK: the watched service's own CREATE_BREAKAWAY_FROM_JOB calls keep working. */
export const JOB_OBJECT_LIMIT_BREAKAWAY_OK = 0x800;

export function encodeBreakawayLimit(): Buffer {
  const b = Buffer.alloc(EXTENDED_LIMIT_INFORMATION_BYTES);
  b.writeUInt32LE(JOB_OBJECT_LIMIT_BREAKAWAY_OK, 16);
  return b;
}

/** A relative NT timeout (LARGE_INTEGER, 100 ns units, negative = relative) for NtWaitForDebugEvent. */
export function encodeRelativeTimeout(ms: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(-BigInt(Math.max(0, Math.round(ms))) * 10_000n, 0);
  return b;
}
