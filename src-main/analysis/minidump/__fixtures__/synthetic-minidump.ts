/*
 * Builds small, well-formed MDMP files by the minidumpapiset.h layout, for the reader's fuzz seeds: a header, a
 * stream directory, ThreadList, ModuleList (string RVAs), MemoryList and Memory64List (the two ways a dump holds
 * memory), SystemInfo, MiscInfo, an Exception stream with its context, each thread's AMD64 CONTEXT, ThreadInfoList,
 * ThreadNames, UnloadedModuleList, MemoryInfoList, HandleData, Token, modules with CodeView and VS_FIXEDFILEINFO,
 * and a vendor stream; optionally a PE image (pe/__fixtures__/synthetic-pe.ts) loaded at the first module's base
 * with thread 0 parked in it. It also returns where each structure landed, so a mutator can aim at counts, RVAs
 * and sizes instead of only flipping random bytes. Tests only.
 */
import type { SyntheticPe } from '../../pe/__fixtures__/synthetic-pe';
import { AMD64_CONTEXT_BYTES, AMD64_GPR_OFFSET, AMD64_GPR_ORDER, StreamType } from '../minidump-format';

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
    /** Offsets of the element counts of ThreadInfoList, ThreadNames, UnloadedModuleList, MemoryInfoList (u64), HandleData. */
    sideCountOffsets: number[];
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
  /** A PE image loaded at the first module's base (its identity becomes the module's); thread 0 runs in it. */
  image?: SyntheticPe;
  /** Thread 0's registers (rip, rsp...) and the stack bytes at its stackStart. */
  thread0?: { registers: Partial<Record<(typeof AMD64_GPR_ORDER)[number], bigint>>; stack: Buffer };
}

export const IMAGE_BASE = 0x140000000n;

