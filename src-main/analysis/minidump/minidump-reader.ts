/*
 * Our MDMP reader: header, stream directory, threads, modules, memory ranges (MemoryList and Memory64List), system
 * and misc info, and byte reads by virtual address. Pure Node (no koffi), so it runs on any OS against any dump
 * file; it checks every offset against the file size and throws MinidumpFormatError instead of reading past it.
 * The analysis issue builds its report on it.
 */
import { open, type FileHandle } from 'node:fs/promises';
import {
  DIRECTORY_ENTRY_BYTES, HEADER_BYTES, MDMP_SIGNATURE, MDMP_VERSION, MEMORY64_DESCRIPTOR_BYTES,
  MEMORY_DESCRIPTOR_BYTES, MODULE_BYTES, StreamType, streamTypeName, THREAD_BYTES,
} from './minidump-format';

export class MinidumpFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MinidumpFormatError';
  }
}

export interface MinidumpStream { type: number; name: string; rva: number; dataBytes: number }
export interface MinidumpThread { threadId: number; suspendCount: number; priority: number; tebAddress: bigint; stackStart: bigint; stackBytes: number }
export interface MinidumpModule { baseAddress: bigint; sizeBytes: number; timeDateStamp: number; path: string; name: string }
export interface MinidumpMemoryRange { start: bigint; dataBytes: number; fileOffset: number }
export interface MinidumpSystemInfo { processorArchitecture: number; processorCount: number; majorVersion: number; minorVersion: number; buildNumber: number }

export interface Minidump {
  fileBytes: number;
  timeDateStamp: number;
  flags: bigint;
  streams: MinidumpStream[];
  threads: MinidumpThread[];
  modules: MinidumpModule[];
  memory: MinidumpMemoryRange[];
  systemInfo: MinidumpSystemInfo | null;
  processId: number | null;
  /** Reads `length` bytes at a virtual address of the dumped process, or null if the dump does not hold them all. */
  readMemory(address: bigint, length: number): Promise<Buffer | null>;
  close(): Promise<void>;
}

class Source {
  constructor(readonly fh: FileHandle, readonly size: number) {}
  async read(offset: number, length: number, what: string): Promise<Buffer> {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new MinidumpFormatError(`${what} (${length} bytes at ${offset}) lies outside the ${this.size}-byte file.`);
    }
    const buf = Buffer.alloc(length);
    const { bytesRead } = await this.fh.read(buf, 0, length, offset);
    if (bytesRead !== length) throw new MinidumpFormatError(`Short read of ${what}.`);
    return buf;
  }
}

const MAX_COUNT = 1_000_000;

async function readString(src: Source, rva: number): Promise<string> {
  const len = (await src.read(rva, 4, 'a string length')).readUInt32LE(0);
  if (len > 65536) throw new MinidumpFormatError(`A module name of ${len} bytes is not plausible.`);
  return (await src.read(rva + 4, len, 'a string')).toString('utf16le');
}

async function readThreads(src: Source, s: MinidumpStream): Promise<MinidumpThread[]> {
  const count = (await src.read(s.rva, 4, 'ThreadList count')).readUInt32LE(0);
  if (count > MAX_COUNT || 4 + count * THREAD_BYTES > s.dataBytes) throw new MinidumpFormatError('ThreadList is larger than its stream.');
  const b = await src.read(s.rva + 4, count * THREAD_BYTES, 'ThreadList');
  return Array.from({ length: count }, (_, i) => {
    const o = i * THREAD_BYTES;
    return {
      threadId: b.readUInt32LE(o),
      suspendCount: b.readUInt32LE(o + 4),
      priority: b.readInt32LE(o + 12),
      tebAddress: b.readBigUInt64LE(o + 16),
      stackStart: b.readBigUInt64LE(o + 24),
      stackBytes: b.readUInt32LE(o + 32),
    };
  });
}

async function readModules(src: Source, s: MinidumpStream): Promise<MinidumpModule[]> {
  const count = (await src.read(s.rva, 4, 'ModuleList count')).readUInt32LE(0);
  if (count > MAX_COUNT || 4 + count * MODULE_BYTES > s.dataBytes) throw new MinidumpFormatError('ModuleList is larger than its stream.');
  const b = await src.read(s.rva + 4, count * MODULE_BYTES, 'ModuleList');
  const out: MinidumpModule[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * MODULE_BYTES;
    const path = await readString(src, b.readUInt32LE(o + 20));
    out.push({
      baseAddress: b.readBigUInt64LE(o),
      sizeBytes: b.readUInt32LE(o + 8),
      timeDateStamp: b.readUInt32LE(o + 16),
      path,
      name: path.split(/[\\/]/).pop() ?? path,
    });
  }
  return out;
}

async function readMemoryList(src: Source, s: MinidumpStream): Promise<MinidumpMemoryRange[]> {
  const count = (await src.read(s.rva, 4, 'MemoryList count')).readUInt32LE(0);
  if (count > MAX_COUNT || 4 + count * MEMORY_DESCRIPTOR_BYTES > s.dataBytes) throw new MinidumpFormatError('MemoryList is larger than its stream.');
  const b = await src.read(s.rva + 4, count * MEMORY_DESCRIPTOR_BYTES, 'MemoryList');
  return Array.from({ length: count }, (_, i) => ({
    start: b.readBigUInt64LE(i * 16),
    dataBytes: b.readUInt32LE(i * 16 + 8),
    fileOffset: b.readUInt32LE(i * 16 + 12),
  }));
}

