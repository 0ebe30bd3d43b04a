import { describe, expect, it } from 'vitest';
import {
  findSystemProcessDetail, ipv6Text, parseEnvironmentBlock, parseExtendedHandles, parseLegacyHandles, parseObjectTypes, parseServiceEntries,
  parseSocketTable, threadStateName, unicodeStringIn, waitReasonName,
} from './detail-structs';

const BASE = 0x7ff000000000n;

/** A SystemProcessInformation entry with `threads` thread records, as NATIVE.md lays them out. */
function processEntry(pid: number, tids: number[], last: boolean): Buffer {
  const b = Buffer.alloc(0x100 + tids.length * 0x50);
  b.writeUInt32LE(last ? 0 : b.length, 0);
  b.writeUInt32LE(tids.length, 4);
  b.writeBigUInt64LE(133_000_000_000_000_000n + BigInt(pid), 0x20);
  b.writeBigUInt64LE(30_000n, 0x28);
  b.writeBigUInt64LE(20_000n, 0x30);
  b.writeBigUInt64LE(BigInt(pid), 0x50);
  b.writeUInt32LE(77, 0x60);
  b.writeBigUInt64LE(4096n * 9n, 0x90);
  b.writeBigUInt64LE(4096n * 5n, 0xc8);
  // IO_COUNTERS: read ops, write ops, other ops, read bytes, write bytes, other bytes.
  [11n, 12n, 13n, 1100n, 1200n, 1300n].forEach((v, i) => b.writeBigUInt64LE(v, 0xd0 + i * 8));
  tids.forEach((tid, i) => {
    const t = 0x100 + i * 0x50;
    b.writeBigUInt64LE(10_000n * BigInt(tid), t); // kernel
    b.writeBigUInt64LE(20_000n, t + 0x08); // user
    b.writeBigUInt64LE(555n + BigInt(tid), t + 0x10);
    b.writeBigUInt64LE(0x7ffa12340000n + BigInt(tid), t + 0x20);
    b.writeBigUInt64LE(BigInt(pid), t + 0x28);
    b.writeBigUInt64LE(BigInt(tid), t + 0x30);
    b.writeInt32LE(9, t + 0x38);
    b.writeInt32LE(8, t + 0x3c);
    b.writeUInt32LE(42, t + 0x40);
    b.writeUInt32LE(5, t + 0x44);
    b.writeUInt32LE(6, t + 0x48);
  });
  return b;
}

describe('findSystemProcessDetail', () => {
  const block = Buffer.concat([processEntry(100, [101], false), processEntry(200, [201, 202], true)]);

  it('finds the entry of a pid past the first, with its I/O counters and threads', () => {
    const r = findSystemProcessDetail(block, 200)!;
    expect(r.handleCount).toBe(77);
    expect(r.cpuTimeMs).toBe(5);
    expect([r.ioReadOps, r.ioWriteOps, r.ioReadBytes, r.ioWriteBytes]).toEqual([11, 12, 1100, 1200]);
    expect(r.workingSetBytes).toBe(4096 * 9);
    expect(r.threads.map((t) => t.tid)).toEqual([201, 202]);
    const t = r.threads[1]!;
    expect(t.cpuTimeMs).toBe(202 + 2);
    expect(t.startAddress).toBe(0x7ffa12340000n + 202n);
    expect([t.priority, t.basePriority, t.contextSwitches, t.state, t.waitReason]).toEqual([9, 8, 42, 5, 6]);
    expect(t.createTime100ns).toBe(555n + 202n);
  });

  it('answers null for a pid that is not listed, and refuses a block whose threads run past its end', () => {
    expect(findSystemProcessDetail(block, 300)).toBeNull();
    const cut = Buffer.from(processEntry(5, [6, 7], true).subarray(0, 0x100 + 0x50));
    expect(() => findSystemProcessDetail(cut, 5)).toThrow(/past the buffer/);
  });

  it('names KTHREAD_STATE and KWAIT_REASON as Process Explorer does', () => {
    expect(threadStateName(5)).toBe('Wait');
    expect(threadStateName(2)).toBe('Running');
    expect(waitReasonName(6)).toBe('UserRequest');
    expect(waitReasonName(5)).toBe('Suspended');
    expect(waitReasonName(99)).toBe('Reason 99');
  });
});

