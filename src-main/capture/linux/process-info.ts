/*
 * What the Linux capture engine reads about a traced process from /proc (proc(5): comm, exe, cmdline, stat) and how
 * it finds a process's existing descendants. Reads only; a process that vanished reads as empty fields or null.
 */
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { parseProcStat, type ProcStat } from '../../platform/linux/proc-stat';
import { startTicksToEpochMs } from '../../platform/linux/proc-start-time';

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

/**
 * One small /proc file into a reused buffer: open, read until EOF, close (readFileSync adds an fstat and a copy).
 * The tracer reads these while a tracee may be stopped, so the fewer syscalls the better. Null when unreadable.
 */
let fileBuf = Buffer.alloc(4096);
function readProcFileSync(path: string): number | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    let length = 0;
    for (;;) {
      if (length === fileBuf.length) fileBuf = Buffer.concat([fileBuf, Buffer.alloc(fileBuf.length)]);
      const n = readSync(fd, fileBuf, length, fileBuf.length - length, null);
      if (n <= 0) return length;
      length += n;
    }
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** What one read of /proc/PID/stat tells: comm (as /proc/PID/comm reads it, latin1), ppid and start time. */
export interface ProcStatInfo {
  comm: string;
  ppid: number;
  startTimeMs: number;
}

export function readStatInfoSync(pid: number): ProcStatInfo | null {
  const length = readProcFileSync(`/proc/${pid}/stat`);
  if (length === null) return null;
  const stat = parseProcStat(fileBuf, length);
  if (!stat) return null;
  const open = fileBuf.indexOf(0x28); // comm sits between the first '(' and the last ')', unescaped
  const close = fileBuf.lastIndexOf(0x29, length - 1);
  return { comm: fileBuf.toString('latin1', open + 1, close).trim(), ppid: stat.ppid, startTimeMs: startTicksToEpochMs(stat.startTicks) };
}

function readExeNameSync(pid: number): string {
  try {
    return basename(readlinkSync(`/proc/${pid}/exe`)).replace(/ \(deleted\)$/, '');
  } catch {
    return '';
  }
}

function readCmdlineSync(pid: number): string {
  const length = readProcFileSync(`/proc/${pid}/cmdline`);
  return length === null ? '' : fileBuf.toString('latin1', 0, length).replace(/\0+$/, '').split('\0').join(' ');
}

/** What a process's image tells that its exit takes away (a zombie has no exe link and an empty cmdline). */
export interface ProcImage {
  exeName: string;
  cmdline: string;
}

/** The exe link's name and the command line, read now: empty when the process has gone or exited meanwhile. */
export function readProcImageSync(pid: number): ProcImage {
  return { exeName: readExeNameSync(pid), cmdline: readCmdlineSync(pid) };
}

/**
 * Name, exe, command line, parent and start time of a process: one read each of stat (comm, ppid, start time),
 * the exe link and cmdline; `image` when they were read earlier (readProcImageSync). Null when the process has gone
 * (its stat is unreadable; a zombie's still reads, until it is reaped).
 */
export function readProcInfoIfLiveSync(pid: number, image?: ProcImage): ProcInfo | null {
  const stat = readStatInfoSync(pid);
  if (!stat) return null;
  const { exeName, cmdline } = image ?? readProcImageSync(pid);
  return { name: stat.comm || exeName || `pid ${pid}`, exeName, cmdline, ppid: stat.ppid, startTimeMs: stat.startTimeMs };
}

/** As readProcInfoIfLiveSync; a process that has gone reads as empty fields, ppid 0 and start time now. */
export function readProcInfoSync(pid: number): ProcInfo {
  return readProcInfoIfLiveSync(pid) ?? { name: `pid ${pid}`, exeName: '', cmdline: '', ppid: 0, startTimeMs: Date.now() };
}

/** A process's parent from /proc/PID/stat alone; 0 when it has gone. */
export function readPpidSync(pid: number): number {
  return readStat(pid)?.ppid ?? 0;
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
