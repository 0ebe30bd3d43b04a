/*
 * koffi declarations for kernel32.dll and their safe wrappers: opening processes, image paths, memory reads,
 * bitness, termination, waits, files and the Toolhelp list (the naive source the tests and bench:win compare
 * against). Each declaration cites its header on learn.microsoft.com and the first Windows version that has it.
 * Callers get WinHandle objects and plain values, never a pointer.
 */
import koffi, { type TypeObject } from 'koffi';
import { isBadHandle, winLibrary, WinHandle, type KoffiFn as Fn } from './win-types';

const kernel32 = winLibrary('kernel32.dll');
const fn = kernel32.fn;

/** Process access rights (winnt.h; processthreadsapi.h "Process Security and Access Rights"). */
export const ProcessAccess = {
  TERMINATE: 0x0001,
  CREATE_PROCESS: 0x0080,
  DUP_HANDLE: 0x0040,
  VM_READ: 0x0010,
  QUERY_INFORMATION: 0x0400,
  SUSPEND_RESUME: 0x0800,
  QUERY_LIMITED_INFORMATION: 0x1000,
  SYNCHRONIZE: 0x00100000,
} as const;

/** GetLastError (errhandlingapi.h, Windows XP+). koffi keeps the value of the last FFI call across JS code. */
export function getLastError(): number {
  return fn('uint32_t __stdcall GetLastError()')() as number;
}

/** CloseHandle (handleapi.h, Windows 2000+). */
function closeRaw(raw: unknown): void {
  fn('bool __stdcall CloseHandle(HANDLE h)')(raw);
}

export function wrapHandle(raw: unknown): WinHandle | null {
  return isBadHandle(raw) ? null : new WinHandle(raw, closeRaw);
}

/** OpenProcess (processthreadsapi.h, Windows XP+). Null with getLastError() set when it fails. */
export function openProcess(pid: number, access: number): WinHandle | null {
  const raw = fn('HANDLE __stdcall OpenProcess(uint32_t access, bool inherit, uint32_t pid)')(access, false, pid);
  return wrapHandle(raw);
}

/** GetCurrentProcess (processthreadsapi.h, Windows XP+): the pseudo-handle, never closed. */
export function currentProcess(): WinHandle {
  return new WinHandle(fn('HANDLE __stdcall GetCurrentProcess()')(), () => undefined);
}

/** QueryFullProcessImageNameW (winbase.h, Vista+), Win32 path form (flags 0). */
export function queryFullProcessImageName(h: WinHandle): string | null {
  const f = fn('bool __stdcall QueryFullProcessImageNameW(HANDLE h, uint32_t flags, _Out_ void *buf, _Inout_ uint32_t *size)');
  const buf = Buffer.alloc(32768 * 2);
  const size = [32768];
  if (!f(h.raw, 0, buf, size)) return null;
  return buf.toString('utf16le', 0, (size[0] ?? 0) * 2);
}

/** ReadProcessMemory (memoryapi.h, Windows XP+). Null unless every byte was read. */
export function readProcessMemory(h: WinHandle, address: bigint, length: number): Buffer | null {
  const f = fn('bool __stdcall ReadProcessMemory(HANDLE h, uint64_t addr, _Out_ void *buf, size_t len, _Out_ size_t *read)');
  const buf = Buffer.alloc(length);
  const read = [0];
  if (!f(h.raw, address, buf, length, read)) return null;
  return Number(read[0]) === length ? buf : null;
}

/** IMAGE_FILE_MACHINE_* (winnt.h): 0 = UNKNOWN (not WOW64), 0x14c = I386, 0x8664 = AMD64, 0xAA64 = ARM64. */
export interface Wow64Info {
  processMachine: number;
  nativeMachine: number;
}

/** IsWow64Process2 (wow64apiset.h, Windows 10 1511+). Null if it fails or does not exist. */
export function isWow64Process2(h: WinHandle): Wow64Info | null {
  let f: Fn;
  try {
    f = fn('bool __stdcall IsWow64Process2(HANDLE h, _Out_ uint16_t *processMachine, _Out_ uint16_t *nativeMachine)');
  } catch {
    return null;
  }
  const p = [0];
  const n = [0];
  if (!f(h.raw, p, n)) return null;
  return { processMachine: p[0] ?? 0, nativeMachine: n[0] ?? 0 };
}

/** TerminateProcess (processthreadsapi.h, Windows XP+). */
export function terminateProcess(h: WinHandle, exitCode: number): boolean {
  return fn('bool __stdcall TerminateProcess(HANDLE h, uint32_t code)')(h.raw, exitCode) as boolean;
}

const WAIT_SIGNATURE = 'uint32_t __stdcall WaitForSingleObject(HANDLE h, uint32_t ms)';
export const WAIT_OBJECT_0 = 0;
export const WAIT_TIMEOUT = 0x102;
export const INFINITE = 0xffffffff;

