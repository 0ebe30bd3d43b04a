import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MinidumpFormatError, openMinidump } from './minidump-reader';
import { StreamType } from './minidump-format';

const dir = mkdtempSync(join(tmpdir(), 'procscope-mdmp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Builds a small MDMP by the minidumpapiset.h layout: threads, one module, a Memory64List and MiscInfo. */
function synthetic(): { bytes: Buffer; marker: Buffer } {
  const marker = Buffer.from('MARKER-IN-MEMORY');
  const chunks: Buffer[] = [];
  let at = 32 + 5 * 12; // header + directory
  const place = (b: Buffer): number => {
    const rva = at;
    chunks.push(b);
    at += b.length;
    return rva;
  };
  const name = Buffer.from('C:\\app\\node.exe', 'utf16le');
  const nameStr = Buffer.alloc(4 + name.length);
  nameStr.writeUInt32LE(name.length, 0);
  name.copy(nameStr, 4);
  const nameRva = place(nameStr);
  const threads = Buffer.alloc(4 + 2 * 48);
  threads.writeUInt32LE(2, 0);
  threads.writeUInt32LE(0x114, 4);
  threads.writeUInt32LE(0x120, 4 + 48);
  const threadRva = place(threads);
  const modules = Buffer.alloc(4 + 108);
  modules.writeUInt32LE(1, 0);
  modules.writeBigUInt64LE(0x140000000n, 4);
  modules.writeUInt32LE(0x1000, 12);
  modules.writeUInt32LE(nameRva, 4 + 20);
  const moduleRva = place(modules);
  const misc = Buffer.alloc(24);
  misc.writeUInt32LE(24, 0);
  misc.writeUInt32LE(1, 4);
  misc.writeUInt32LE(272, 8);
  const miscRva = place(misc);
  const mem64 = Buffer.alloc(16 + 2 * 16);
  const mem64Rva = place(mem64);
  const page1 = Buffer.alloc(0x1000, 0xaa);
  const page2 = Buffer.alloc(0x1000);
  marker.copy(page2, 0x10);
  mem64.writeBigUInt64LE(2n, 0);
  mem64.writeBigUInt64LE(BigInt(at), 8);
  mem64.writeBigUInt64LE(0x10000n, 16);
  mem64.writeBigUInt64LE(0x1000n, 24);
  mem64.writeBigUInt64LE(0x20000n, 32);
  mem64.writeBigUInt64LE(0x1000n, 40);
  place(page1);
  place(page2);
  const header = Buffer.alloc(32 + 5 * 12);
  header.writeUInt32LE(0x504d444d, 0);
  header.writeUInt32LE(0xa793, 4);
  header.writeUInt32LE(5, 8);
  header.writeUInt32LE(32, 12);
  const dirEntries: [number, number, number][] = [
    [StreamType.ThreadList, threads.length, threadRva],
    [StreamType.ModuleList, modules.length, moduleRva],
    [StreamType.MiscInfo, misc.length, miscRva],
    [StreamType.Memory64List, mem64.length, mem64Rva],
    [0xfff0, 0, 32],
  ];
  dirEntries.forEach(([t, size, rva], i) => {
    header.writeUInt32LE(t, 32 + i * 12);
    header.writeUInt32LE(size, 36 + i * 12);
    header.writeUInt32LE(rva, 40 + i * 12);
  });
  return { bytes: Buffer.concat([header, ...chunks]), marker };
}

describe('openMinidump', () => {
  it('lists streams, threads, modules and memory, and reads memory by address', async () => {
    const { bytes, marker } = synthetic();
    const file = join(dir, 'ok.dmp');
    writeFileSync(file, bytes);
    const md = await openMinidump(file);
    try {
      expect(md.streams.map((s) => s.name)).toEqual(['ThreadList', 'ModuleList', 'MiscInfo', 'Memory64List', '0xfff0']);
      expect(md.threads.map((t) => t.threadId)).toEqual([0x114, 0x120]);
      expect(md.modules).toHaveLength(1);
      expect(md.modules[0]).toMatchObject({ name: 'node.exe', path: 'C:\\app\\node.exe', baseAddress: 0x140000000n, sizeBytes: 0x1000 });
      expect(md.processId).toBe(272);
      expect(md.memory.map((m) => [m.start, m.dataBytes])).toEqual([[0x10000n, 0x1000], [0x20000n, 0x1000]]);
      expect(await md.readMemory(0x20010n, marker.length)).toEqual(marker);
      expect(await md.readMemory(0x20ff0n, 0x20)).toBeNull();
      expect(await md.readMemory(0x30000n, 4)).toBeNull();
    } finally {
      await md.close();
    }
  });

  it('refuses files that are not minidumps or whose streams lie outside the file', async () => {
    const notDump = join(dir, 'not.dmp');
    writeFileSync(notDump, Buffer.alloc(64, 1));
    await expect(openMinidump(notDump)).rejects.toBeInstanceOf(MinidumpFormatError);
    const { bytes } = synthetic();
    const truncated = join(dir, 'truncated.dmp');
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 0x1800));
    await expect(openMinidump(truncated)).rejects.toThrow(/past the end|outside/);
    const tiny = join(dir, 'tiny.dmp');
    writeFileSync(tiny, Buffer.from('MDMP'));
    await expect(openMinidump(tiny)).rejects.toThrow(/too small/);
  });
});
