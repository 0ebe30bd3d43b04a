/*
 * Kill, suspend and resume on Windows (TerminateProcess, NtSuspendProcess, NtResumeProcess), each after checking
 * that the pid still belongs to the process the caller saw (its creation time). Runs in the main process / CLI;
 * it never acts on a pid alone.
 */
import { ProcessActionError, type ProcessTarget } from '../backend';
import { getLastError, getProcessCreateTime100ns, openProcess, ProcessAccess, terminateProcess } from './ffi/kernel32';
import { resumeProcess, suspendProcess } from './ffi/ntdll';
import { querySystemProcessInformation } from './ffi/ntdll';
import { parseSystemProcessInformation } from './ffi/system-process-parse';
import { fileTimeToUnixMs } from './ffi/win-time';
import { WinError, type WinHandle } from './ffi/win-types';

/** Creation time of a live pid in ms, through a limited handle, else from the system process list. */
export function readWin32StartTimeMs(pid: number): number | null {
  const h = openProcess(pid, ProcessAccess.QUERY_LIMITED_INFORMATION);
  if (h) {
    try {
      const created = getProcessCreateTime100ns(h);
      if (created !== null) return created === 0n ? 0 : fileTimeToUnixMs(created);
    } finally {
      h.close();
    }
  }
  const { bytes, baseAddress } = querySystemProcessInformation();
  const rec = parseSystemProcessInformation(bytes, baseAddress).find((r) => r.pid === pid);
  return rec ? rec.createTimeMs : null;
}

/** Opens the target for `access` after checking its identity; throws ProcessActionError with a plain sentence. */
export function openVerified(target: ProcessTarget, access: number): WinHandle {
  if (!Number.isSafeInteger(target.pid) || target.pid <= 0 || target.pid > 0xffffffff) {
    throw new ProcessActionError('failed', `${target.pid} is not a process id.`);
  }
  if (target.pid === 4) throw new ProcessActionError('access-denied', 'The System process cannot be changed.');
  const h = openProcess(target.pid, access | ProcessAccess.QUERY_LIMITED_INFORMATION);
  if (!h) {
    const error = getLastError();
    if (error === WinError.INVALID_PARAMETER) throw new ProcessActionError('process-gone', `Process ${target.pid} has exited.`);
    if (error === WinError.ACCESS_DENIED) {
      throw new ProcessActionError('access-denied', `Access to process ${target.pid} was denied: run Procscope as administrator.`);
    }
    throw new ProcessActionError('failed', `Could not open process ${target.pid} (Windows error ${error}).`);
  }
  const created = getProcessCreateTime100ns(h);
  const startTimeMs = created === null ? null : created === 0n ? 0 : fileTimeToUnixMs(created);
  if (startTimeMs !== target.startTimeMs) {
    h.close();
    throw new ProcessActionError('pid-recycled', `Process ${target.pid} is no longer the one you selected: its id was reused.`);
  }
  return h;
}

function ntCheck(status: number, what: string, pid: number): void {
  if (status === 0) return;
  if (status === 0xc0000022) throw new ProcessActionError('access-denied', `Access denied while trying to ${what} process ${pid}.`);
  throw new ProcessActionError('failed', `Could not ${what} process ${pid} (NTSTATUS 0x${status.toString(16)}).`);
}

/** Runs `use` with the target opened for `access` (identity checked), and closes the handle whatever happens. */
function withVerified(target: ProcessTarget, access: number, use: (h: WinHandle) => void): void {
  const h = openVerified(target, access);
  try {
    use(h);
  } finally {
    h.close();
  }
}

export function terminateWin32(target: ProcessTarget): void {
  withVerified(target, ProcessAccess.TERMINATE, (h) => {
    if (!terminateProcess(h, 1)) {
      throw new ProcessActionError('failed', `Could not end process ${target.pid} (Windows error ${getLastError()}).`);
    }
  });
}

export function suspendWin32(target: ProcessTarget): void {
  withVerified(target, ProcessAccess.SUSPEND_RESUME, (h) => ntCheck(suspendProcess(h), 'suspend', target.pid));
}

export function resumeWin32(target: ProcessTarget): void {
  withVerified(target, ProcessAccess.SUSPEND_RESUME, (h) => ntCheck(resumeProcess(h), 'resume', target.pid));
}
