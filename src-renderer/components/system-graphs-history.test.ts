import { describe, expect, it } from 'vitest';
import type { SystemTotals } from '../../src-shared/model/process';
import { cpuColumns, GraphHistory, ioColumns, memoryColumns, sampleOf } from './system-graphs-history';

const totals = (cpuPercent: number, extra: Partial<SystemTotals> = {}): SystemTotals => ({
  cpuCount: 2,
  cpuPercent,
  memoryTotalBytes: 8e9,
  memoryAvailableBytes: 6e9,
  processCount: 10,
  ...extra,
});

describe('graph history ring', () => {
  it('keeps the last N samples oldest first, dropping the oldest', () => {
    const h = new GraphHistory(3);
    for (let seq = 1; seq <= 5; seq++) expect(h.push(sampleOf(seq, seq * 1000, totals(seq)))).toBe(true);
    expect(h.size).toBe(3);
    expect(h.samples().map((s) => s.seq)).toEqual([3, 4, 5]);
    expect(h.latest()!.cpuPercent).toBe(5);
    expect(cpuColumns(h.samples())).toEqual([[3, 4, 5], [3, 4, 5]]);
  });

  it('ignores the same poll twice (a re-sent snapshot) and starts afresh when a new stream restarts seq', () => {
    const h = new GraphHistory(5);
    h.push(sampleOf(7, 7000, totals(1)));
    expect(h.push(sampleOf(7, 7000, totals(1)))).toBe(false);
    expect(h.push(sampleOf(6, 6000, totals(1)))).toBe(false);
    expect(h.size).toBe(1);
    expect(h.push(sampleOf(1, 9000, totals(2)))).toBe(true);
    expect(h.samples().map((s) => s.seq)).toEqual([1]);
  });

  it('gives memory as commit and used, scaled to the commit limit, and I/O rates, null where unknown', () => {
    const h = new GraphHistory();
    h.push(sampleOf(1, 1000, totals(0, { commitBytes: 3e9, commitLimitBytes: 12e9, ioReadBytesPerSec: 100, ioWriteBytesPerSec: 5 })));
    h.push(sampleOf(2, 2000, totals(0, { memoryAvailableBytes: null })));
    expect(memoryColumns(h.samples())).toEqual([[1, 2], [3e9, null], [2e9, null]]);
    expect(ioColumns(h.samples())).toEqual([[1, 2], [100, null], [5, null]]);
    expect(h.samples()[0]!.memoryScaleBytes).toBe(12e9);
    expect(h.samples()[1]!.memoryScaleBytes).toBe(8e9);
    expect(sampleOf(3, 3000, totals(0, { memoryUsedBytes: 1e9 })).memoryUsedBytes).toBe(1e9);
    expect(() => new GraphHistory(0)).toThrow(RangeError);
  });
});