/** WaitForSingleObject (synchapi.h, Windows XP+) on koffi's worker thread, so the event loop stays free. */
export function waitForSingleObjectAsync(h: WinHandle, timeoutMs: number): Promise<number> {
  const f = fn(WAIT_SIGNATURE);
  return new Promise((resolve, reject) => {
    f.async(h.raw, timeoutMs, (err: unknown, res: number) => (err ? reject(err as Error) : resolve(res)));
  });
}

export function waitForSingleObject(h: WinHandle, timeoutMs: number): number {
  return fn(WAIT_SIGNATURE)(h.raw, timeoutMs) as number;
}

/** GetExitCodeProcess (processthreadsapi.h, Windows XP+); 259 = STILL_ACTIVE. */
export function getExitCodeProcess(h: WinHandle): number | null {
  const code = [0];
  return fn('bool __stdcall GetExitCodeProcess(HANDLE h, _Out_ uint32_t *code)')(h.raw, code) ? (code[0] ?? 0) : null;
}

/** GetProcessTimes (processthreadsapi.h, Windows XP+): only the creation time is used (Wine gets CPU times wrong). */
export function getProcessCreateTime100ns(h: WinHandle): bigint | null {
  const f = fn('bool __stdcall GetProcessTimes(HANDLE h, _Out_ uint64_t *c, _Out_ uint64_t *e, _Out_ uint64_t *k, _Out_ uint64_t *u)');
  const c = [0n];
  if (!f(h.raw, c, [0n], [0n], [0n])) return null;
  return BigInt(c[0] ?? 0);
}

/** GetFileSizeEx (fileapi.h, Windows XP+): the dump's size while dbghelp writes it, for progress. */
export function getFileSize(h: WinHandle): number {
  const size = [0];
  return fn('bool __stdcall GetFileSizeEx(HANDLE h, _Out_ int64_t *size)')(h.raw, size) ? Number(size[0]) : 0;
}

/** LocalFree (winbase.h, Windows XP+): frees what ConvertStringSecurityDescriptorToSecurityDescriptorW returned. */
export function localFree(raw: unknown): void {
  fn('void * __stdcall LocalFree(void *mem)')(raw);
}

/** SECURITY_ATTRIBUTES (minwinbase.h): 24 bytes on x64. */
let securityAttributes: TypeObject | null = null;

/**
 * CreateFileW (fileapi.h, Windows XP+) with CREATE_NEW (fails if the file exists) and the given security
 * descriptor, for read, write and DELETE (so a partial file is removed through its handle). Share mode read only,
 * so nobody writes the dump beside us.
 */
export function createFileNew(path: string, securityDescriptor: unknown): { handle: WinHandle | null; error: number } {
  securityAttributes ??= koffi.struct('SECURITY_ATTRIBUTES', {
    nLength: 'uint32_t',
    lpSecurityDescriptor: 'void *',
    bInheritHandle: 'int',
  });
  const SA = securityAttributes;
  const f = fn('HANDLE __stdcall CreateFileW(str16 path, uint32_t access, uint32_t share, void *sa, uint32_t disp, uint32_t flags, HANDLE tmpl)');
  const GENERIC_READ = 0x80000000;
  const GENERIC_WRITE = 0x40000000;
  const FILE_SHARE_READ = 1;
  const CREATE_NEW = 1;
  const FILE_ATTRIBUTE_NORMAL = 0x80;
  const sa = { nLength: koffi.sizeof(SA), lpSecurityDescriptor: securityDescriptor, bInheritHandle: 0 };
  const DELETE = 0x10000;
  const raw = f(path, (GENERIC_READ | GENERIC_WRITE | DELETE) >>> 0, FILE_SHARE_READ, koffi.as(sa, koffi.pointer(SA)), CREATE_NEW, FILE_ATTRIBUTE_NORMAL, null);
  const handle = wrapHandle(raw);
  return { handle, error: handle ? 0 : getLastError() };
}

export interface ToolhelpProcess {
  pid: number;
  ppid: number;
  name: string;
  threadCount: number;
}

/**
 * CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS) + Process32FirstW / Process32NextW (tlhelp32.h, Windows XP+).
 * PROCESSENTRY32W (x64): dwSize @0, th32ProcessID @8, cntThreads @28, th32ParentProcessID @32, szExeFile @44; 568 bytes.
 */
