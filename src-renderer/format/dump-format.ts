/* The jobs panel's numbers: file sizes in binary units with one decimal, durations in ms below a second. */

const ONE_DECIMAL = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const UNITS = ['KiB', 'MiB', 'GiB', 'TiB'] as const;

export function formatFileBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.max(0, Math.round(bytes))} B`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${ONE_DECIMAL.format(value)} ${UNITS[unit]}`;
}

export function formatDurationMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** 0–100 when the final size is known; null means the bar is indeterminate. */
export function progressPercent(bytesWritten: number, estimatedTotalBytes: number | null): number | null {
  if (estimatedTotalBytes === null || estimatedTotalBytes <= 0) return null;
  return Math.min(100, Math.round((100 * bytesWritten) / estimatedTotalBytes));
}
