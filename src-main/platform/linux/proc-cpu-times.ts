/*
 * Per-CPU times from /proc/stat's cpuN lines (proc(5); show_stat() in fs/proc/stat.c), for the toolbar's per-core
 * CPU graph. Read once per poll (one small file). Busy = user + nice + system + irq + softirq + steal; idle and
 * iowait are not busy. guest and guest_nice are already inside user and nice, so they are not added again.
 */
import type { CpuTimes } from '../backend';

export function parseProcStatCpuTimes(text: string, clockTicksPerSecond: number): CpuTimes[] | null {
  const out: CpuTimes[] = [];
  const msPerTick = 1000 / clockTicksPerSecond;
  for (const line of text.split('\n')) {
    // 'cpu ' (the sum) is skipped; a CPU that is offline has no line, so the index is the line's order.
    if (!line.startsWith('cpu') || line.charCodeAt(3) < 0x30 || line.charCodeAt(3) > 0x39) continue;
    const f = line.split(' ').slice(1).map(Number);
    if (f.length < 8 || f.slice(0, 8).some((v) => !Number.isFinite(v))) return null;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = f as [number, number, number, number, number, number, number, number];
    const busy = user + nice + system + irq + softirq + steal;
    out.push({ busyMs: busy * msPerTick, totalMs: (busy + idle + iowait) * msPerTick });
  }
  return out.length > 0 ? out : null;
}