export function toolhelpProcesses(): ToolhelpProcess[] {
  const snap = wrapHandle(fn('HANDLE __stdcall CreateToolhelp32Snapshot(uint32_t flags, uint32_t pid)')(0x2, 0));
  if (!snap) throw new Error(`CreateToolhelp32Snapshot failed with Windows error ${getLastError()}.`);
  try {
    const first = fn('bool __stdcall Process32FirstW(HANDLE h, _Inout_ void *entry)');
    const next = fn('bool __stdcall Process32NextW(HANDLE h, _Inout_ void *entry)');
    const out: ToolhelpProcess[] = [];
    const entry = Buffer.alloc(568);
    entry.writeUInt32LE(568, 0);
    for (let ok = first(snap.raw, entry) as boolean; ok; ok = next(snap.raw, entry) as boolean) {
      let end = 44;
      while (end < 564 && entry.readUInt16LE(end) !== 0) end += 2;
      out.push({
        pid: entry.readUInt32LE(8),
        ppid: entry.readUInt32LE(32),
        threadCount: entry.readUInt32LE(28),
        name: entry.toString('utf16le', 44, end),
      });
      entry.fill(0, 4);
    }
    return out;
  } finally {
    snap.close();
  }
}

/** PssCaptureSnapshot / PssFreeSnapshot (processsnapshot.h, Windows 8.1+). Null when kernel32 lacks them (Wine 8). */
export interface PssApi {
  capture(process: WinHandle, captureFlags: number, threadContextFlags: number): { snapshot: WinHandle | null; error: number };
}

export function pssApi(): PssApi | null {
  let capture: Fn;
  let free: Fn;
  try {
    capture = fn('uint32_t __stdcall PssCaptureSnapshot(HANDLE h, uint32_t flags, uint32_t ctx, _Out_ HANDLE *snap)');
    free = fn('uint32_t __stdcall PssFreeSnapshot(HANDLE proc, HANDLE snap)');
  } catch {
    return null;
  }
  const self = currentProcess();
  return {
    capture(process, captureFlags, threadContextFlags) {
      const out: unknown[] = [null];
      const error = capture(process.raw, captureFlags >>> 0, threadContextFlags, out) as number;
      if (error !== 0 || isBadHandle(out[0])) return { snapshot: null, error: error || 1 };
      return { snapshot: new WinHandle(out[0], (raw) => free(self.raw, raw)), error: 0 };
    },
  };
}

export interface NaiveCounters {
  createTime100ns: bigint | null;
  workingSetBytes: number | null;
  handleCount: number | null;
}

/**
 * The per-process queries a Toolhelp-based poller makes (the naive approach bench:win measures against): OpenProcess,
 * GetProcessTimes, K32GetProcessMemoryInfo (psapi.h, Windows 7+ as K32*), GetProcessHandleCount (processthreadsapi.h,
 * XP SP1+), CloseHandle. PROCESS_MEMORY_COUNTERS_EX is 80 bytes: cb @0, WorkingSetSize @16.
 */
export function readNaiveCounters(pid: number): NaiveCounters | null {
  const h = openProcess(pid, ProcessAccess.QUERY_LIMITED_INFORMATION | ProcessAccess.VM_READ);
  if (!h) return null;
  try {
    const mem = Buffer.alloc(80);
    mem.writeUInt32LE(80, 0);
    const memOk = fn('bool __stdcall K32GetProcessMemoryInfo(HANDLE h, _Inout_ void *counters, uint32_t cb)')(h.raw, mem, 80) as boolean;
    const handles = [0];
    const handleOk = fn('bool __stdcall GetProcessHandleCount(HANDLE h, _Out_ uint32_t *count)')(h.raw, handles) as boolean;
    return {
      createTime100ns: getProcessCreateTime100ns(h),
      workingSetBytes: memOk ? Number(mem.readBigUInt64LE(16)) : null,
      handleCount: handleOk ? (handles[0] ?? 0) : null,
    };
  } finally {
    h.close();
  }
}

/**
 * Bytes of readable committed memory in a process (VirtualQueryEx, memoryapi.h, Windows XP+): what a full-memory
 * dump will copy, so the dump's progress has a total. MEMORY_BASIC_INFORMATION (x64, 48 bytes): BaseAddress @0,
 * RegionSize @24, State @32 (MEM_COMMIT 0x1000), Protect @36 (PAGE_NOACCESS 0x1, PAGE_GUARD 0x100). Null on failure.
 */
export function readCommittedBytes(h: WinHandle): number | null {
  const query = fn('size_t __stdcall VirtualQueryEx(HANDLE h, uint64_t addr, _Out_ void *info, size_t len)');
  const info = Buffer.alloc(48);
  let address = 0n;
  let total = 0;
  for (let regions = 0; regions < 1_000_000; regions++) {
    if (Number(query(h.raw, address, info, 48)) !== 48) return regions === 0 ? null : total;
    const size = info.readBigUInt64LE(24);
    const protect = info.readUInt32LE(36);
    if (info.readUInt32LE(32) === 0x1000 && (protect & 0x1) === 0 && (protect & 0x100) === 0) total += Number(size);
    const next = info.readBigUInt64LE(0) + size;
    if (next <= address || size === 0n) return total;
    address = next;
  }
  return total;
}
