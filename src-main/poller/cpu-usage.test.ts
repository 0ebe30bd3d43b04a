import { describe, expect, it } from 'vitest';
import { cpuPercentOf, roundPercent, systemCpuPercentOf } from './cpu-usage';

describe('CPU % maths', () => {
  it('scales by wall time × cores, so 100 % means every core busy', () => {
    // 500 ms of CPU in 1 s on 2 cores = one core of two.
    expect(cpuPercentOf(1000, 1500, 1000, 2)).toBe(25);
    expect(cpuPercentOf(0, 2000, 1000, 2)).toBe(100);
    expect(cpuPercentOf(0, 10, 1000, 4)).toBe(0.25);
    expect(cpuPercentOf(100, 100, 1000, 8)).toBe(0);
  });
  it('is null without an earlier sample, CPU time or elapsed time', () => {
    expect(cpuPercentOf(undefined, 10, 1000, 2)).toBeNull();
    expect(cpuPercentOf(null, 10, 1000, 2)).toBeNull();
    expect(cpuPercentOf(10, null, 1000, 2)).toBeNull();
    expect(cpuPercentOf(10, 20, 0, 2)).toBeNull();
    expect(cpuPercentOf(10, 20, 1000, 0)).toBeNull();
  });
  it('clamps tick-rounding overshoot and counters that run backwards', () => {
    expect(cpuPercentOf(0, 2010, 1000, 2)).toBe(100);
    expect(cpuPercentOf(500, 400, 1000, 2)).toBe(0);
  });
  it('rounds to hundredths', () => {
    expect(roundPercent(1 / 3)).toBe(0.33);
    expect(cpuPercentOf(0, 1, 3000, 1)).toBe(0.03);
  });
  it('sums processes for the system figure, capped at 100, null before the first interval', () => {
    expect(systemCpuPercentOf([{ cpuPercent: 10.5 }, { cpuPercent: null }, { cpuPercent: 20.25 }])).toBe(30.75);
    expect(systemCpuPercentOf([{ cpuPercent: 70 }, { cpuPercent: 70 }])).toBe(100);
    expect(systemCpuPercentOf([{ cpuPercent: null }])).toBeNull();
  });
});
