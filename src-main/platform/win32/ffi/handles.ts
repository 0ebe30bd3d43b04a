/*
 * Another process's handles for the Handles tab and Find Handle or DLL (winternl.h and the NT native API; handleapi.h,
 * fileapi.h on learn.microsoft.com): the system handle list (SystemExtendedHandleInformation = 64, else the legacy
 * SystemHandleInformation = 16), a handle duplicated into our process, its object type and name (NtQueryObject),
 * its file type (GetFileType), and the drive letters' NT device names. NtQueryObject(ObjectNameInformation) can
 * block forever on a file opened for synchronous I/O while another thread waits in it (a pipe): the name query is
 * offered on koffi's worker thread (queryObjectNameAsync) so the caller can time it out and abandon it.
 */
import koffi from 'koffi';
import { currentProcess, wrapHandle } from './kernel32';
import { parseExtendedHandles, parseLegacyHandles, unicodeStringIn, type SystemHandleRecord } from './detail-structs';
import { winLibrary, type WinHandle } from './win-types';

const ntdll = winLibrary('ntdll.dll');
const kernel32 = winLibrary('kernel32.dll');

const STATUS_INFO_LENGTH_MISMATCH = 0xc0000004;
const STATUS_BUFFER_OVERFLOW = 0x80000005;
const STATUS_BUFFER_TOO_SMALL = 0xc0000023;
const MAX_BUFFER = 512 * 1024 * 1024;

function grows(status: number): boolean {
  return status === STATUS_INFO_LENGTH_MISMATCH || status === STATUS_BUFFER_TOO_SMALL || status === STATUS_BUFFER_OVERFLOW;
}

let lastSize = 1024 * 1024;

/** NtQuerySystemInformation(cls) into a growing buffer: the bytes, or the NTSTATUS it failed with. */
function querySystem(cls: number): { bytes: Buffer | null; status: number } {
  const f = ntdll.fn('int32_t __stdcall NtQuerySystemInformation(int cls, _Out_ void *buf, uint32_t len, _Out_ uint32_t *retLen)');
  let size = lastSize;
  for (let attempt = 0; attempt < 10; attempt++) {
    const bytes = Buffer.allocUnsafeSlow(size);
    const ret = [0];
    const status = (f(cls, bytes, size, ret) as number) >>> 0;
    if (status === 0) {
      lastSize = Math.max(lastSize, size);
      return { bytes, status };
    }
    if (!grows(status)) return { bytes: null, status };
    size = Math.max(size * 2, (ret[0] ?? 0) + 256 * 1024);
    if (size > MAX_BUFFER) break;
  }
  return { bytes: null, status: STATUS_INFO_LENGTH_MISMATCH };
}

export interface SystemHandles {
  handles: SystemHandleRecord[];
  /** Which class answered: 64 (extended) or 16 (legacy, 16-bit pids and handle values). */
  infoClass: 64 | 16;
}

/** Every handle in the system (pid null) or of one process; throws with the NTSTATUS when neither class answers. */
export function querySystemHandles(pid: number | null): SystemHandles {
  const ext = querySystem(64);
  if (ext.bytes) return { handles: parseExtendedHandles(ext.bytes, pid), infoClass: 64 };
  const legacy = querySystem(16);
  if (legacy.bytes) return { handles: parseLegacyHandles(legacy.bytes, pid), infoClass: 16 };
  throw new Error(`NtQuerySystemInformation(SystemExtendedHandleInformation) failed with NTSTATUS 0x${ext.status.toString(16)}, the legacy class with 0x${legacy.status.toString(16)}.`);
}

/** DuplicateHandle (handleapi.h, Windows XP+) of `handle` in `source` (PROCESS_DUP_HANDLE) into ours, same access. */
export function duplicateHandleFrom(source: WinHandle, handle: bigint): WinHandle | null {
  const f = kernel32.fn('bool __stdcall DuplicateHandle(HANDLE src, uint64_t h, HANDLE dst, _Out_ HANDLE *out, uint32_t access, bool inherit, uint32_t options)');
  const out: unknown[] = [null];
  const DUPLICATE_SAME_ACCESS = 2;
  if (!f(source.raw, handle, currentProcess().raw, out, 0, false, DUPLICATE_SAME_ACCESS)) return null;
  return wrapHandle(out[0]);
}

const QUERY_OBJECT = 'int32_t __stdcall NtQueryObject(HANDLE h, int cls, _Out_ void *buf, uint32_t len, _Out_ uint32_t *ret)';

