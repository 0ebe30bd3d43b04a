import { describe, expect, it } from 'vitest';
import { formatDurationMs, formatFileBytes, progressPercent } from './dump-format';

describe('dump formatting', () => {
  it('formats sizes in binary units', () => {
    expect(formatFileBytes(512)).toBe('512 B');
    expect(formatFileBytes(4.2 * 1024 ** 2)).toBe('4.2 MiB');
    expect(formatFileBytes(3 * 1024 ** 3)).toBe('3.0 GiB');
  });
  it('formats durations', () => {
    expect(formatDurationMs(89.4)).toBe('89 ms');
    expect(formatDurationMs(2500)).toBe('2.5 s');
    expect(formatDurationMs(125_000)).toBe('2 min 05 s');
  });
  it('gives a percentage only when the total is known, capped at 100', () => {
    expect(progressPercent(50, 200)).toBe(25);
    expect(progressPercent(50, null)).toBeNull();
    expect(progressPercent(500, 200)).toBe(100);
  });
});
