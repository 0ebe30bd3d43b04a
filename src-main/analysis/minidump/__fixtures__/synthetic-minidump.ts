/*
 * Builds small, well-formed MDMP files by the minidumpapiset.h layout, for the reader's fuzz seeds: a header, a
 * stream directory, ThreadList, ModuleList (string RVAs), MemoryList and Memory64List (the two ways a dump holds
 * memory), SystemInfo, MiscInfo, an Exception stream and a vendor stream. It also returns where each structure
 * landed, so a mutator can aim at counts, RVAs and sizes instead of only flipping random bytes. Tests only.
 */
import { StreamType } from '../minidump-format';

export interface SyntheticMinidump {
  bytes: Buffer;
  /** Byte offsets of the fields a structured mutation aims at. */
  layout: {
    streamCountOffset: number;
    directoryRvaOffset: number;
    directoryOffset: number;
    streamCount: number;
    /** Offsets of each list's element count (u32; u64 for Memory64List). */
    threadCountOffset: number;
    moduleCountOffset: number;
    memoryCountOffset: number;
    memory64CountOffset: number;
    memory64BaseRvaOffset: number;
    /** Offsets of the u32 RVA of each module's name, and of each MemoryList descriptor's (size, rva). */
    moduleNameRvaOffsets: number[];
    memoryDescriptorOffsets: number[];
  };
  /** Virtual addresses and lengths the dump holds. */
  ranges: { start: bigint; dataBytes: number }[];
}

export interface SyntheticOptions {
  threadCount?: number;
  moduleNames?: string[];
  /** Pages in the MemoryList and in the Memory64List. */
  memoryPages?: number;
  memory64Pages?: number;
  pageBytes?: number;
}