async function readMemory64List(src: Source, s: MinidumpStream): Promise<MinidumpMemoryRange[]> {
  const head = await src.read(s.rva, 16, 'Memory64List header');
  const count = Number(head.readBigUInt64LE(0));
  let fileOffset = Number(head.readBigUInt64LE(8));
  if (count > MAX_COUNT || 16 + count * MEMORY64_DESCRIPTOR_BYTES > s.dataBytes) throw new MinidumpFormatError('Memory64List is larger than its stream.');
  const b = await src.read(s.rva + 16, count * MEMORY64_DESCRIPTOR_BYTES, 'Memory64List');
  const out: MinidumpMemoryRange[] = [];
  for (let i = 0; i < count; i++) {
    const dataBytes = Number(b.readBigUInt64LE(i * 16 + 8));
    out.push({ start: b.readBigUInt64LE(i * 16), dataBytes, fileOffset });
    fileOffset += dataBytes;
  }
  if (fileOffset > src.size) throw new MinidumpFormatError('Memory64List data runs past the end of the file.');
  return out;
}

export async function openMinidump(path: string): Promise<Minidump> {
  const fh = await open(path, 'r');
  try {
    const src = new Source(fh, (await fh.stat()).size);
    if (src.size < HEADER_BYTES) throw new MinidumpFormatError('The file is too small to be a minidump.');
    const h = await src.read(0, HEADER_BYTES, 'the header');
    if (h.readUInt32LE(0) !== MDMP_SIGNATURE) throw new MinidumpFormatError('Not a minidump: the file does not start with MDMP.');
    if ((h.readUInt32LE(4) & 0xffff) !== MDMP_VERSION) throw new MinidumpFormatError('Unknown minidump version.');
    const count = h.readUInt32LE(8);
    if (count > 4096) throw new MinidumpFormatError(`${count} streams is not plausible.`);
    const dir = await src.read(h.readUInt32LE(12), count * DIRECTORY_ENTRY_BYTES, 'the stream directory');
    const streams: MinidumpStream[] = [];
    for (let i = 0; i < count; i++) {
      const type = dir.readUInt32LE(i * 12);
      if (type === StreamType.Unused) continue;
      const s = { type, name: streamTypeName(type), dataBytes: dir.readUInt32LE(i * 12 + 4), rva: dir.readUInt32LE(i * 12 + 8) };
      if (s.rva + s.dataBytes > src.size) throw new MinidumpFormatError(`Stream ${s.name} lies outside the file.`);
      streams.push(s);
    }
    const find = (t: number): MinidumpStream | undefined => streams.find((s) => s.type === t);
    const threadStream = find(StreamType.ThreadList);
    const moduleStream = find(StreamType.ModuleList);
    const memStream = find(StreamType.MemoryList);
    const mem64Stream = find(StreamType.Memory64List);
    const sysStream = find(StreamType.SystemInfo);
    const miscStream = find(StreamType.MiscInfo);
    const memory = [
      ...(memStream ? await readMemoryList(src, memStream) : []),
      ...(mem64Stream ? await readMemory64List(src, mem64Stream) : []),
    ].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    let systemInfo: MinidumpSystemInfo | null = null;
    if (sysStream && sysStream.dataBytes >= 24) {
      const b = await src.read(sysStream.rva, 24, 'SystemInfo');
      systemInfo = {
        processorArchitecture: b.readUInt16LE(0), processorCount: b.readUInt8(6),
        majorVersion: b.readUInt32LE(8), minorVersion: b.readUInt32LE(12), buildNumber: b.readUInt32LE(16),
      };
    }
    let processId: number | null = null;
    if (miscStream && miscStream.dataBytes >= 12) {
      const b = await src.read(miscStream.rva, 12, 'MiscInfo');
      if (b.readUInt32LE(4) & 1 /* MINIDUMP_MISC1_PROCESS_ID */) processId = b.readUInt32LE(8);
    }
    return {
      fileBytes: src.size,
      timeDateStamp: h.readUInt32LE(20),
      flags: h.readBigUInt64LE(24),
      streams,
      threads: threadStream ? await readThreads(src, threadStream) : [],
      modules: moduleStream ? await readModules(src, moduleStream) : [],
      memory,
      systemInfo,
      processId,
      async readMemory(address, length) {
        // BigInt(length) below throws its own cryptic RangeError for NaN or 1.5; a caller gets a sentence instead.
        if (typeof address !== 'bigint') throw new TypeError(`readMemory takes the address as a bigint, not a ${typeof address}.`);
        if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`readMemory needs a whole, non-negative number of bytes, not ${length}.`);
        const r = memory.find((m) => address >= m.start && address + BigInt(length) <= m.start + BigInt(m.dataBytes));
        return r ? src.read(r.fileOffset + Number(address - r.start), length, 'memory') : null;
      },
      close: () => fh.close(),
    };
  } catch (err) {
    await fh.close();
    throw err;
  }
}
