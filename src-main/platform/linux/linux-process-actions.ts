/*
 * Kill, suspend and resume for the Linux backend, by signal. Each action opens a pidfd first and only then
 * compares the start time, so the signal goes to the very process whose identity was checked — a pid recycled in
 * between can never receive it. Main process only; never signals a process whose identity does not match.
 */
import { closeSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { constants } from 'node:os';
import type { ProcessState } from '../../../src-shared/model/process';
import { ProcessActionError, type ProcessTarget } from '../backend';
import { pidfdOpenSync, pidfdSendSignalSync } from './ffi/libc';
import { parseProcStat, processStateOf } from './proc-stat';

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

/** Where a suspend has taken effect, or never will: stopped (T), stopped under a tracer (t), or gone. */
const SETTLED_STATES: ReadonlySet<ProcessState> = new Set(['stopped', 'traced', 'zombie', 'dead']);

/** How long suspend() waits for the SIGSTOP to take effect before it answers anyway. */
export const SUSPEND_SETTLE_MS = 1000;

/**
 * Resolves once the process is in a stop (state T, or t under a tracer), has gone, or `timeoutMs` passed. A SIGSTOP
 * takes effect only when the kernel next runs the process, which on a loaded machine can be after kill(2) returned
 * and after the next snapshot: without this wait Suspend answered while the row still said running (a test on CI
 * read 'running' right after it).
 */
export async function waitUntilStopped(pid: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    let stat: Buffer;
    try {
      stat = readFileSync(`/proc/${pid}/stat`);
    } catch {
      return;
    }
    const state = processStateOf(parseProcStat(stat, stat.length)?.stateCode ?? '');
    if (SETTLED_STATES.has(state) || performance.now() >= deadline) return;
    await sleep(2);
  }
}
