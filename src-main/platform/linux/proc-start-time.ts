/*
 * A process's start time in ms since the epoch, from /proc: boot time (btime in /proc/stat, whole seconds) plus
 * starttime (field 22 of /proc/PID/stat, in clock ticks since boot; see proc(5) and fs/proc/array.c). Both are
 * fixed for the life of a process, so the result is a stable identity, used to refuse recycled pids.
 */
import { readFileSync } from 'node:fs';
import { clockTicksPerSecond } from './system-constants';

let bootTimeMs: number | null = null;

export function bootTimeMsSync(): number {
  if (bootTimeMs === null) {
    const m = /^btime\s+(\d+)$/m.exec(readFileSync('/proc/stat', 'latin1'));
    if (!m) throw new Error('/proc/stat has no btime line');
    bootTimeMs = Number(m[1]) * 1000;
  }
  return bootTimeMs;
}

/** Clock ticks since boot → ms since epoch (integer, stable across reads). */
export function startTicksToEpochMs(startTicks: number): number {
  return bootTimeMsSync() + Math.round((startTicks * 1000) / clockTicksPerSecond());
}

/**
 * Field 22 of a /proc/PID/stat line. The comm field (2) is in parentheses and may itself contain spaces and ')',
 * so fields are counted after the LAST ')'.
 */
export function parseStartTicks(statLine: string): number | null {
  const close = statLine.lastIndexOf(')');
  if (close < 0) return null;
  const fields = statLine.slice(close + 2).split(' ');
  // fields[0] is field 3 (state); starttime is field 22 → index 19.
  const v = fields[19];
  if (v === undefined || !/^\d+$/.test(v)) return null;
  return Number(v);
}

/** Null when the process is gone (or /proc is unreadable for it). */
export function readProcessStartTimeMs(pid: number): number | null {
  let line: string;
  try {
    line = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  const ticks = parseStartTicks(line);
  return ticks === null ? null : startTicksToEpochMs(ticks);
}
