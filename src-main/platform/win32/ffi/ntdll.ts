/*
 * koffi declarations for ntdll.dll (winternl.h / the NT native API as documented on learn.microsoft.com) and their
 * safe wrappers: the one-call process list, process queries and suspend / resume. Loaded lazily; runs in the main
 * process, the CLI or the helper. Nothing outside src-main/platform/win32 and src-main/dump/win32 imports this.
 */
import koffi from 'koffi';
import { winLibrary, type WinHandle } from './win-types';

const ntdll = winLibrary('ntdll.dll');

type NtQuerySystemInformationFn = (cls: number, buf: Buffer, len: number, ret: number[]) => number;
type NtQueryInformationProcessFn = (h: unknown, cls: number, buf: Buffer, len: number, ret: number[]) => number;
type NtProcessFn = (h: unknown) => number;

let ntQuerySystemInformation: NtQuerySystemInformationFn | null = null;
let ntQueryInformationProcess: NtQueryInformationProcessFn | null = null;
let ntSuspendProcess: NtProcessFn | null = null;
let ntResumeProcess: NtProcessFn | null = null;

const STATUS_INFO_LENGTH_MISMATCH = 0xc0000004;
const STATUS_BUFFER_TOO_SMALL = 0xc0000023;
const SYSTEM_PROCESS_INFORMATION_CLASS = 5;

/** The raw SystemProcessInformation block plus the address it was written at (its ImageName pointers point into it). */
export interface SystemProcessBuffer {
  bytes: Buffer;
  baseAddress: bigint;
}

let lastSize = 512 * 1024;
/**
 * NtQuerySystemInformation(SystemProcessInformation = 5): winternl.h, Windows 2000+. One call lists every process
 * with its threads; the buffer grows on STATUS_INFO_LENGTH_MISMATCH, as the documentation asks.
 */
export function querySystemProcessInformation(): SystemProcessBuffer {
  ntQuerySystemInformation ??= ntdll.lib().func(
    'int32_t __stdcall NtQuerySystemInformation(int cls, _Out_ void *buf, uint32_t len, _Out_ uint32_t *retLen)',
  ) as NtQuerySystemInformationFn;
  for (let attempt = 0; attempt < 8; attempt++) {
    const bytes = Buffer.allocUnsafeSlow(lastSize);
    const ret = [0];
    const status = ntQuerySystemInformation(SYSTEM_PROCESS_INFORMATION_CLASS, bytes, bytes.length, ret) >>> 0;
    if (status === 0) return { bytes, baseAddress: koffi.address(bytes) };
    if (status !== STATUS_INFO_LENGTH_MISMATCH && status !== STATUS_BUFFER_TOO_SMALL) {
      throw new Error(`NtQuerySystemInformation failed with NTSTATUS 0x${status.toString(16)}.`);
    }
    lastSize = Math.max(lastSize * 2, (ret[0] ?? 0) + 64 * 1024);
  }
  throw new Error('NtQuerySystemInformation kept asking for a bigger buffer.');
}

/**
 * NtQueryInformationProcess (winternl.h, Windows 2000+): returns the NTSTATUS and fills `buf`.
 * Classes used: ProcessBasicInformation 0, ProcessWow64Information 26, ProcessCommandLineInformation 60 (8.1+).
 */
export function queryInformationProcess(handle: WinHandle, cls: number, buf: Buffer): { status: number; length: number } {
  ntQueryInformationProcess ??= ntdll.lib().func(
    'int32_t __stdcall NtQueryInformationProcess(HANDLE h, int cls, _Out_ void *buf, uint32_t len, _Out_ uint32_t *retLen)',
  ) as NtQueryInformationProcessFn;
  const ret = [0];
  const status = ntQueryInformationProcess(handle.raw, cls, buf, buf.length, ret) >>> 0;
  return { status, length: ret[0] ?? 0 };
}

/** NtSuspendProcess (undocumented, exported since Windows XP; what Process Explorer's Suspend uses). Suspends nest. */
export function suspendProcess(handle: WinHandle): number {
  ntSuspendProcess ??= ntdll.lib().func('int32_t __stdcall NtSuspendProcess(HANDLE h)') as NtProcessFn;
  return ntSuspendProcess(handle.raw) >>> 0;
}

/** NtResumeProcess (undocumented, Windows XP+): undoes one NtSuspendProcess. */
export function resumeProcess(handle: WinHandle): number {
  ntResumeProcess ??= ntdll.lib().func('int32_t __stdcall NtResumeProcess(HANDLE h)') as NtProcessFn;
  return ntResumeProcess(handle.raw) >>> 0;
}
