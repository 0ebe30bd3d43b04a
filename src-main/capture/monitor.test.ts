import { describe, expect, it } from 'vitest';
import type { CaptureMonitor } from '../../src-shared/model/capture';
import { monitorDumped, monitorFinished, monitorSample, newMonitorState, type MonitorState } from './monitor';

const MB = 1024 * 1024;
/** Feeds one sample a second: `cpu` = % of one core used during the second before it, `mb` = memory then. */
function feeder(m: CaptureMonitor) {
  const state: MonitorState = newMonitorState();
  let t = 0;
  let cpuMs = 0;
  return {
    state,
    next(cpu: number, mb = 10) {
      t += 1000;
      cpuMs += cpu * 10;
      return monitorSample(m, state, { atMs: t, cpuMs, memoryBytes: mb * MB });
    },
    done(written = true) {
      monitorDumped(m, state, t, written);
    },
  };
}

describe('capture monitor (ProcDump -c / -m / -n / -s decisions)', () => {
  it('CPU: fires only after `seconds` consecutive samples at or above the threshold, in % of one core', () => {
    const f = feeder({ cpuPercent: 50, memoryMb: null, seconds: 3, count: 1 });
    expect(f.next(100).fire).toBeNull(); // first sample: no interval yet
    expect(f.next(100)).toEqual({ fire: null, cpuPercent: 100, memoryMb: 10 });
    expect(f.next(100).fire).toBeNull();
    expect(f.next(20).fire).toBeNull(); // the run breaks
    expect(f.next(50).fire).toBeNull();
    expect(f.next(60).fire).toBeNull();
    expect(f.next(150).fire).toBe('cpu'); // two busy threads: 150 % of one core
  });

  it('memory fires on the first sample at or above the threshold', () => {
    const f = feeder({ cpuPercent: null, memoryMb: 100, seconds: 10, count: 1 });
    expect(f.next(0, 99.9).fire).toBeNull();
    expect(f.next(0, 100).fire).toBe('memory');
  });

  it('after a dump nothing counts for `seconds`, at most `count` dumps, and nothing is asked while one is pending', () => {
    const f = feeder({ cpuPercent: null, memoryMb: 100, seconds: 3, count: 2 });
    expect(f.next(0, 200).fire).toBe('memory');
    expect(f.next(0, 200).fire).toBeNull(); // pending
    f.done();
    expect([f.next(0, 200).fire, f.next(0, 200).fire]).toEqual([null, null]);
    expect(f.next(0, 200).fire).toBe('memory'); // 3 s after the first dump ended
    f.done();
    expect(monitorFinished({ cpuPercent: null, memoryMb: 100, seconds: 3, count: 2 }, f.state)).toBe(true);
    for (let i = 0; i < 10; i++) expect(f.next(0, 200).fire).toBeNull();
  });

  it('a failed dump does not count toward `count` but still waits `seconds`', () => {
    const m = { cpuPercent: null, memoryMb: 1, seconds: 1, count: 1 };
    const f = feeder(m);
    expect(f.next(0).fire).toBe('memory');
    f.done(false);
    expect(monitorFinished(m, f.state)).toBe(false);
    expect(f.next(0).fire).toBe('memory');
  });

  it('series (no threshold): a dump at once, then one every `seconds`, `count` in all', () => {
    const m = { cpuPercent: null, memoryMb: null, seconds: 2, count: 3 };
    const f = feeder(m);
    const fired: number[] = [];
    for (let s = 1; s <= 12; s++) {
      if (f.next(0).fire === 'series') {
        fired.push(s);
        f.done();
      }
    }
    expect(fired).toEqual([1, 3, 5]);
  });

  it('CPU and memory together: whichever holds first fires, and a CPU run is reset by a dump', () => {
    const f = feeder({ cpuPercent: 90, memoryMb: 500, seconds: 2, count: 5 });
    f.next(100);
    expect(f.next(100, 600).fire).toBe('memory');
    f.done();
    expect(f.next(100).fire).toBeNull(); // quiet
    expect(f.next(100).fire).toBeNull(); // run 1 after the pause
    expect(f.next(100).fire).toBe('cpu');
  });
});