export function buildSyntheticMinidump(options: SyntheticOptions = {}): SyntheticMinidump {
  const threadCount = options.threadCount ?? 3;
  const moduleNames = options.moduleNames ?? ['C:\\Program Files\\Procscope\\procscope.exe', 'C:\\Windows\\System32\\ntdll.dll', 'C:\\Windows\\System32\\kernel32.dll'];
  const memoryPages = options.memoryPages ?? 2;
  const memory64Pages = options.memory64Pages ?? 3;
  const pageBytes = options.pageBytes ?? 0x400;
  const streamCount = 15;
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
    const ctx = Buffer.alloc(AMD64_CONTEXT_BYTES);
    ctx.writeUInt32LE(0x10001f, 0x30);
    const regs: Partial<Record<(typeof AMD64_GPR_ORDER)[number], bigint>> = i === 0 && options.thread0 ? options.thread0.registers : { rsp: 0x30000n + BigInt(i) * 0x1000n + 0x100n, rip: 0x140001000n + BigInt(i) * 0x10n };
    AMD64_GPR_ORDER.forEach((r, k) => ctx.writeBigUInt64LE(regs[r] ?? BigInt(k), AMD64_GPR_OFFSET + k * 8));
    threads.writeUInt32LE(ctx.length, o + 40);
    threads.writeUInt32LE(place(ctx), o + 44);
  }
  const threadRva = place(threads);

  const cv = Buffer.alloc(24 + 10);
  cv.write('RSDS', 0, 'latin1');
  Buffer.from('00112233445566778899aabbccddeeff', 'hex').copy(cv, 4);
  cv.writeUInt32LE(3, 20);
  cv.write('app.pdb\0', 24, 'latin1');
  const cvRva = place(cv);
  const modules = Buffer.alloc(4 + moduleNames.length * 108);
  modules.writeUInt32LE(moduleNames.length, 0);
  const moduleNameRvaOffsets: number[] = [];
  moduleNames.forEach((_, i) => {
    const o = 4 + i * 108;
    const image = i === 0 ? options.image : undefined;
    modules.writeBigUInt64LE(IMAGE_BASE + BigInt(i) * 0x1000000n, o);
    modules.writeUInt32LE(image ? image.sizeOfImage : 0x10000 * (i + 1), o + 8);
    modules.writeUInt32LE(image ? image.timeDateStamp : 0x5f000000 + i, o + 16);
    modules.writeUInt32LE(nameRvas[i]!, o + 20);
    modules.writeUInt32LE(0xfeef04bd, o + 24);
    modules.writeUInt32LE((10 << 16) | 0, o + 32); // file version 10.0.19041.(i)
    modules.writeUInt32LE((19041 << 16) | i, o + 36);
    modules.writeUInt32LE(cv.length, o + 76);
    modules.writeUInt32LE(cvRva, o + 80);
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

  const excContext = Buffer.alloc(AMD64_CONTEXT_BYTES);
  AMD64_GPR_ORDER.forEach((_, k) => excContext.writeBigUInt64LE(0x1000n + BigInt(k), AMD64_GPR_OFFSET + k * 8));
  const excContextRva = place(excContext);
  const exception = Buffer.alloc(168);
  exception.writeUInt32LE(0x100 + Math.max(0, threadCount - 1) * 4, 0); // the last thread crashed
  exception.writeUInt32LE(0xc0000005, 8);
  exception.writeBigUInt64LE(0x140001234n, 24);
  exception.writeUInt32LE(2, 32);
  exception.writeBigUInt64LE(1n, 40);
  exception.writeBigUInt64LE(0xdeadn, 48);
  exception.writeUInt32LE(excContext.length, 160);
  exception.writeUInt32LE(excContextRva, 164);
  const exceptionRva = place(exception);

  const sideCountOffsets: number[] = [];
  const threadInfo = Buffer.alloc(12 + threadCount * 64);
  threadInfo.writeUInt32LE(12, 0);
  threadInfo.writeUInt32LE(64, 4);
  threadInfo.writeUInt32LE(threadCount, 8);
  for (let i = 0; i < threadCount; i++) {
    const o = 12 + i * 64;
    threadInfo.writeUInt32LE(0x100 + i * 4, o);
    threadInfo.writeBigUInt64LE(133_000_000_000_000_000n, o + 16); // create time (FILETIME)
    threadInfo.writeBigUInt64LE(BigInt(i) * 10_000n, o + 32); // kernel: i ms
    threadInfo.writeBigUInt64LE(BigInt(i) * 20_000n, o + 40); // user: 2i ms
    threadInfo.writeBigUInt64LE(0x140001000n, o + 48);
  }
  const threadInfoRva = place(threadInfo);
  sideCountOffsets.push(threadInfoRva + 8);

  const threadNames = Buffer.alloc(4 + threadCount * 12);
  threadNames.writeUInt32LE(threadCount, 0);
  const threadNamesRva = place(threadNames);
  sideCountOffsets.push(threadNamesRva);
  for (let i = 0; i < threadCount; i++) {
    const text = Buffer.from(`worker ${i}`, 'utf16le');
    const str = Buffer.alloc(4 + text.length);
    str.writeUInt32LE(text.length, 0);
    text.copy(str, 4);
    threadNames.writeUInt32LE(0x100 + i * 4, 4 + i * 12);
    threadNames.writeBigUInt64LE(BigInt(place(str)), 8 + i * 12);
  }

  const unloadedName = Buffer.alloc(4 + 14);
  unloadedName.writeUInt32LE(14, 0);
  unloadedName.write('old.dll', 4, 'utf16le');
  const unloadedNameRva = place(unloadedName);
  const unloaded = Buffer.alloc(12 + 24);
  unloaded.writeUInt32LE(12, 0);
  unloaded.writeUInt32LE(24, 4);
  unloaded.writeUInt32LE(1, 8);
  unloaded.writeBigUInt64LE(0x150000000n, 12);
  unloaded.writeUInt32LE(0x8000, 20);
  unloaded.writeUInt32LE(unloadedNameRva, 32);
  const unloadedRva = place(unloaded);
  sideCountOffsets.push(unloadedRva + 8);

  const memInfo = Buffer.alloc(16 + 2 * 48);
  memInfo.writeUInt32LE(16, 0);
  memInfo.writeUInt32LE(48, 4);
  memInfo.writeBigUInt64LE(2n, 8);
  memInfo.writeBigUInt64LE(0x30000n, 16);
  memInfo.writeBigUInt64LE(0x10000n, 16 + 24);
  memInfo.writeUInt32LE(0x1000, 16 + 32);
  memInfo.writeUInt32LE(0x04, 16 + 36);
  memInfo.writeUInt32LE(0x20000, 16 + 40);
  memInfo.writeBigUInt64LE(IMAGE_BASE, 64);
  memInfo.writeBigUInt64LE(0x6000n, 64 + 24);
  memInfo.writeUInt32LE(0x1000, 64 + 32);
  memInfo.writeUInt32LE(0x20, 64 + 36);
  memInfo.writeUInt32LE(0x1000000, 64 + 40);
  const memInfoRva = place(memInfo);
  sideCountOffsets.push(memInfoRva + 8);

  const typeName = Buffer.alloc(4 + 10);
  typeName.writeUInt32LE(10, 0);
  typeName.write('Event', 4, 'utf16le');
  const typeNameRva = place(typeName);
  const handles = Buffer.alloc(16 + 2 * 32);
  handles.writeUInt32LE(16, 0);
  handles.writeUInt32LE(32, 4);
  handles.writeUInt32LE(2, 8);
  for (let i = 0; i < 2; i++) {
    handles.writeBigUInt64LE(BigInt(4 + i * 4), 16 + i * 32);
    handles.writeUInt32LE(typeNameRva, 16 + i * 32 + 8);
    handles.writeUInt32LE(1, 16 + i * 32 + 24);
  }
  const handlesRva = place(handles);
  sideCountOffsets.push(handlesRva + 8);

  const token = Buffer.alloc(16);
  token.writeUInt32LE(16, 0);
  token.writeUInt32LE(1, 4);
  token.writeUInt32LE(16, 8);
  token.writeUInt32LE(16, 12);
  const tokenRva = place(token);

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
    if (i === 0 && options.thread0) options.thread0.stack.copy(page);
    const rva = place(page);
    const o = 4 + i * 16;
    memList.writeBigUInt64LE(start, o);
    memList.writeUInt32LE(pageBytes, o + 8);
    memList.writeUInt32LE(rva, o + 12);
    memoryDescriptorOffsets.push(memListRva + o + 8);
    ranges.push({ start, dataBytes: pageBytes });
  }

  // Memory64List: one base RVA, then the pages back to back (how full dumps hold memory).
  const image = options.image?.image;
  const mem64 = Buffer.alloc(16 + (memory64Pages + (image ? 1 : 0)) * 16);
  const mem64Rva = place(mem64);
  mem64.writeBigUInt64LE(BigInt(memory64Pages + (image ? 1 : 0)), 0);
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
  if (image) {
    mem64.writeBigUInt64LE(IMAGE_BASE, 16 + memory64Pages * 16);
    mem64.writeBigUInt64LE(BigInt(image.length), 24 + memory64Pages * 16);
    place(image);
    ranges.push({ start: IMAGE_BASE, dataBytes: image.length });
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
    [StreamType.ThreadInfoList, threadInfo.length, threadInfoRva],
    [StreamType.ThreadNames, threadNames.length, threadNamesRva],
    [StreamType.UnloadedModuleList, unloaded.length, unloadedRva],
    [StreamType.MemoryInfoList, memInfo.length, memInfoRva],
    [StreamType.HandleData, handles.length, handlesRva],
    [StreamType.Token, token.length, tokenRva],
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
      sideCountOffsets,
    },
    ranges,
  };
}
