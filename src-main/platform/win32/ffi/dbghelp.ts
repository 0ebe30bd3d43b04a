/*
 * koffi declarations for dbghelp.dll (minidumpapiset.h, dbghelp.h on learn.microsoft.com; dbghelp 6.1+, in every
 * Windows since XP) and their safe wrappers: MiniDumpWriteDump on koffi's worker thread with a callback, and
 * SymInitializeW / SymCleanup around it. Used only by src-main/dump/win32. dbghelp is single-threaded: one dump at
 * a time per process (the dump engine runs one job at a time).
 */
import koffi, { type TypeObject } from 'koffi';
import { winLibrary, type WinHandle, type KoffiFn as Fn } from './win-types';

const dbghelp = winLibrary('dbghelp.dll');

/** MINIDUMP_TYPE bits (minidumpapiset.h). */
export const MiniDumpType = {
  Normal: 0x0,
  WithDataSegs: 0x1,
  WithFullMemory: 0x2,
  WithHandleData: 0x4,
  WithUnloadedModules: 0x20,
  WithIndirectlyReferencedMemory: 0x40,
  WithProcessThreadData: 0x100,
  WithFullMemoryInfo: 0x800,
  WithThreadInfo: 0x1000,
  IgnoreInaccessibleMemory: 0x20000,
  WithTokenInformation: 0x40000,
} as const;

/** MINIDUMP_CALLBACK_TYPE (minidumpapiset.h). */
const CallbackType = {
  Module: 0, Thread: 1, ThreadEx: 2, IncludeThread: 3, IncludeModule: 4,
  Cancel: 6, ReadMemoryFailure: 14, IsProcessSnapshot: 16,
} as const;

let callbackProto: TypeObject | null = null;
let callbackInfo: TypeObject | null = null;
let writeFn: Fn | null = null;

export interface MiniDumpCallbacks {
  /** Asked whenever dbghelp calls the Cancel callback (real Windows; Wine never does). */
  shouldCancel: () => boolean;
  /** True when `process` is a PSS snapshot handle: answered through IsProcessSnapshotCallback. */
  isSnapshot: boolean;
  /** Called with each callback type dbghelp used, so the job can tell which features the OS honoured. */
  onCallback?: (type: number) => void;
}

/**
 * MiniDumpWriteDump (minidumpapiset.h, Windows XP+ / dbghelp 5.1+) on koffi's worker thread: the event loop stays
 * free for progress and cancel. The callback is queued back to the JS thread by koffi while the worker waits.
 */
export function miniDumpWriteDumpAsync(
  process: WinHandle,
  pid: number,
  file: WinHandle,
  type: number,
  callbacks: MiniDumpCallbacks,
  /** A MINIDUMP_EXCEPTION_INFORMATION (ffi/exception-param.ts) for a crash dump's exception stream, or null. */
  exceptionParam: Buffer | null = null,
): Promise<boolean> {
  callbackProto ??= koffi.proto('int __stdcall MINIDUMP_CALLBACK_ROUTINE(void *param, void *input, void *output)');
  // minidumpapiset.h is packed to 4; both members are 8 bytes, so the offsets are 0 and 8 either way.
  callbackInfo ??= koffi.pack('MINIDUMP_CALLBACK_INFORMATION', {
    CallbackRoutine: koffi.pointer(callbackProto),
    CallbackParam: 'void *',
  });
  writeFn ??= dbghelp.lib().func(
    'bool __stdcall MiniDumpWriteDump(HANDLE h, uint32_t pid, HANDLE file, uint32_t type, void *exc, void *user, MINIDUMP_CALLBACK_INFORMATION *cb)',
  ) as Fn;
  const routine = (_param: unknown, input: unknown, output: unknown): number => {
    // MINIDUMP_CALLBACK_INPUT (pack 4): CallbackType u32 @12. MINIDUMP_CALLBACK_OUTPUT: a union starting @0.
    const kind = koffi.decode(input, 12, 'uint32_t') as number;
    callbacks.onCallback?.(kind);
    switch (kind) {
      case CallbackType.Module:
      case CallbackType.Thread:
      case CallbackType.ThreadEx:
      case CallbackType.IncludeThread:
      case CallbackType.IncludeModule:
        return 1;
      case CallbackType.Cancel:
        // { BOOL CheckCancel @0; BOOL Cancel @4 }: keep being asked, and say whether to stop now.
        koffi.encode(output, 0, 'int', 1);
        koffi.encode(output, 4, 'int', callbacks.shouldCancel() ? 1 : 0);
        return 1;
      case CallbackType.ReadMemoryFailure:
        // Status = S_OK: skip the unreadable range and go on (as IgnoreInaccessibleMemory does).
        koffi.encode(output, 0, 'int32_t', 0);
        return 1;
      case CallbackType.IsProcessSnapshot:
        // Status = S_FALSE tells dbghelp the handle is a PSS snapshot, not a process.
        if (!callbacks.isSnapshot) return 0;
        koffi.encode(output, 0, 'int32_t', 1);
        return 1;
      default:
        // Memory, IoStart, VmQuery…: FALSE = "nothing to add, do it your usual way".
        return 0;
    }
  };
  const registered = koffi.register(routine, koffi.pointer(callbackProto));
  const info = { CallbackRoutine: registered, CallbackParam: null };
  return new Promise<boolean>((resolve, reject) => {
    writeFn!.async(process.raw, pid, file.raw, type >>> 0, exceptionParam, null, info, (err: unknown, ok: boolean) => {
      koffi.unregister(registered);
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve(ok);
    });
  });
}

/**
 * SymInitializeW(h, NULL, FALSE) (dbghelp.h, dbghelp 6.1+): register the process with dbghelp without invading it,
 * so MiniDumpWriteDump does not load every module's symbols itself (under Wine that alone costs ~70 s).
 */
export function symInitialize(process: WinHandle): boolean {
  return dbghelp.fn('bool __stdcall SymInitializeW(HANDLE h, str16 path, bool invade)')(process.raw, null, false) as boolean;
}

/** SymCleanup (dbghelp.h): undoes symInitialize. */
export function symCleanup(process: WinHandle): void {
  dbghelp.fn('bool __stdcall SymCleanup(HANDLE h)')(process.raw);
}
