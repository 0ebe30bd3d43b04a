// Which pages of an anonymous mapping hold data: PAGEMAP_SCAN and the entry-by-entry pagemap read must agree, on
// this test process's own memory with a known pattern of touched and untouched pages.
import { release } from 'node:os';
import { describe, expect, it } from 'vitest';
import { pageSizeBytes } from '../../platform/linux/system-constants';
import { bufferAddress } from './ffi/libc-ptrace';
import { openPagemapSync, type AddressRun } from './pagemap';

const MIB = 1024 * 1024;

function kernelAtLeast(major: number, minor: number): boolean {
  const [a = 0, b = 0] = release().split('.').map((x) => parseInt(x, 10));
  return a > major || (a === major && b >= minor);
}

describe('openPagemapSync', () => {
  it('reports exactly the touched MiBs of a fresh mapping, by PAGEMAP_SCAN and by reading entries', () => {
    const page = pageSizeBytes();
    // A fresh 32 MiB mapping (above malloc's mmap threshold): untouched until written.
    const buf = Buffer.allocUnsafeSlow(32 * MIB);
    const base = Number(bufferAddress(buf));
    const touched = [2, 3, 4, 10, 30];
    for (const m of touched) buf.fill(7, m * MIB, (m + 1) * MIB);
    // A page-aligned window inside the buffer, so nothing outside it (malloc's header page) is asked about.
    const lo = Math.ceil(base / page) * page;
    const hi = Math.floor((base + buf.length) / page) * page;
    const expected: AddressRun[] = [];
    for (const m of touched) {
      const runLo = Math.floor((base + m * MIB) / page) * page;
      const runHi = Math.ceil((base + (m + 1) * MIB) / page) * page;
      const last = expected[expected.length - 1];
      if (last && last[1] >= runLo) last[1] = runHi;
      else expected.push([runLo, runHi]);
    }
    const scanned = openPagemapSync('self', page)!;
    const read = openPagemapSync('self', page, { scan: false })!;
    try {
      const byRead = read.residentRuns(lo, hi);
      expect(read.lastUsedScan).toBe(false);
      expect(byRead).toEqual(expected);
      const byScan = scanned.residentRuns(lo, hi);
      // PAGEMAP_SCAN exists from Linux 6.7; this machine has it, so the fast path must really be taken.
      if (kernelAtLeast(6, 7)) expect(scanned.lastUsedScan).toBe(true);
      expect(byScan).toEqual(expected);
    } finally {
      scanned.closeSync();
      read.closeSync();
    }
    expect(buf[10 * MIB]).toBe(7);
  });

  it.runIf(kernelAtLeast(6, 7))('PAGEMAP_SCAN leaves out pages that were only read (the zero page), as gcore leaves them behind', () => {
    const page = pageSizeBytes();
    const buf = Buffer.allocUnsafeSlow(8 * MIB);
    const base = Number(bufferAddress(buf));
    const lo = Math.ceil(base / page) * page;
    const hi = Math.floor((base + buf.length) / page) * page;
    // Read every page (maps the zero page where nothing was written), then write MiB 5 only.
    let sum = 0;
    for (let at = lo - base; at < hi - base; at += page) sum += buf[at]!;
    buf.fill(9, 5 * MIB, 6 * MIB);
    const scanned = openPagemapSync('self', page)!;
    const read = openPagemapSync('self', page, { scan: false })!;
    try {
      const runs = scanned.residentRuns(lo, hi);
      expect(scanned.lastUsedScan).toBe(true);
      expect(runs).toEqual([[Math.floor((base + 5 * MIB) / page) * page, Math.ceil((base + 6 * MIB) / page) * page]]);
      // The entry-by-entry read cannot tell the zero page (its PFN is hidden): it reads the whole window.
      expect(read.residentRuns(lo, hi)).toEqual([[lo, hi]]);
    } finally {
      scanned.closeSync();
      read.closeSync();
    }
    expect(sum).toBe(0);
  });
});