describe('handle lists', () => {
  it('keeps only the pid asked of SystemExtendedHandleInformation, with 64-bit handle values', () => {
    const b = Buffer.alloc(16 + 3 * 40);
    b.writeBigUInt64LE(3n, 0);
    [[10, 0x4n, 0x1f0003, 16], [20, 0x1234n, 0x120089, 37], [20, 0x100000008n, 0x20019, 44]].forEach(([pid, h, access, type], i) => {
      const at = 16 + i * 40;
      b.writeBigUInt64LE(0xffff800000000000n + BigInt(i), at);
      b.writeBigUInt64LE(BigInt(pid as number), at + 8);
      b.writeBigUInt64LE(h as bigint, at + 16);
      b.writeUInt32LE(access as number, at + 24);
      b.writeUInt16LE(type as number, at + 30);
    });
    const mine = parseExtendedHandles(b, 20);
    expect(mine.map((h) => [h.handle, h.grantedAccess, h.objectTypeIndex])).toEqual([[0x1234n, 0x120089, 37], [0x100000008n, 0x20019, 44]]);
    expect(parseExtendedHandles(b, null)).toHaveLength(3);
    b.writeBigUInt64LE(4n, 0);
    expect(() => parseExtendedHandles(b, 20)).toThrow(/more than its buffer/);
  });

  it('reads the legacy 24-byte SystemHandleInformation entries', () => {
    const b = Buffer.alloc(8 + 2 * 24);
    b.writeUInt32LE(2, 0);
    b.writeUInt16LE(7, 8);
    b.writeUInt8(30, 12);
    b.writeUInt16LE(0x44, 14);
    b.writeUInt32LE(0x1f0001, 24);
    b.writeUInt16LE(8, 32);
    expect(parseLegacyHandles(b, 7)).toEqual([{ pid: 7, objectTypeIndex: 30, attributes: 0, handle: 0x44n, object: 0n, grantedAccess: 0x1f0001 }]);
  });

  it('maps object type indexes to names, TypeIndex where filled, else position + 2', () => {
    const names = ['Type', 'Directory', 'File'];
    const parts: Buffer[] = [Buffer.alloc(8)];
    parts[0]!.writeUInt32LE(names.length, 0);
    let offset = 8;
    names.forEach((n, i) => {
      const text = Buffer.from(n, 'utf16le');
      const max = text.length + 2;
      const entry = Buffer.alloc(0x68 + ((max + 7) & ~7));
      entry.writeUInt16LE(text.length, 0);
      entry.writeUInt16LE(max, 2);
      entry.writeBigUInt64LE(BASE + BigInt(offset + 0x68), 8);
      entry.writeUInt8(i === 2 ? 40 : 0, 0x5a);
      text.copy(entry, 0x68);
      parts.push(entry);
      offset += entry.length;
    });
    expect([...parseObjectTypes(Buffer.concat(parts), BASE)]).toEqual([[2, 'Type'], [3, 'Directory'], [40, 'File']]);
  });

  it('reads a UNICODE_STRING only when its buffer lies inside the block', () => {
    const b = Buffer.alloc(32);
    b.writeUInt16LE(4, 0);
    b.writeBigUInt64LE(BASE + 16n, 8);
    b.write('ok', 16, 'utf16le');
    expect(unicodeStringIn(b, 0, BASE)).toBe('ok');
    b.writeBigUInt64LE(BASE + 30n, 8);
    expect(unicodeStringIn(b, 0, BASE)).toBeNull();
    b.writeBigUInt64LE(BASE - 2n, 8);
    expect(unicodeStringIn(b, 0, BASE)).toBeNull();
  });
});

