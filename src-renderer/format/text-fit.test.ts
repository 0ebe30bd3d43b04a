import { describe, expect, it } from 'vitest';
import { CELL_PADDING_PX, fitsUnclipped, maxTextWidthPx } from './text-fit';

describe('maxTextWidthPx', () => {
  it('bounds digits and punctuation tighter than letters', () => {
    expect(maxTextWidthPx('12,345 K')).toBe(7 * 8 + 12);
    expect(maxTextWidthPx('0.25')).toBe(32);
    expect(maxTextWidthPx('WWW')).toBe(36);
  });
  it('counts wide scripts as two letters', () => {
    expect(maxTextWidthPx('進程')).toBe(48);
  });
});

describe('fitsUnclipped', () => {
  it('lets the default columns show typical numbers without a clip', () => {
    expect(fitsUnclipped('1,234,567 K', 110 - CELL_PADDING_PX)).toBe(true); // Private Bytes at its default width
    expect(fitsUnclipped('99.99', 60 - CELL_PADDING_PX)).toBe(true); // CPU
    expect(fitsUnclipped('4194304', 70 - CELL_PADDING_PX)).toBe(true); // PID
  });
  it('asks for a clip once a column is narrowed below its text', () => {
    expect(fitsUnclipped('1,234,567 K', 60 - CELL_PADDING_PX)).toBe(false);
    expect(fitsUnclipped('/usr/lib/jvm/java-17-openjdk-amd64/bin/java -Xmx4g', 420 - CELL_PADDING_PX)).toBe(false);
    expect(fitsUnclipped('', 0)).toBe(true);
  });
});
