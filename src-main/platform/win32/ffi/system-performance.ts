/*
 * System-wide figures for the toolbar graphs and two per-process category facts (issue 14), as koffi calls with
 * pure decoders beside them (unit-tested on Linux): per-core CPU times (NtQuerySystemInformation
 * SystemProcessorPerformanceInformation = 8, winternl.h, Windows 2000+), commit charge and limit
 * (K32GetPerformanceInfo, psapi.h, Windows 7+ in kernel32), IsProcessInJob (jobapi.h, Windows XP+) and the
 * debug port (NtQueryInformationProcess ProcessDebugPort = 7, winternl.h). Nothing above this folder sees a buffer.
 */
import { winLibrary, type WinHandle } from './win-types';
import { queryInformationProcess } from './ntdll';

const ntdll = winLibrary('ntdll.dll');
const kernel32 = winLibrary('kernel32.dll');

const SYSTEM_PROCESSOR_PERFORMANCE_INFORMATION = 8;
/** SYSTEM_PROCESSOR_PERFORMANCE_INFORMATION: IdleTime @0, KernelTime @8 (idle included), UserTime @16, DpcTime @24,
 * InterruptTime @32, InterruptCount u32 @40; 48 bytes, 100 ns units. */
const PROCESSOR_ENTRY = 48;
const PROCESS_DEBUG_PORT = 7;

export interface ProcessorTimes {
  busyMs: number;
  totalMs: number;
}

/** One entry per logical processor: busy = kernel + user − idle (kernel time includes the idle thread's). */
export function parseProcessorTimes(bytes: Buffer, length: number): ProcessorTimes[] {
  const out: ProcessorTimes[] = [];
  for (let at = 0; at + PROCESSOR_ENTRY <= length; at += PROCESSOR_ENTRY) {
    const idle = bytes.readBigUInt64LE(at);
    const kernel = bytes.readBigUInt64LE(at + 8);
    const user = bytes.readBigUInt64LE(at + 16);
    const total = kernel + user;
    const busy = total > idle ? total - idle : 0n;
    out.push({ busyMs: Number(busy / 10_000n), totalMs: Number(total / 10_000n) });
  }
  return out;
}

/** Per-core times of the current processor group (up to 64 cores), or null when the call fails. */
export function readProcessorTimes(cpuCount: number): ProcessorTimes[] | null {
  const query = ntdll.fn('int32_t __stdcall NtQuerySystemInformation(int cls, _Out_ void *buf, uint32_t len, _Out_ uint32_t *retLen)');
  const buf = Buffer.alloc(PROCESSOR_ENTRY * Math.max(1, Math.min(cpuCount, 64)));
  const ret = [0];
  const status = (query(SYSTEM_PROCESSOR_PERFORMANCE_INFORMATION, buf, buf.length, ret) as number) >>> 0;
  if (status !== 0) return null;
  const times = parseProcessorTimes(buf, Math.min(ret[0] ?? 0, buf.length));
  return times.length > 0 ? times : null;
}

/** PERFORMANCE_INFORMATION (x64): cb u32 @0, CommitTotal @8, CommitLimit @16, …, PageSize @80 (SIZE_T, pages); 104 bytes. */
const PERFORMANCE_INFORMATION_SIZE = 104;

export function parsePerformanceInformation(bytes: Buffer): { commitBytes: number; commitLimitBytes: number } | null {
  if (bytes.length < PERFORMANCE_INFORMATION_SIZE) return null;
  const pageSize = Number(bytes.readBigUInt64LE(80));
  if (!(pageSize > 0)) return null;
  return {
    commitBytes: Number(bytes.readBigUInt64LE(8)) * pageSize,
    commitLimitBytes: Number(bytes.readBigUInt64LE(16)) * pageSize,
  };
}

export function readCommitCharge(): { commitBytes: number; commitLimitBytes: number } | null {
  const getInfo = kernel32.fn('bool __stdcall K32GetPerformanceInfo(_Out_ void *info, uint32_t cb)');
  const buf = Buffer.alloc(PERFORMANCE_INFORMATION_SIZE);
  buf.writeUInt32LE(PERFORMANCE_INFORMATION_SIZE, 0);
  if (!getInfo(buf, PERFORMANCE_INFORMATION_SIZE)) return null;
  return parsePerformanceInformation(buf);
}

/** IsProcessInJob(h, NULL): in any job. Needs PROCESS_QUERY_LIMITED_INFORMATION. Null when the call fails. */
export function isProcessInJob(h: WinHandle): boolean | null {
  const inJob = kernel32.fn('bool __stdcall IsProcessInJob(HANDLE process, HANDLE job, _Out_ int *result)');
  const result = [0];
  if (!inJob(h.raw, null, result)) return null;
  return result[0] !== 0;
}

/**
 * Whether a debugger holds the process's debug port (what CheckRemoteDebuggerPresent reads). Needs
 * PROCESS_QUERY_INFORMATION; null when the query fails (access, or a Wine that does not implement the class).
 */
export function hasDebugPort(h: WinHandle): boolean | null {
  const buf = Buffer.alloc(8);
  const { status } = queryInformationProcess(h, PROCESS_DEBUG_PORT, buf);
  if (status !== 0) return null;
  return buf.readBigUInt64LE(0) !== 0n;
}
