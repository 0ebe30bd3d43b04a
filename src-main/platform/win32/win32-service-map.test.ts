// The Services column's pid → names map and the system-figure decoders, on synthetic data (the live calls run
// under Wine in scripts/test-win.mjs).
import { describe, expect, it } from 'vitest';
import { parsePerformanceInformation, parseProcessorTimes } from './ffi/system-performance';
import type { ServiceRecord } from './ffi/services';
import { createServiceMap, servicesByPid } from './win32-service-map';

const svc = (name: string, pid: number): ServiceRecord => ({ name, displayName: null, state: pid ? 'running' : 'stopped', pid, serviceType: 0x20 });

describe('service map', () => {
  it('groups running services by host pid, sorted, and leaves stopped ones out', () => {
    const map = servicesByPid([svc('LanmanWorkstation', 900), svc('Dnscache', 900), svc('Spooler', 1200), svc('Stopped', 0)]);
    expect([...map]).toEqual([[900, ['Dnscache', 'LanmanWorkstation']], [1200, ['Spooler']]]);
  });

  it('reads the SCM at most every 5 s, keeps unchanged lists as the same array, and says when it could not read', () => {
    let calls = 0;
    let records = [svc('A', 10), svc('B', 20)];
    let fail = false;
    const map = createServiceMap(() => {
      calls++;
      if (fail) throw new Error('denied');
      return records;
    });
    expect(map.known).toBe(false);
    map.refresh(0);
    const a = map.servicesOf(10);
    expect(a).toEqual(['A']);
    map.refresh(4_999);
    expect(calls).toBe(1);
    records = [svc('A', 10), svc('C', 20)];
    map.refresh(5_000);
    expect(calls).toBe(2);
    expect(map.servicesOf(10)).toBe(a);
    expect(map.servicesOf(20)).toEqual(['C']);
    expect(map.servicesOf(30)).toBeNull();
    fail = true;
    map.refresh(20_000);
    expect(map.known).toBe(false);
  });
});

describe('system performance decoders', () => {
  it('gives each processor busy = kernel + user − idle, in ms', () => {
    const buf = Buffer.alloc(96);
    // CPU 0: idle 60 ms of kernel 80 + user 20; CPU 1: idle 10 of kernel 10 + user 90.
    buf.writeBigUInt64LE(600_000n, 0);
    buf.writeBigUInt64LE(800_000n, 8);
    buf.writeBigUInt64LE(200_000n, 16);
    buf.writeBigUInt64LE(100_000n, 48);
    buf.writeBigUInt64LE(100_000n, 56);
    buf.writeBigUInt64LE(900_000n, 64);
    expect(parseProcessorTimes(buf, 96)).toEqual([{ busyMs: 40, totalMs: 100 }, { busyMs: 90, totalMs: 100 }]);
    expect(parseProcessorTimes(buf, 50)).toHaveLength(1);
  });

  it('reads commit total and limit in pages times the page size', () => {
    const buf = Buffer.alloc(104);
    buf.writeBigUInt64LE(1000n, 8);
    buf.writeBigUInt64LE(4000n, 16);
    buf.writeBigUInt64LE(4096n, 80);
    expect(parsePerformanceInformation(buf)).toEqual({ commitBytes: 1000 * 4096, commitLimitBytes: 4000 * 4096 });
    expect(parsePerformanceInformation(Buffer.alloc(104))).toBeNull();
  });
});