describe('socket tables', () => {
  it('decodes TCP rows with network-order ports and drops the remote end of a listener', () => {
    const b = Buffer.alloc(4 + 2 * 24);
    b.writeUInt32LE(2, 0);
    // LISTEN 127.0.0.1:8080 (pid 50); ESTABLISHED 10.0.0.2:50000 → 93.184.216.34:443 (pid 60).
    b.writeUInt32LE(2, 4);
    Buffer.from([127, 0, 0, 1]).copy(b, 8);
    b.writeUInt16BE(8080, 12);
    b.writeUInt32LE(50, 24);
    b.writeUInt32LE(5, 28);
    Buffer.from([10, 0, 0, 2]).copy(b, 32);
    b.writeUInt16BE(50000, 36);
    Buffer.from([93, 184, 216, 34]).copy(b, 40);
    b.writeUInt16BE(443, 44);
    b.writeUInt32LE(60, 48);
    expect(parseSocketTable('tcp', b, 50)).toEqual([{ protocol: 'tcp', pid: 50, localAddress: '127.0.0.1', localPort: 8080, remoteAddress: null, remotePort: null, state: 'LISTEN' }]);
    expect(parseSocketTable('tcp', b, 60)[0]).toMatchObject({ localAddress: '10.0.0.2', localPort: 50000, remoteAddress: '93.184.216.34', remotePort: 443, state: 'ESTABLISHED' });
  });

  it('decodes TCP6 and UDP6 rows and writes IPv6 as RFC 5952 text', () => {
    const t6 = Buffer.alloc(4 + 56);
    t6.writeUInt32LE(1, 0);
    t6.writeUInt16BE(0xfe80, 4);
    t6.writeUInt16BE(0x1, 4 + 14);
    t6.writeUInt16BE(9229, 4 + 20);
    t6.writeUInt32LE(5, 4 + 48);
    t6.writeUInt32LE(70, 4 + 52);
    t6.writeUInt16BE(1, 4 + 24 + 14);
    t6.writeUInt16BE(60000, 4 + 44);
    expect(parseSocketTable('tcp6', t6, 70)[0]).toMatchObject({ localAddress: 'fe80::1', localPort: 9229, remoteAddress: '::1', remotePort: 60000, state: 'ESTABLISHED' });
    const u6 = Buffer.alloc(4 + 28);
    u6.writeUInt32LE(1, 0);
    u6.writeUInt16BE(5353, 4 + 20);
    u6.writeUInt32LE(80, 4 + 24);
    expect(parseSocketTable('udp6', u6, 80)).toEqual([{ protocol: 'udp6', pid: 80, localAddress: '::', localPort: 5353, remoteAddress: null, remotePort: null, state: null }]);
    const g = Buffer.from('20010db8000000010000000000000001', 'hex');
    expect(ipv6Text(g, 0)).toBe('2001:db8:0:1::1');
    expect(ipv6Text(Buffer.from('20010db8000000000001000000000001', 'hex'), 0)).toBe('2001:db8::1:0:0:1');
  });

  it('decodes UDP rows and refuses a count larger than the buffer', () => {
    const u = Buffer.alloc(4 + 12);
    u.writeUInt32LE(1, 0);
    Buffer.from([0, 0, 0, 0]).copy(u, 4);
    u.writeUInt16BE(53, 8);
    u.writeUInt32LE(90, 12);
    expect(parseSocketTable('udp', u, null)).toEqual([{ protocol: 'udp', pid: 90, localAddress: '0.0.0.0', localPort: 53, remoteAddress: null, remotePort: null, state: null }]);
    u.writeUInt32LE(2, 0);
    expect(() => parseSocketTable('udp', u, null)).toThrow(/more than its buffer/);
  });
});

describe('services and environment', () => {
  it('reads ENUM_SERVICE_STATUS_PROCESSW entries whose names point into the buffer', () => {
    const b = Buffer.alloc(2 * 56 + 128);
    const strings: [number, string][] = [[112, 'Spooler'], [130, 'Print Spooler'], [160, 'Stopped1']];
    for (const [at, s] of strings) b.write(`${s}\0`, at, 'utf16le');
    b.writeBigUInt64LE(BASE + 112n, 0);
    b.writeBigUInt64LE(BASE + 130n, 8);
    b.writeUInt32LE(0x10, 16);
    b.writeUInt32LE(4, 20);
    b.writeUInt32LE(1234, 44);
    b.writeBigUInt64LE(BASE + 160n, 56);
    b.writeBigUInt64LE(0n, 64);
    b.writeUInt32LE(1, 56 + 20);
    expect(parseServiceEntries(b, BASE, 2)).toEqual([
      { name: 'Spooler', displayName: 'Print Spooler', serviceType: 0x10, state: 'running', pid: 1234 },
      { name: 'Stopped1', displayName: null, serviceType: 0, state: 'stopped', pid: 0 },
    ]);
    expect(() => parseServiceEntries(b, BASE, 5)).toThrow(/more than its buffer/);
  });

  it('splits an environment block at the first = after the first character, stopping at the empty entry', () => {
    const b = Buffer.from('=C:=C:\\work\0PATH=C:\\bin;D:\\x=y\0MARKER=1\0\0GARBAGE=2\0', 'utf16le');
    expect(parseEnvironmentBlock(b)).toEqual([
      { name: '=C:', value: 'C:\\work' },
      { name: 'PATH', value: 'C:\\bin;D:\\x=y' },
      { name: 'MARKER', value: '1' },
    ]);
  });
});