function queryObject(h: WinHandle | null, cls: number, size = 4096): { bytes: Buffer; base: bigint } | null {
  const f = ntdll.fn(QUERY_OBJECT);
  for (let attempt = 0; attempt < 6; attempt++) {
    const bytes = Buffer.allocUnsafeSlow(size);
    const ret = [0];
    const status = (f(h ? h.raw : null, cls, bytes, size, ret) as number) >>> 0;
    if (status === 0) return { bytes, base: koffi.address(bytes) };
    if (!grows(status)) return null;
    size = Math.max(size * 2, (ret[0] ?? 0) + 1024);
    if (size > 16 * 1024 * 1024) return null;
  }
  return null;
}

/** NtQueryObject(ObjectTypeInformation = 2): the object type's name ('File', 'Key', 'Event'), or null. */
export function queryObjectTypeName(h: WinHandle): string | null {
  const r = queryObject(h, 2, 1024);
  return r ? unicodeStringIn(r.bytes, 0, r.base) : null;
}

/** NtQueryObject(NULL, ObjectTypesInformation = 3): every object type, for parseObjectTypes; null when refused. */
export function queryObjectTypes(): { bytes: Buffer; base: bigint } | null {
  return queryObject(null, 3, 64 * 1024);
}

/** NtQueryObject(ObjectNameInformation = 1) on the JS thread: for objects that cannot block (not files). */
export function queryObjectName(h: WinHandle): string | null {
  const r = queryObject(h, 1, 2048);
  return r ? unicodeStringIn(r.bytes, 0, r.base) || null : null;
}

/**
 * NtQueryObject(ObjectNameInformation) on koffi's worker thread. Resolves the name ('' for none, null on failure).
 * A call that blocks (the synchronous-pipe hang) never resolves: the caller times it out, and must then leave the
 * handle open and the buffer alive, since the worker may still write to both.
 */
export function queryObjectNameAsync(h: WinHandle, keepAlive: unknown[]): Promise<string | null> {
  const f = ntdll.fn(QUERY_OBJECT);
  const bytes = Buffer.allocUnsafeSlow(8192);
  const ret = [0];
  keepAlive.push(bytes, ret);
  return new Promise((resolve) => {
    f.async(h.raw, 1, bytes, bytes.length, ret, (err: unknown, status: number) => {
      if (err || status >>> 0 !== 0) resolve(null);
      else resolve(unicodeStringIn(bytes, 0, koffi.address(bytes)));
    });
  });
}

const GET_FILE_TYPE = 'uint32_t __stdcall GetFileType(HANDLE h)';

/** GetFileType (fileapi.h, Windows XP+): 0 unknown, 1 disk, 2 char, 3 pipe, 0x8000 remote. */
export function getFileType(h: WinHandle): number {
  return kernel32.fn(GET_FILE_TYPE)(h.raw) as number;
}

/**
 * GetFileType on koffi's worker thread, for a handle of another process's file object: it asks only the device
 * type (FileFsDeviceInformation), which the I/O manager answers without the file's lock as far as documented, but
 * a handle whose use might block is never touched on the JS thread. Resolves 0 on failure.
 */
export function getFileTypeAsync(h: WinHandle): Promise<number> {
  const f = kernel32.fn(GET_FILE_TYPE);
  return new Promise((resolve) => f.async(h.raw, (err: unknown, type: number) => resolve(err ? 0 : type)));
}

/** GetProcessId (processthreadsapi.h, XP SP1+) of a process handle; 0 on failure. */
export function getProcessIdOfHandle(h: WinHandle): number {
  return kernel32.fn('uint32_t __stdcall GetProcessId(HANDLE h)')(h.raw) as number;
}

/** GetThreadId (processthreadsapi.h, Vista+) of a thread handle; 0 on failure. */
export function getThreadIdOfHandle(h: WinHandle): number {
  return kernel32.fn('uint32_t __stdcall GetThreadId(HANDLE h)')(h.raw) as number;
}

/**
 * Drive letters and their NT device names (GetLogicalDriveStringsW + QueryDosDeviceW, fileapi.h, Windows XP+):
 * [['C:', '\Device\HarddiskVolume3'], …], to turn an object name back into a path people know.
 */
export function dosDevices(): [string, string][] {
  const drives = Buffer.alloc(1024);
  const n = kernel32.fn('uint32_t __stdcall GetLogicalDriveStringsW(uint32_t len, _Out_ void *buf)')(512, drives) as number;
  if (!n || n > 512) return [];
  const query = kernel32.fn('uint32_t __stdcall QueryDosDeviceW(str16 name, _Out_ void *buf, uint32_t len)');
  const out: [string, string][] = [];
  const target = Buffer.alloc(2048);
  for (const root of drives.toString('utf16le', 0, n * 2).split('\0').filter(Boolean)) {
    const letter = root.slice(0, 2);
    const len = query(letter, target, 1024) as number;
    if (!len) continue;
    const device = target.toString('utf16le', 0, len * 2).split('\0')[0];
    if (device) out.push([letter, device]);
  }
  return out;
}
