import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SC_CLK_TCK, SC_NPROCESSORS_ONLN, SC_PAGESIZE, sysconfSync } from './ffi/libc';
import { auxvValue, clockTicksPerSecond, countCpuList, onlineCpuCount, pageSizeBytes } from './system-constants';

/** An auxiliary vector of (type, value) words, AT_NULL-terminated, as the kernel lays it out. */
function auxv(pairs: [number, number][], wordBytes: 4 | 8, littleEndian: boolean): Buffer {
  const buf = Buffer.alloc((pairs.length + 1) * 2 * wordBytes);
  let at = 0;
  for (const word of [...pairs.flat(), 0, 0]) {
    if (wordBytes === 8 && littleEndian) buf.writeBigUInt64LE(BigInt(word), at);
    else if (wordBytes === 8) buf.writeBigUInt64BE(BigInt(word), at);
    else if (littleEndian) buf.writeUInt32LE(word, at);
    else buf.writeUInt32BE(word, at);
    at += wordBytes;
  }
  return buf;
}

describe('auxvValue', () => {
  it('finds a type in 64-bit and 32-bit vectors of either byte order, and stops at AT_NULL', () => {
    const pairs: [number, number][] = [
      [33, 0x7f00_1234],
      [6, 16384],
      [17, 100],
    ];
    for (const wordBytes of [4, 8] as const) {
      for (const littleEndian of [true, false]) {
        const buf = auxv(pairs, wordBytes, littleEndian);
        expect(auxvValue(buf, 6, wordBytes, littleEndian)).toBe(16384);
        expect(auxvValue(buf, 17, wordBytes, littleEndian)).toBe(100);
        expect(auxvValue(buf, 25, wordBytes, littleEndian)).toBeNull();
      }
    }
    // A pair after AT_NULL is not part of the vector.
    const cut = Buffer.concat([auxv([], 8, true), auxv([[6, 4096]], 8, true)]);
    expect(auxvValue(cut, 6, 8, true)).toBeNull();
    expect(auxvValue(Buffer.alloc(0), 6, 8, true)).toBeNull();
  });
});

describe('countCpuList', () => {
  it('counts ranges and single CPUs, and refuses what is not a CPU list', () => {
    expect(countCpuList('0-1\n')).toBe(2);
    expect(countCpuList('0')).toBe(1);
    expect(countCpuList('0-3,5,7-8\n')).toBe(7);
    for (const bad of ['', '\n', '0-', 'a', '3-1', '0,,1', '0-1-2']) expect(countCpuList(bad)).toBeNull();
  });
});

describe.runIf(process.platform === 'linux')('system constants on this machine', () => {
  it('equal what glibc sysconf answers (through koffi)', () => {
    expect(clockTicksPerSecond()).toBe(sysconfSync(SC_CLK_TCK));
    expect(pageSizeBytes()).toBe(sysconfSync(SC_PAGESIZE));
    expect(onlineCpuCount()).toBe(sysconfSync(SC_NPROCESSORS_ONLN));
    // And they came from the files, not from that fallback.
    expect(auxvValue(readFileSync('/proc/self/auxv'), 17)).toBe(clockTicksPerSecond());
    expect(countCpuList(readFileSync('/sys/devices/system/cpu/online', 'latin1'))).toBe(onlineCpuCount());
  });
});
