/*
 * koffi declarations for starting a program suspended, for `procscope watch --launch` on Windows: CreateProcessW
 * with CREATE_SUSPENDED and this process's standard handles, then ResumeThread once the watch holds it. The
 * standard handles are passed as inheritable duplicates (STARTF_USESTDHANDLES), so the program shares this
 * terminal or these pipes whether or not our own handles were made inheritable. Callers get WinHandles.
 * Declarations (x64; BOOL as int, never a C bool): kernel32 — CreateProcessW, ResumeThread (processthreadsapi.h,
 * Windows XP+), GetStdHandle (processenv.h, Windows 2000+), DuplicateHandle (handleapi.h, Windows 2000+).
 */
import koffi, { type TypeObject } from 'koffi';
import { currentProcess, getLastError, wrapHandle } from './kernel32';
import { isBadHandle, winLibrary, type WinHandle } from './win-types';

const kernel32 = winLibrary('kernel32.dll');
let structs: { startup: TypeObject; info: TypeObject } | null = null;

/** STARTUPINFOW is 104 bytes on x64 (dwFlags @60, hStdInput @80); PROCESS_INFORMATION 24 (dwProcessId @16). */
function declareStructs(): { startup: TypeObject; info: TypeObject } {
  structs ??= {
    startup: koffi.struct('PROCSCOPE_STARTUPINFOW', {
      cb: 'uint32_t', lpReserved: 'void *', lpDesktop: 'void *', lpTitle: 'void *',
      dwX: 'uint32_t', dwY: 'uint32_t', dwXSize: 'uint32_t', dwYSize: 'uint32_t', dwXCountChars: 'uint32_t',
      dwYCountChars: 'uint32_t', dwFillAttribute: 'uint32_t', dwFlags: 'uint32_t', wShowWindow: 'uint16_t',
      cbReserved2: 'uint16_t', lpReserved2: 'void *', hStdInput: 'HANDLE', hStdOutput: 'HANDLE', hStdError: 'HANDLE',
    }),
    info: koffi.struct('PROCSCOPE_PROCESS_INFORMATION', { hProcess: 'HANDLE', hThread: 'HANDLE', dwProcessId: 'uint32_t', dwThreadId: 'uint32_t' }),
  };
  return structs;
}

/** processthreadsapi.h / winbase.h constants. */
const CREATE_SUSPENDED = 0x00000004;
const STARTF_USESTDHANDLES = 0x00000100;
const DUPLICATE_SAME_ACCESS = 0x2;
const STD_HANDLES = [-10, -11, -12] as const; // STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE

export interface SuspendedProcess {
  pid: number;
  process: WinHandle;
  thread: WinHandle;
}

/** An inheritable duplicate of one standard handle, or null when this process has none. */
function inheritableStdHandle(which: number): WinHandle | null {
  const raw = kernel32.fn('HANDLE __stdcall GetStdHandle(int32_t which)')(which);
  if (isBadHandle(raw)) return null;
  const self = currentProcess();
  const out: unknown[] = [null];
  const dup = kernel32.fn('int __stdcall DuplicateHandle(HANDLE srcProc, HANDLE src, HANDLE dstProc, _Out_ HANDLE *dst, uint32_t access, int inherit, uint32_t options)');
  if (!dup(self.raw, raw, self.raw, out, 0, 1, DUPLICATE_SAME_ACCESS)) return null;
  return wrapHandle(out[0]);
}

/**
 * CreateProcessW(application, commandLine) with CREATE_SUSPENDED: the process exists with its first thread
 * suspended before its loader ran, so it has run no instruction of its own. The environment and current folder are
 * ours. Returns the Win32 error code when it fails.
 */
export function createProcessSuspended(application: string, commandLine: string): SuspendedProcess | { error: number } {
  // Both structs are declared here; the signature below names them.
  const { startup } = declareStructs();
  const create = kernel32.fn(
    'int __stdcall CreateProcessW(str16 app, _Inout_ void *cmdline, void *pattrs, void *tattrs, int inherit, uint32_t flags, void *env, str16 cwd, PROCSCOPE_STARTUPINFOW *si, _Out_ PROCSCOPE_PROCESS_INFORMATION *pi)',
  );
  const std = STD_HANDLES.map(inheritableStdHandle);
  try {
    const useStd = std.some((h) => h !== null);
    const si = {
      cb: koffi.sizeof(startup), lpReserved: null, lpDesktop: null, lpTitle: null, dwX: 0, dwY: 0, dwXSize: 0, dwYSize: 0,
      dwXCountChars: 0, dwYCountChars: 0, dwFillAttribute: 0, dwFlags: useStd ? STARTF_USESTDHANDLES : 0, wShowWindow: 0,
      cbReserved2: 0, lpReserved2: null, hStdInput: std[0]?.raw ?? null, hStdOutput: std[1]?.raw ?? null, hStdError: std[2]?.raw ?? null,
    };
    // lpCommandLine must be writable memory: CreateProcessW may change it in place (its documented contract).
    const line = Buffer.from(`${commandLine}\0`, 'utf16le');
    const pi: Record<string, unknown> = {};
    // bInheritHandles = TRUE is what hands the three duplicates over (and, as for any launcher, our other
    // inheritable handles: Node makes its own non-inheritable).
    if (!create(application, line, null, null, 1, CREATE_SUSPENDED, null, null, si, pi)) {
      return { error: getLastError() };
    }
    const process = wrapHandle(pi.hProcess);
    const thread = wrapHandle(pi.hThread);
    if (!process || !thread) throw new Error('CreateProcessW succeeded without a process or thread handle.');
    return { pid: Number(pi.dwProcessId), process, thread };
  } finally {
    for (const h of std) h?.close();
  }
}

/** ResumeThread: false when it failed ((DWORD)-1). */
export function resumeThread(thread: WinHandle): boolean {
  return (kernel32.fn('uint32_t __stdcall ResumeThread(HANDLE h)')(thread.raw) as number) !== 0xffffffff;
}
