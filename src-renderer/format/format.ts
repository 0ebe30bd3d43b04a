/*
 * Column formatting as Process Explorer shows values: sizes in K with thousands separators, always (one unit per
 * column, so a column's figures compare at a glance: issue 14 found "999,999 K" above "2,048.0 MB"), rates in
 * K/s, CPU with two decimals, blank for zero and "< 0.01" for a trace. Unknown values (null) are blank, never 0,
 * so "could not read" never looks like "nothing".
 */

const THOUSANDS = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const TWO_DECIMALS = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function formatBytesPe(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes)) return '';
  return `${THOUSANDS.format(Math.round(bytes / 1024))} K`;
}

/** A rate in K/s like the sizes; blank for 0 (as CPU: an idle process's I/O columns stay quiet), "< 1 K/s" for a trickle. */
export function formatBytesPerSecPe(bytesPerSec: number | null): string {
  if (bytesPerSec === null || !Number.isFinite(bytesPerSec) || bytesPerSec <= 0) return '';
  if (bytesPerSec < 512) return '< 1 K/s';
  return `${THOUSANDS.format(Math.round(bytesPerSec / 1024))} K/s`;
}

export function formatCpuPercent(percent: number | null): string {
  if (percent === null || !Number.isFinite(percent) || percent <= 0) return '';
  if (percent < 0.01) return '< 0.01';
  return TWO_DECIMALS.format(percent);
}

export function formatCount(count: number | null): string {
  return count === null ? '' : THOUSANDS.format(count);
}

/** CPU time as PE's "0:01:02.345" (h:mm:ss.mmm). */
export function formatCpuTime(ms: number | null): string {
  if (ms === null) return '';
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const rest = Math.floor(ms % 1000);
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(rest).padStart(3, '0')}`;
}

export function formatStartTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function formatIntervalMs(ms: number): string {
  if (ms === 0) return 'Paused';
  return `${ms / 1000} s`;
}
