/*
 * CPU-usage maths for the poller, pure: a process's CPU % over an interval from two cpuTimeMs samples, scaled so
 * that 100 % means every core busy (Process Explorer's convention, unlike top's 100 % per core).
 */


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
