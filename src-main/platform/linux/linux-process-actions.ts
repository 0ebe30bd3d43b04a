/*
 * Kill, suspend and resume for the Linux backend, by signal. Each action opens a pidfd first and only then
 * compares the start time, so the signal goes to the very process whose identity was checked — a pid recycled in
 * between can never receive it. Main process only; never signals a process whose identity does not match.
 */
import { closeSync } from 'node:fs';
import { constants } from 'node:os';
import { ProcessActionError, type ProcessTarget } from '../backend';
import { pidfdOpenSync, pidfdSendSignalSync } from './ffi/libc';

const { ESRCH, EPERM, ENOSYS } = constants.errno;

export type ProcessAction = 'terminate' | 'suspend' | 'resume';

/**
 * Process Explorer's Kill Process is immediate (TerminateProcess), so terminate is SIGKILL, not SIGTERM. Suspend
 * is SIGSTOP (cannot be caught) and resume SIGCONT. Numbers come from os.constants: they differ on some CPUs.
 */
export const SIGNAL_OF_ACTION: Record<ProcessAction, number> = {
  terminate: constants.signals.SIGKILL,
  suspend: constants.signals.SIGSTOP,
  resume: constants.signals.SIGCONT,
};

export function validateTarget(target: ProcessTarget): void {
  if (!Number.isSafeInteger(target?.pid) || target.pid <= 0) {
    throw new ProcessActionError('failed', `Invalid pid ${String(target?.pid)}: expected a positive integer.`);
  }
  if (!Number.isSafeInteger(target.startTimeMs) || target.startTimeMs < 0) {
    throw new ProcessActionError('failed', `Invalid start time ${String(target.startTimeMs)} for pid ${target.pid}.`);
  }
}

function checkIdentity(target: ProcessTarget, readStartTimeMs: (pid: number) => number | null): void {
  const startTimeMs = readStartTimeMs(target.pid);
  if (startTimeMs === null) throw new ProcessActionError('process-gone', `Process ${target.pid} has exited.`);
  if (startTimeMs !== target.startTimeMs) {
    throw new ProcessActionError(
      'pid-recycled',
      `Process ${target.pid} has exited; the pid now belongs to another process (started ${new Date(startTimeMs).toISOString()}).`,
    );
  }
}

function failure(errno: number, action: ProcessAction, pid: number): ProcessActionError {
  if (errno === ESRCH) return new ProcessActionError('process-gone', `Process ${pid} has exited.`);
  if (errno === EPERM) return new ProcessActionError('access-denied', `Not allowed to ${action} process ${pid}: it belongs to another user.`);
  return new ProcessActionError('failed', `Could not ${action} process ${pid} (errno ${errno}).`);
}

export function signalProcessSync(
  target: ProcessTarget,
  action: ProcessAction,
  readStartTimeMs: (pid: number) => number | null,
): void {
  validateTarget(target);
  const signal = SIGNAL_OF_ACTION[action];
  const pidfd = pidfdOpenSync(target.pid);
  if (pidfd === -ENOSYS) {
    // Kernels before 5.3: check, then kill(2). The window between the two is microseconds wide.
    checkIdentity(target, readStartTimeMs);
    try {
      process.kill(target.pid, signal);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw failure(code === 'ESRCH' ? ESRCH : code === 'EPERM' ? EPERM : -1, action, target.pid);
    }
    return;
  }
  if (pidfd < 0) throw failure(-pidfd, action, target.pid);
  try {
    checkIdentity(target, readStartTimeMs);
    const rc = pidfdSendSignalSync(pidfd, signal);
    if (rc < 0) throw failure(-rc, action, target.pid);
  } finally {
    closeSync(pidfd);
  }
}
