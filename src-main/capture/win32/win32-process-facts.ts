/*
 * What the Windows capture engine reads about a held process on the main thread, through the ffi layer's safe
 * wrappers: image name, command line, parent, start time, whether its memory is still readable, its exit code.
 * Each call opens its own short-lived handle; the worker's handles stay in the worker. Nothing here blocks long.
 */
import { win32 } from 'node:path';
import {
  getExitCodeProcess, getLastError, getProcessCreateTime100ns, openProcess, ProcessAccess, queryFullProcessImageName,
  readProcessMemory, WAIT_OBJECT_0, waitForSingleObject,
} from '../../platform/win32/ffi/kernel32';
import { queryInformationProcess } from '../../platform/win32/ffi/ntdll';
import { readCommandLine } from '../../platform/win32/ffi/process-query';
import { fileTimeToUnixMs } from '../../platform/win32/ffi/win-time';
import { WinError, type WinHandle } from '../../platform/win32/ffi/win-types';
import { countListedModules } from './loader-list';

export interface HeldProcessFacts {
  name: string;
  cmdline: string;
  ppid: number;
  /** As the dump writer reads it (GetProcessTimes), so its identity check agrees; null when unreadable. */
  startTimeMs: number | null;
  /**
   * Whether the loader's module list already holds the image and ntdll (two entries of PEB.Ldr's InLoadOrderModuleList).
   * A process held before that (Wine: nearly always; Windows: when the job message won the race) has not reached the
   * loader's breakpoint yet and breaks in there once its static DLLs are loaded; one held later may never break in.
   * PEB.Ldr being set is not enough: Wine sets it before it lists any module, and a dump taken then lists none.
   */
  loaderListed: boolean;
}

function withProcess<T>(pid: number, access: number, use: (h: WinHandle) => T, fallback: T): T {
  const h = openProcess(pid, access);
  if (!h) return fallback;
  try {
    return use(h);
  } finally {
    h.close();
  }
}

const QUERY_READ = ProcessAccess.QUERY_INFORMATION | ProcessAccess.VM_READ;

/** The first token of a command line, unquoted, as a basename: the name when QueryFullProcessImageNameW fails. */
export function imageNameFromCommandLine(cmdline: string): string {
  const m = /^\s*(?:"([^"]*)"|(\S+))/.exec(cmdline);
  return m ? win32.basename(m[1] ?? m[2] ?? '') : '';
}

export function readHeldProcessFacts(pid: number): HeldProcessFacts | null {
  return withProcess(pid, QUERY_READ, (h) => {
    const cmdline = readCommandLine(h, false) ?? '';
    const image = queryFullProcessImageName(h);
    const name = image ? win32.basename(image) : imageNameFromCommandLine(cmdline) || `pid${pid}`;
    const pbi = Buffer.alloc(48);
    // PROCESS_BASIC_INFORMATION: InheritedFromUniqueProcessId @40.
    const pbiOk = queryInformationProcess(h, 0, pbi).status === 0;
    const ppid = pbiOk ? Number(pbi.readBigUInt64LE(40)) : 0;
    const peb = pbiOk ? pbi.readBigUInt64LE(8) : 0n;
    const ldr = peb === 0n ? null : readProcessMemory(h, peb + 0x18n, 8);
    const loaderListed = ldr !== null && countListedModules((a, n) => readProcessMemory(h, a, n), ldr.readBigUInt64LE(0), 2) >= 2;
    const created = getProcessCreateTime100ns(h);
    const startTimeMs = created === null ? null : created === 0n ? 0 : fileTimeToUnixMs(created);
    return { name, cmdline, ppid, startTimeMs, loaderListed };
  }, null);
}

/** Whether the process's image is still readable: false at EXIT_PROCESS under Wine 8, which frees it first. */
export function isMemoryReadable(pid: number, imageBase: bigint): boolean {
  if (imageBase === 0n) return false;
  return withProcess(pid, QUERY_READ, (h) => readProcessMemory(h, imageBase, 2)?.toString('latin1') === 'MZ', false);
}

export function readExitCode(pid: number): number | null {
  return withProcess(pid, ProcessAccess.QUERY_LIMITED_INFORMATION, (h) => getExitCodeProcess(h), null);
}

/**
 * The start time of a live process as GetProcessTimes gives it, for the watch's identity check. A process that has
 * exited but is still held open by someone (its parent) opens fine: its handle being signalled says it is gone.
 */
export function readStartTimeMs(pid: number): { startTimeMs: number | null; error: 'gone' | 'denied' | null } {
  const h = openProcess(pid, ProcessAccess.QUERY_LIMITED_INFORMATION | ProcessAccess.SYNCHRONIZE);
  if (!h) return { startTimeMs: null, error: getLastError() === WinError.ACCESS_DENIED ? 'denied' : 'gone' };
  try {
    if (waitForSingleObject(h, 0) === WAIT_OBJECT_0) return { startTimeMs: null, error: 'gone' };
    const created = getProcessCreateTime100ns(h);
    if (created === null) return { startTimeMs: null, error: 'denied' };
    return { startTimeMs: created === 0n ? 0 : fileTimeToUnixMs(created), error: null };
  } finally {
    h.close();
  }
}
