/*
 * The Windows detail readers' one way to reach a process: by its (pid, start time) identity, checked when it is
 * opened and again after the read (a process that exited mid-read answers 'process-gone', never half its data;
 * while we hold its handle the pid cannot be reused), with every refusal as a DetailFailure (detail-source.ts) whose
 * code and sentence the tab shows. Runs in the main process / CLI, on Windows and under Wine.
 */
import { ProcessActionError, type ProcessTarget } from '../../platform/backend';
import { getExitCodeProcess } from '../../platform/win32/ffi/kernel32';
import type { WinHandle } from '../../platform/win32/ffi/win-types';
import { openVerified, readWin32StartTimeMs } from '../../platform/win32/win32-process-actions';
import { DetailFailure } from '../detail-source';

const STILL_ACTIVE = 259;

/** Throws 'process-gone' or 'pid-recycled' unless the pid still names the process the caller saw. */
export function checkIdentity(target: ProcessTarget): void {
  const now = readWin32StartTimeMs(target.pid);
  if (now === null) throw new DetailFailure('process-gone', `Process ${target.pid} has exited.`);
  if (now !== target.startTimeMs) throw new DetailFailure('pid-recycled', `Process ${target.pid} is no longer the one you selected: its id was reused.`);
}

/**
 * Opens the target for `access` (identity checked), runs `use`, checks the process is still running, closes.
 * Access denied says what would help: "needs elevation".
 */
export async function withProcess<T>(target: ProcessTarget, access: number, use: (h: WinHandle) => T | Promise<T>): Promise<T> {
  let h: WinHandle;
  try {
    h = openVerified(target, access);
  } catch (err) {
    if (err instanceof ProcessActionError && err.code === 'access-denied') {
      throw new DetailFailure('access-denied', `Access denied — needs elevation (process ${target.pid}).`);
    }
    throw err;
  }
  try {
    const value = await use(h);
    if (getExitCodeProcess(h) !== STILL_ACTIVE) throw new DetailFailure('process-gone', `Process ${target.pid} exited while it was read.`);
    return value;
  } finally {
    h.close();
  }
}

/** For readers that need no handle (the system lists): identity before and after. */
export async function withIdentity<T>(target: ProcessTarget, read: () => T | Promise<T>): Promise<T> {
  checkIdentity(target);
  const value = await read();
  checkIdentity(target);
  return value;
}