export function buildSyntheticMinidump(options: SyntheticOptions = {}): SyntheticMinidump {
  const threadCount = options.threadCount ?? 3;
  const moduleNames = options.moduleNames ?? ['C:\\Program Files\\Procscope\\procscope.exe', 'C:\\Windows\\System32\\ntdll.dll', 'C:\\Windows\\System32\\kernel32.dll'];
  const memoryPages = options.memoryPages ?? 2;
  const memory64Pages = options.memory64Pages ?? 3;
  const pageBytes = options.pageBytes ?? 0x400;
  const streamCount = 9;
  const chunks: Buffer[] = [];
  let at = 32 + streamCount * 12;
  const place = (b: Buffer): number => {
    const rva = at;
    chunks.push(b);
    at += b.length;
    return rva;
  };

  const nameRvas = moduleNames.map((name) => {
    const text = Buffer.from(name, 'utf16le');
    const s = Buffer.alloc(4 + text.length + 2);
    s.writeUInt32LE(text.length, 0);
    text.copy(s, 4);
    return place(s);
  });

  const threads = Buffer.alloc(4 + threadCount * 48);
  threads.writeUInt32LE(threadCount, 0);
  for (let i = 0; i < threadCount; i++) {
    const o = 4 + i * 48;
    threads.writeUInt32LE(0x100 + i * 4, o);
    threads.writeInt32LE(i - 1, o + 12);
    threads.writeBigUInt64LE(0x7ff000000000n + BigInt(i) * 0x2000n, o + 16);
    threads.writeBigUInt64LE(0x30000n + BigInt(i) * 0x1000n, o + 24);
    threads.writeUInt32LE(0x1000, o + 32);
  }
  const threadRva = place(threads);

  const modules = Buffer.alloc(4 + moduleNames.length * 108);
  modules.writeUInt32LE(moduleNames.length, 0);
  const moduleNameRvaOffsets: number[] = [];
  moduleNames.forEach((_, i) => {
    const o = 4 + i * 108;
    modules.writeBigUInt64LE(0x140000000n + BigInt(i) * 0x1000000n, o);
    modules.writeUInt32LE(0x10000 * (i + 1), o + 8);
    modules.writeUInt32LE(0x5f000000 + i, o + 16);
    modules.writeUInt32LE(nameRvas[i]!, o + 20);
  });
  const moduleRva = place(modules);
  moduleNames.forEach((_, i) => moduleNameRvaOffsets.push(moduleRva + 4 + i * 108 + 20));

  const system = Buffer.alloc(56);
  system.writeUInt16LE(9 /* PROCESSOR_ARCHITECTURE_AMD64 */, 0);
  system.writeUInt8(8, 6);
  system.writeUInt32LE(10, 8);
  system.writeUInt32LE(0, 12);
  system.writeUInt32LE(19045, 16);
  const systemRva = place(system);

  const misc = Buffer.alloc(24);
  misc.writeUInt32LE(24, 0);
  misc.writeUInt32LE(1, 4);
  misc.writeUInt32LE(4242, 8);
  const miscRva = place(misc);

  const exception = Buffer.alloc(168);
  exception.writeUInt32LE(0x100, 0);
  exception.writeUInt32LE(0xc0000005, 8);
  const exceptionRva = place(exception);

  const vendor = Buffer.from('procscope-fuzz-vendor-stream');
  const vendorRva = place(vendor);

  // MemoryList: descriptors first, their bytes right after.
  const memList = Buffer.alloc(4 + memoryPages * 16);
  memList.writeUInt32LE(memoryPages, 0);
  const memListRva = place(memList);
  const ranges: { start: bigint; dataBytes: number }[] = [];
  const memoryDescriptorOffsets: number[] = [];
  for (let i = 0; i < memoryPages; i++) {
    const start = 0x30000n + BigInt(i) * 0x1000n;
    const page = Buffer.alloc(pageBytes, 0x11 * (i + 1));
    const rva = place(page);
    const o = 4 + i * 16;
    memList.writeBigUInt64LE(start, o);
    memList.writeUInt32LE(pageBytes, o + 8);
    memList.writeUInt32LE(rva, o + 12);
    memoryDescriptorOffsets.push(memListRva + o + 8);
    ranges.push({ start, dataBytes: pageBytes });
  }

  // Memory64List: one base RVA, then the pages back to back (how full dumps hold memory).
  const mem64 = Buffer.alloc(16 + memory64Pages * 16);
  const mem64Rva = place(mem64);
  mem64.writeBigUInt64LE(BigInt(memory64Pages), 0);
  mem64.writeBigUInt64LE(BigInt(at), 8);
  for (let i = 0; i < memory64Pages; i++) {
    const start = 0x10000000n + BigInt(i) * 0x10000n;
    mem64.writeBigUInt64LE(start, 16 + i * 16);
    mem64.writeBigUInt64LE(BigInt(pageBytes), 24 + i * 16);
    const page = Buffer.alloc(pageBytes);
    page.write(`page ${i} of the Memory64List`, 0, Math.min(pageBytes, 32));
    place(page);
    ranges.push({ start, dataBytes: pageBytes });
  }

  const header = Buffer.alloc(32 + streamCount * 12);
  header.writeUInt32LE(0x504d444d, 0);
  header.writeUInt32LE(0xa793, 4);
  header.writeUInt32LE(streamCount, 8);
  header.writeUInt32LE(32, 12);
  header.writeUInt32LE(0x65000000, 20);
  header.writeBigUInt64LE(0x1826n, 24);
  const entries: [number, number, number][] = [
    [StreamType.ThreadList, threads.length, threadRva],
    [StreamType.ModuleList, modules.length, moduleRva],
    [StreamType.SystemInfo, system.length, systemRva],
    [StreamType.MiscInfo, misc.length, miscRva],
    [StreamType.Exception, exception.length, exceptionRva],
    [StreamType.MemoryList, memList.length, memListRva],
    [StreamType.Memory64List, mem64.length, mem64Rva],
    [0x47670001, vendor.length, vendorRva],
    [StreamType.Unused, 0, 0],
  ];
  entries.forEach(([type, size, rva], i) => {
    header.writeUInt32LE(type, 32 + i * 12);
    header.writeUInt32LE(size, 36 + i * 12);
    header.writeUInt32LE(rva, 40 + i * 12);
  });

  return {
    bytes: Buffer.concat([header, ...chunks]),
    layout: {
      streamCountOffset: 8,
      directoryRvaOffset: 12,
      directoryOffset: 32,
      streamCount,
      threadCountOffset: threadRva,
      moduleCountOffset: moduleRva,
      memoryCountOffset: memListRva,
      memory64CountOffset: mem64Rva,
      memory64BaseRvaOffset: mem64Rva + 8,
      moduleNameRvaOffsets,
      memoryDescriptorOffsets,
    },
    ranges,
  };
}
