/*
 * What the Linux capture engine reads about a traced process from /proc (proc(5): comm, exe, cmdline, stat) and how
 * it finds a process's existing descendants. Reads only; a process that vanished reads as empty fields or null.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { parseProcStat, type ProcStat } from '../../platform/linux/proc-stat';
import { readProcessStartTimeMs } from '../../platform/linux/proc-start-time';

export interface ProcInfo {
  name: string;
  exeName: string;
  cmdline: string;
  ppid: number;
  startTimeMs: number;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return '';
  }
}

/** /proc/PID/stat parsed by the backend's own parser; null when the process has gone or the line is not a stat line. */
function readStat(pid: number | string): ProcStat | null {
  try {
    const buf = readFileSync(`/proc/${pid}/stat`);
    return parseProcStat(buf, buf.length);
  } catch {
    return null;
  }
}

export function readProcInfoSync(pid: number): ProcInfo {
  let exeName: string;
  try {
    exeName = basename(readlinkSync(`/proc/${pid}/exe`)).replace(/ \(deleted\)$/, '');
  } catch {
    exeName = '';
  }
  return {
    name: readText(`/proc/${pid}/comm`).trim() || exeName || `pid ${pid}`,
    exeName,
    cmdline: readText(`/proc/${pid}/cmdline`).replace(/\0+$/, '').split('\0').join(' '),
    ppid: readStat(pid)?.ppid ?? 0,
    startTimeMs: readProcessStartTimeMs(pid) ?? Date.now(),
  };
}

/** Every live process's parent, from one pass over /proc. */
export function readParentMapSync(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = readStat(entry)?.ppid ?? 0;
    if (ppid <= 0) continue;
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  return children;
}

/** Descendants of `pid` (not `pid` itself), parents before children. */
export function descendantsOfSync(pid: number): number[] {
  const children = readParentMapSync();
  const out: number[] = [];
  const queue = [...(children.get(pid) ?? [])];
  while (queue.length > 0) {
    const p = queue.shift()!;
    out.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return out;
}

const CLOCK_TICKS_PER_S = 100; // USER_HZ: /proc's clock ticks are 1/100 s on every Linux ABI (proc(5), "utime")

/**
 * What the sampled triggers read of a process: CPU time used so far (utime + stime, fields 14-15 of /proc/PID/stat,
 * every thread) and memory as ProcDump for Linux counts it (resident + swapped: VmRSS + VmSwap of /proc/PID/status).
 * Null when the process has gone.
 */
export function readUsageSync(pid: number): { cpuMs: number; memoryBytes: number } | null {
  const stat = readStat(pid);
  if (!stat) return null;
  const status = readText(`/proc/${pid}/status`);
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s*(\\d+) kB$`, 'm').exec(status)?.[1] ?? 0);
  return { cpuMs: ((stat.utimeTicks + stat.stimeTicks) * 1000) / CLOCK_TICKS_PER_S, memoryBytes: (kb('VmRSS') + kb('VmSwap')) * 1024 };
}
