/*
 * The checks made before a Linux dump touches the target: is it the process the request names (pid + start time),
 * is another debugger attached, and — when the kernel refuses us — why, in words a person can act on. Reads only
 * /proc (proc(5): status Uid/TracerPid/CapEff, yama ptrace_scope); never stops or signals anything.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { readProcessStartTimeMs } from '../../platform/linux/proc-start-time';
import { linuxProcessName } from '../../platform/linux/process-name';
import { DumpError } from '../dump-writer';

/** CAP_SYS_PTRACE, linux/capability.h. */
const CAP_SYS_PTRACE = 19n;

export function checkIdentitySync(pid: number, startTimeMs: number): void {
  const actual = readProcessStartTimeMs(pid);
  if (actual === null) {
    throw new DumpError('process-gone', `Process ${pid} has exited; there is nothing to dump. Refresh the list and pick a running process.`);
  }
  // Both sides come from readProcessStartTimeMs (whole clock ticks, deterministic), so they match exactly.
  if (actual !== startTimeMs) {
    throw new DumpError(
      'pid-recycled',
      `Process ${pid} is not the process you chose: that one exited and its pid now belongs to a newer process. Refresh the list and pick it again.`,
    );
  }
}

function readStatusField(pid: number | 'self', field: string): string | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return null;
  }
  const m = new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(text);
  return m ? m[1]!.trim() : null;
}

/** The name the process list shows (linuxProcessName: the image's, where the program renamed its main thread). */
export function processName(pid: number): string {
  let comm: string;
  try {
    comm = readFileSync(`/proc/${pid}/comm`, 'utf8').replace(/\n$/, '');
  } catch {
    return `pid ${pid}`;
  }
  if (!comm) return `pid ${pid}`;
  const read = (get: () => string): string | null => {
    try {
      return get();
    } catch {
      return null; // another user's process as non-root, a kernel thread or a zombie: comm is what there is
    }
  };
  const exePath = read(() => readlinkSync(`/proc/${pid}/exe`));
  const argv0 = read(() => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]!);
  return linuxProcessName(comm, exePath, argv0);
}

/** Throws already-traced when a debugger other than us holds the process. */
export function checkNotTracedSync(pid: number): void {
  const tracer = Number(readStatusField(pid, 'TracerPid') ?? '0');
  if (tracer > 0 && tracer !== process.pid) {
    throw new DumpError(
      'already-traced',
      `Process ${pid} is already being debugged by ${processName(tracer)} (pid ${tracer}). Detach or close that debugger, then dump again.`,
    );
  }
}

function hasCapSysPtrace(): boolean {
  const hex = readStatusField('self', 'CapEff');
  if (!hex) return false;
  return ((BigInt(`0x${hex}`) >> CAP_SYS_PTRACE) & 1n) === 1n;
}

function ptraceScope(): number | null {
  try {
    return Number(readFileSync('/proc/sys/kernel/yama/ptrace_scope', 'latin1').trim());
  } catch {
    return null;
  }
}

/**
 * The kernel said EPERM/EACCES to ptrace or to /proc/PID/{smaps,mem}. Name the reason: a tracer that arrived
 * meanwhile, another user, Yama's ptrace_scope, or a process that needs CAP_SYS_PTRACE (setuid, non-dumpable).
 */
export function permissionError(pid: number): DumpError {
  checkNotTracedSync(pid);
  const ourUid = process.getuid?.() ?? -1;
  const uids = (readStatusField(pid, 'Uid') ?? '').split(/\s+/).map(Number);
  const capable = hasCapSysPtrace();
  const scope = ptraceScope();
  if (scope === 3) {
    return new DumpError(
      'needs-elevation',
      `The kernel forbids attaching to any process (kernel.yama.ptrace_scope = 3, fixed until reboot). Set it lower at boot to make dumps.`,
    );
  }
  if (!capable && uids.length > 0 && uids.some((u) => u !== ourUid)) {
    return new DumpError(
      'needs-elevation',
      `Process ${pid} belongs to another user (uid ${uids[0]}); you are uid ${ourUid}. Dump it elevated (sudo, or with CAP_SYS_PTRACE).`,
    );
  }
  if (!capable && scope !== null && scope > 0) {
    return new DumpError(
      'needs-elevation',
      `kernel.yama.ptrace_scope = ${scope} only lets a process debug its own children. Dump it elevated (CAP_SYS_PTRACE), or set the sysctl to 0.`,
    );
  }
  return new DumpError(
    'needs-elevation',
    `The kernel refused to let Procscope read process ${pid} (it may be setuid or non-dumpable, which needs CAP_SYS_PTRACE). Dump it elevated.`,
  );
}
