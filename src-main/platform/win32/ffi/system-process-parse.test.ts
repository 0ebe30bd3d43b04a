import { describe, expect, it } from 'vitest';
import { parseSystemProcessInformation } from './system-process-parse';

const BASE = 0x10000000n;
// 2024-01-01T00:00:00Z as FILETIME.
const JAN_2024_100NS = (1_704_067_200_000n + 11_644_473_600_000n) * 10_000n;

function entry(pid: number, ppid: number, name: string, threads: number): { head: Buffer; name: Buffer } {
  const head = Buffer.alloc(0x100 + threads * 0x50);
  head.writeUInt32LE(threads, 0x04);
  head.writeBigUInt64LE(pid === 0 ? 0n : JAN_2024_100NS + BigInt(pid) * 10_000n, 0x20);
  head.writeBigUInt64LE(30_000n, 0x28); // 3 ms user
  head.writeBigUInt64LE(20_000n, 0x30); // 2 ms kernel
  head.writeUInt16LE(Buffer.byteLength(name, 'utf16le'), 0x38);
  head.writeInt32LE(8, 0x48);
  head.writeBigUInt64LE(BigInt(pid), 0x50);
  head.writeBigUInt64LE(BigInt(ppid), 0x58);
  head.writeUInt32LE(42, 0x60);
  head.writeUInt32LE(1, 0x64);
  head.writeBigUInt64LE(4096n * 1000n, 0x78);
  head.writeBigUInt64LE(4096n * 100n, 0x90);
  head.writeBigUInt64LE(4096n * 50n, 0xc8);
  return { head, name: Buffer.from(name, 'utf16le') };
}

/** Lays entries out as the kernel does: entry, threads, name; NextEntryOffset chaining them. */
function block(entries: { head: Buffer; name: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  entries.forEach((e, i) => {
    const size = e.head.length + e.name.length + ((8 - ((e.head.length + e.name.length) % 8)) % 8);
    if (e.name.length) e.head.writeBigUInt64LE(BASE + BigInt(offset + e.head.length), 0x40);
    e.head.writeUInt32LE(i === entries.length - 1 ? 0 : size, 0);
    const padded = Buffer.alloc(size);
    e.head.copy(padded, 0);
    e.name.copy(padded, e.head.length);
    parts.push(padded);
    offset += size;
  });
  return Buffer.concat(parts);
}

describe('parseSystemProcessInformation', () => {
  it('decodes pids, parents, names (from inside the buffer), times and counters', () => {
    const bytes = block([entry(0, 0, '', 2), entry(4, 0, 'System', 1), entry(1234, 4, 'node.exe', 6)]);
    const recs = parseSystemProcessInformation(bytes, BASE);
    expect(recs.map((r) => [r.pid, r.ppid, r.imageName, r.threadCount])).toEqual([
      [0, 0, '', 2],
      [4, 0, 'System', 1],
      [1234, 4, 'node.exe', 6],
    ]);
    const node = recs[2]!;
    expect(node.createTimeMs).toBe(1_704_067_200_000 + 1234);
    expect(recs[0]!.createTimeMs).toBe(0);
    expect(node.cpuTimeMs).toBe(5);
    expect(node.workingSetBytes).toBe(409_600);
    expect(node.privateBytes).toBe(204_800);
    expect(node.virtualBytes).toBe(4_096_000);
    expect(node.handleCount).toBe(42);
    expect(node.sessionId).toBe(1);
    expect(node.basePriority).toBe(8);
  });

  it('refuses a name pointer outside the buffer and an entry that runs past the end', () => {
    const bytes = block([entry(8, 4, 'a.exe', 1)]);
    expect(() => parseSystemProcessInformation(bytes, BASE + 0x100000n)).toThrow(/outside/);
    expect(() => parseSystemProcessInformation(bytes.subarray(0, 0x80), BASE)).toThrow(/past the buffer/);
  });

  it('refuses a NextEntryOffset that would overlap the thread array', () => {
    const bytes = block([entry(8, 4, 'a.exe', 3), entry(12, 8, 'b.exe', 1)]);
    bytes.writeUInt32LE(0x100, 0);
    expect(() => parseSystemProcessInformation(bytes, BASE)).toThrow(/too small/);
  });

  it('reads the I/O counters and calls a process suspended only when every thread waits Suspended', () => {
    const a = entry(100, 4, 'a.exe', 2);
    a.head.writeBigUInt64LE(7n, 0xd0);
    a.head.writeBigUInt64LE(3n, 0xd8);
    a.head.writeBigUInt64LE(9n, 0xe0); // other ops: not read or write
    a.head.writeBigUInt64LE(70_000n, 0xe8);
    a.head.writeBigUInt64LE(30_000n, 0xf0);
    for (const t of [0, 1]) {
      a.head.writeUInt32LE(5, 0x100 + t * 0x50 + 0x44);
      a.head.writeUInt32LE(5, 0x100 + t * 0x50 + 0x48);
    }
    const b = entry(101, 4, 'b.exe', 2);
    b.head.writeUInt32LE(5, 0x100 + 0x44);
    b.head.writeUInt32LE(5, 0x100 + 0x48);
    b.head.writeUInt32LE(5, 0x150 + 0x44);
    b.head.writeUInt32LE(6, 0x150 + 0x48); // UserRequest: a normal wait
    const none = entry(102, 4, 'c.exe', 0);
    const [ra, rb, rc] = parseSystemProcessInformation(block([a, b, none]), BASE);
    expect(ra).toMatchObject({ ioReadOps: 7, ioWriteOps: 3, ioReadBytes: 70_000, ioWriteBytes: 30_000, suspended: true });
    expect(rb!.suspended).toBe(false);
    expect(rc!.suspended).toBe(false);
  });
});
