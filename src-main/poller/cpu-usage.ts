/*
 * CPU-usage maths for the poller, pure: a process's CPU % over an interval from two cpuTimeMs samples, scaled so
 * that 100 % means every core busy (Process Explorer's convention, unlike top's 100 % per core); per-core
 * percentages and I/O rates the same way, from two cumulative counts over an interval.
 */
import type { CpuTimes } from '../platform/backend';

/**
 * Null when there is no earlier sample (first sight of the process) or no time passed. Clamped to 0..100: CPU time
 * comes in clock ticks (10 ms), so a short interval can overshoot, and a counter never runs backwards.
 */
export function cpuPercentOf(
  previousCpuTimeMs: number | null | undefined,
  cpuTimeMs: number | null,
  elapsedMs: number,
  cpuCount: number,
): number | null {
  if (previousCpuTimeMs === null || previousCpuTimeMs === undefined || cpuTimeMs === null) return null;
  if (!(elapsedMs > 0) || !(cpuCount > 0)) return null;
  const percent = ((cpuTimeMs - previousCpuTimeMs) / (elapsedMs * cpuCount)) * 100;
  return roundPercent(Math.min(100, Math.max(0, percent)));
}

/** Two decimals: jitter below 0.01 % is not worth a delta update. */
export function roundPercent(percent: number): number {
  return Math.round(percent * 100) / 100;
}

/** The machine's CPU % as the sum over processes (capped at 100); null until one interval has been measured. */
export function systemCpuPercentOf(rows: readonly { cpuPercent: number | null }[]): number | null {
  let sum = 0;
  let any = false;
  for (const { cpuPercent: p } of rows) {
    if (p === null) continue;
    any = true;
    sum += p;
  }
  return any ? roundPercent(Math.min(100, sum)) : null;
}

/**
 * Bytes per second between two cumulative counts, rounded to whole bytes; null without an earlier count or time.
 * A count that went backwards (a counter reset) gives null rather than a negative rate.
 */
export function ratePerSecOf(previous: number | null | undefined, current: number | null, elapsedMs: number): number | null {
  if (previous === null || previous === undefined || current === null || !(elapsedMs > 0)) return null;
  if (current < previous) return null;
  return Math.round(((current - previous) * 1000) / elapsedMs);
}

/** Each core's busy share between two samples of cumulative times (same order, same count), or null. */
export function perCpuPercentOf(previous: readonly CpuTimes[] | null, current: readonly CpuTimes[] | null | undefined): number[] | null {
  if (!previous || !current || previous.length !== current.length || current.length === 0) return null;
  const out = new Array<number>(current.length);
  for (let i = 0; i < current.length; i++) {
    const total = current[i]!.totalMs - previous[i]!.totalMs;
    const busy = current[i]!.busyMs - previous[i]!.busyMs;
    out[i] = total > 0 ? roundPercent(Math.min(100, Math.max(0, (busy / total) * 100))) : 0;
  }
  return out;
}
