/*
 * Our MDMP reader: header, stream directory and the streams the analysis report needs — SystemInfo, ThreadList
 * with each thread's AMD64 CONTEXT, ThreadInfoList (CPU times, start address), ThreadNames, ModuleList (CodeView
 * PDB70 identity, VS_FIXEDFILEINFO version), UnloadedModuleList, Exception, MemoryList and Memory64List (one
 * sorted interval index over both), MemoryInfoList, MiscInfo (pid, create time), HandleData, and whether a Token
 * stream is there — plus byte reads by virtual address. Pure Node (no koffi), so it runs on any OS against any
 * dump file; every read is positional through a small page cache (elf/byte-source.ts), never the whole file, and
 * checked against the file size: a malformed core stream throws MinidumpFormatError with a sentence, a malformed
 * optional stream (handles, names, memory info, tokens...) is left out and named in `problems`.
 */
import { FileByteSource } from '../elf/byte-source';
import {
  AMD64_CONTEXT_FLAGS_OFFSET, AMD64_GPR_OFFSET, AMD64_GPR_ORDER, CV_SIGNATURE_RSDS, DIRECTORY_ENTRY_BYTES,
  EXCEPTION_STREAM_BYTES, fileTimeToMs, HANDLE_DESCRIPTOR_BYTES, HEADER_BYTES, MDMP_SIGNATURE, MDMP_VERSION,
  MEMORY64_DESCRIPTOR_BYTES, MEMORY_DESCRIPTOR_BYTES, MEMORY_INFO_BYTES, MISC1_PROCESS_ID, MISC1_PROCESS_TIMES,
  MODULE_BYTES, PROCESSOR_ARCHITECTURE_AMD64, StreamType, streamTypeName, THREAD_BYTES, THREAD_INFO_BYTES,
  THREAD_NAME_BYTES, UNLOADED_MODULE_BYTES, VS_FFI_SIGNATURE, type Amd64Register,
} from './minidump-format';

export class MinidumpFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MinidumpFormatError';
  }
}

export interface MinidumpStream { type: number; name: string; rva: number; dataBytes: number }
export type Amd64Context = Record<Amd64Register, bigint> & { contextFlags: number };
export interface MinidumpThread {
  threadId: number;
  suspendCount: number;
  priority: number;
  tebAddress: bigint;
  stackStart: bigint;
  stackBytes: number;
  /** The thread's AMD64 registers; null when the dump is not AMD64 or the context is too short. */
  context: Amd64Context | null;
}
export interface MinidumpThreadInfo {
  threadId: number;
  dumpFlags: number;
  dumpError: number;
  exitStatus: number;
  /** Epoch ms, null when 0. */
  createTimeMs: number | null;
  exitTimeMs: number | null;
  /** CPU times in ms (the stream stores 100 ns units). */
  kernelMs: number;
  userMs: number;
  startAddress: bigint;
  affinity: bigint;
}
export interface MinidumpFileVersion { fileVersion: string; productVersion: string; fileFlags: number; fileOs: number; fileType: number }
export interface MinidumpCodeView { guid: string; age: number; pdbName: string }
export interface MinidumpModule {
  baseAddress: bigint;
  sizeBytes: number;
  checksum: number;
  timeDateStamp: number;
  path: string;
  name: string;
  /** VS_FIXEDFILEINFO when the writer filled it in (dwSignature 0xFEEF04BD). */
  version: MinidumpFileVersion | null;
  /** CodeView PDB 7.0 record (RSDS): the PDB's identity, as symbol servers key it. */
  codeView: MinidumpCodeView | null;
}
export interface MinidumpUnloadedModule { baseAddress: bigint; sizeBytes: number; checksum: number; timeDateStamp: number; path: string; name: string }
export interface MinidumpMemoryRange { start: bigint; dataBytes: number; fileOffset: number }
export interface MinidumpMemoryInfo {
  baseAddress: bigint;
  allocationBase: bigint;
  allocationProtect: number;
  regionBytes: bigint;
  /** MEM_COMMIT 0x1000, MEM_RESERVE 0x2000, MEM_FREE 0x10000. */
  state: number;
  /** PAGE_* flags: PAGE_EXECUTE_READ 0x20 … */
  protect: number;
  /** MEM_PRIVATE 0x20000, MEM_MAPPED 0x40000, MEM_IMAGE 0x1000000. */
  type: number;
}
export interface MinidumpSystemInfo {
  processorArchitecture: number;
  processorLevel: number;
  processorRevision: number;
  processorCount: number;
  productType: number;
  majorVersion: number;
  minorVersion: number;
  buildNumber: number;
  platformId: number;
  /** The service pack string (CSDVersionRva), '' when none. */
  csdVersion: string;
}
export interface MinidumpMiscInfo {
  processId: number | null;
  /** Epoch ms (ProcessCreateTime is seconds since 1970). */
  processCreateTimeMs: number | null;
  processUserSeconds: number | null;
  processKernelSeconds: number | null;
}
export interface MinidumpException {
  threadId: number;
  code: number;
  flags: number;
  address: bigint;
  parameters: bigint[];
  /** The context of the faulting instruction, when the stream holds one. */
  context: Amd64Context | null;
}
export interface MinidumpHandle { handle: bigint; typeName: string | null; objectName: string | null; attributes: number; grantedAccess: number; handleCount: number; pointerCount: number }
export interface MinidumpToken { entries: number; dataBytes: number }

export interface Minidump {
  fileBytes: number;
  timeDateStamp: number;
  flags: bigint;
  streams: MinidumpStream[];
  threads: MinidumpThread[];
  /** By thread id; empty without a ThreadInfoList. */
  threadInfo: Map<number, MinidumpThreadInfo>;
  /** By thread id; empty without a ThreadNames stream. */
  threadNames: Map<number, string>;
  modules: MinidumpModule[];
  unloadedModules: MinidumpUnloadedModule[];
  /** MemoryList and Memory64List ranges, sorted by address. */
  memory: MinidumpMemoryRange[];
  memoryInfo: MinidumpMemoryInfo[] | null;
  systemInfo: MinidumpSystemInfo | null;
  miscInfo: MinidumpMiscInfo | null;
  processId: number | null;
  exception: MinidumpException | null;
  handles: MinidumpHandle[] | null;
  token: MinidumpToken | null;
  /** Optional streams that were malformed and left out, one sentence each. */
  problems: string[];
  /** The dumped range holding `address`, or null. */
  rangeAt(address: bigint): MinidumpMemoryRange | null;
  /** Reads `length` bytes at a virtual address of the dumped process, or null if the dump does not hold them all. */
  readMemory(address: bigint, length: number): Promise<Buffer | null>;
  close(): Promise<void>;
}

const MAX_COUNT = 1_000_000;
const MAX_STRING_BYTES = 65536;
const fail = (message: string): Error => new MinidumpFormatError(message);
type Src = FileByteSource;

async function readString(src: Src, rva: number, what: string): Promise<string> {
  const len = (await src.read(rva, 4, `${what}'s length`)).readUInt32LE(0);
  if (len > MAX_STRING_BYTES) throw new MinidumpFormatError(`${what} of ${len} bytes is not plausible.`);
  return (await src.read(rva + 4, len & ~1, what)).toString('utf16le');
}

/** Reads a list stream's fixed-size entries after `headerBytes`, checking the count against the stream. */
async function entries(src: Src, s: MinidumpStream, headerBytes: number, count: number, entryBytes: number): Promise<Buffer> {
  if (count > MAX_COUNT || headerBytes + count * entryBytes > s.dataBytes) throw new MinidumpFormatError(`${s.name} claims ${count} entries, more than its ${s.dataBytes}-byte stream holds.`);
  return src.read(s.rva + headerBytes, count * entryBytes, s.name);
}

/** The header of the "SizeOfHeader, SizeOfEntry, NumberOfEntries" lists (ThreadInfo, UnloadedModule, MemoryInfo). */
async function sizedListHeader(src: Src, s: MinidumpStream, count64: boolean, minEntry: number): Promise<{ headerBytes: number; entryBytes: number; count: number }> {
  const h = await src.read(s.rva, count64 ? 16 : 12, `${s.name}'s header`);
  const headerBytes = h.readUInt32LE(0);
  const entryBytes = h.readUInt32LE(4);
  const count = count64 ? Number(h.readBigUInt64LE(8)) : h.readUInt32LE(8);
  if (headerBytes < (count64 ? 16 : 12) || headerBytes > s.dataBytes) throw new MinidumpFormatError(`${s.name}'s header size ${headerBytes} is not plausible.`);
  if (entryBytes < minEntry || entryBytes > 4096) throw new MinidumpFormatError(`${s.name}'s entry size ${entryBytes} is smaller than the ${minEntry} bytes of one entry.`);
  return { headerBytes, entryBytes, count };
}

export function parseAmd64Context(b: Buffer): Amd64Context | null {
  if (b.length < AMD64_GPR_OFFSET + AMD64_GPR_ORDER.length * 8) return null;
  const ctx = { contextFlags: b.readUInt32LE(AMD64_CONTEXT_FLAGS_OFFSET) } as Amd64Context;
  AMD64_GPR_ORDER.forEach((r, i) => (ctx[r] = b.readBigUInt64LE(AMD64_GPR_OFFSET + i * 8)));
  return ctx;
}

async function readContext(src: Src, dataBytes: number, rva: number, amd64: boolean, what: string): Promise<Amd64Context | null> {
  if (!amd64 || dataBytes === 0) return null;
  return parseAmd64Context(await src.read(rva, Math.min(dataBytes, 0x100), what));
}

async function readThreads(src: Src, s: MinidumpStream, amd64: boolean): Promise<MinidumpThread[]> {
  const count = (await src.read(s.rva, 4, 'ThreadList count')).readUInt32LE(0);
  const b = await entries(src, s, 4, count, THREAD_BYTES);
  const out: MinidumpThread[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * THREAD_BYTES;
    const threadId = b.readUInt32LE(o);
    out.push({
      threadId,
      suspendCount: b.readUInt32LE(o + 4),
      priority: b.readInt32LE(o + 12),
      tebAddress: b.readBigUInt64LE(o + 16),
      stackStart: b.readBigUInt64LE(o + 24),
      stackBytes: b.readUInt32LE(o + 32),
      context: await readContext(src, b.readUInt32LE(o + 40), b.readUInt32LE(o + 44), amd64, `the context of thread ${threadId}`),
    });
  }
  return out;
}

function fixedFileInfo(b: Buffer, o: number): MinidumpFileVersion | null {
  if (b.readUInt32LE(o) !== VS_FFI_SIGNATURE) return null;
  const v = (ms: number, ls: number): string => `${ms >>> 16}.${ms & 0xffff}.${ls >>> 16}.${ls & 0xffff}`;
  return {
    fileVersion: v(b.readUInt32LE(o + 8), b.readUInt32LE(o + 12)),
    productVersion: v(b.readUInt32LE(o + 16), b.readUInt32LE(o + 20)),
    fileFlags: b.readUInt32LE(o + 24) & b.readUInt32LE(o + 28),
    fileOs: b.readUInt32LE(o + 32),
    fileType: b.readUInt32LE(o + 36),
  };
}

function guidString(b: Buffer, o: number): string {
  const hex = (from: number, to: number): string => b.subarray(o + from, o + to).toString('hex');
  return `${b.readUInt32LE(o).toString(16).padStart(8, '0')}-${b.readUInt16LE(o + 4).toString(16).padStart(4, '0')}-${b.readUInt16LE(o + 6).toString(16).padStart(4, '0')}-${hex(8, 10)}-${hex(10, 16)}`.toUpperCase();
}

async function readCodeView(src: Src, dataBytes: number, rva: number, module: string): Promise<MinidumpCodeView | null> {
  if (dataBytes < 24 || dataBytes > 4096) return null;
  const b = await src.read(rva, dataBytes, `${module}'s CodeView record`);
  if (b.readUInt32LE(0) !== CV_SIGNATURE_RSDS) return null;
  const end = b.indexOf(0, 24);
  return { guid: guidString(b, 4), age: b.readUInt32LE(20), pdbName: b.subarray(24, end < 0 ? b.length : end).toString('utf8') };
}

const baseName = (path: string): string => path.split(/[\\/]/).pop() ?? path;

async function readModules(src: Src, s: MinidumpStream): Promise<MinidumpModule[]> {
  const count = (await src.read(s.rva, 4, 'ModuleList count')).readUInt32LE(0);
  const b = await entries(src, s, 4, count, MODULE_BYTES);
  const out: MinidumpModule[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * MODULE_BYTES;
    const path = await readString(src, b.readUInt32LE(o + 20), `module ${i}'s name`);
    const name = baseName(path);
    out.push({
      baseAddress: b.readBigUInt64LE(o),
      sizeBytes: b.readUInt32LE(o + 8),
      checksum: b.readUInt32LE(o + 12),
      timeDateStamp: b.readUInt32LE(o + 16),
      path,
      name,
      version: fixedFileInfo(b, o + 24),
      codeView: await readCodeView(src, b.readUInt32LE(o + 76), b.readUInt32LE(o + 80), name),
    });
  }
  return out;
}

async function readUnloadedModules(src: Src, s: MinidumpStream): Promise<MinidumpUnloadedModule[]> {
  const h = await sizedListHeader(src, s, false, UNLOADED_MODULE_BYTES);
  const b = await entries(src, s, h.headerBytes, h.count, h.entryBytes);
  const out: MinidumpUnloadedModule[] = [];
  for (let i = 0; i < h.count; i++) {
    const o = i * h.entryBytes;
    const path = await readString(src, b.readUInt32LE(o + 20), `unloaded module ${i}'s name`);
    out.push({ baseAddress: b.readBigUInt64LE(o), sizeBytes: b.readUInt32LE(o + 8), checksum: b.readUInt32LE(o + 12), timeDateStamp: b.readUInt32LE(o + 16), path, name: baseName(path) });
  }
  return out;
}

async function readThreadInfo(src: Src, s: MinidumpStream): Promise<Map<number, MinidumpThreadInfo>> {
  const h = await sizedListHeader(src, s, false, THREAD_INFO_BYTES);
  const b = await entries(src, s, h.headerBytes, h.count, h.entryBytes);
  const out = new Map<number, MinidumpThreadInfo>();
  for (let i = 0; i < h.count; i++) {
    const o = i * h.entryBytes;
    const threadId = b.readUInt32LE(o);
    out.set(threadId, {
      threadId,
      dumpFlags: b.readUInt32LE(o + 4),
      dumpError: b.readUInt32LE(o + 8),
      exitStatus: b.readUInt32LE(o + 12),
      createTimeMs: fileTimeToMs(b.readBigUInt64LE(o + 16)),
      exitTimeMs: fileTimeToMs(b.readBigUInt64LE(o + 24)),
      kernelMs: Number(b.readBigUInt64LE(o + 32) / 10_000n),
      userMs: Number(b.readBigUInt64LE(o + 40) / 10_000n),
      startAddress: b.readBigUInt64LE(o + 48),
      affinity: b.readBigUInt64LE(o + 56),
    });
  }
  return out;
}

async function readThreadNames(src: Src, s: MinidumpStream): Promise<Map<number, string>> {
  const count = (await src.read(s.rva, 4, 'ThreadNames count')).readUInt32LE(0);
  const b = await entries(src, s, 4, count, THREAD_NAME_BYTES);
  const out = new Map<number, string>();
  for (let i = 0; i < count; i++) {
    const rva = b.readBigUInt64LE(i * THREAD_NAME_BYTES + 4);
    if (rva > BigInt(src.size)) throw new MinidumpFormatError(`Thread name ${i} lies outside the file.`);
    out.set(b.readUInt32LE(i * THREAD_NAME_BYTES), await readString(src, Number(rva), `thread name ${i}`));
  }
  return out;
}

async function readMemoryList(src: Src, s: MinidumpStream): Promise<MinidumpMemoryRange[]> {
  const count = (await src.read(s.rva, 4, 'MemoryList count')).readUInt32LE(0);
  const b = await entries(src, s, 4, count, MEMORY_DESCRIPTOR_BYTES);
  return Array.from({ length: count }, (_, i) => {
    const r = { start: b.readBigUInt64LE(i * 16), dataBytes: b.readUInt32LE(i * 16 + 8), fileOffset: b.readUInt32LE(i * 16 + 12) };
    if (r.fileOffset + r.dataBytes > src.size) throw new MinidumpFormatError(`MemoryList range ${i} runs past the end of the file.`);
    return r;
  });
}

async function readMemory64List(src: Src, s: MinidumpStream): Promise<MinidumpMemoryRange[]> {
  const head = await src.read(s.rva, 16, 'Memory64List header');
  const count = head.readBigUInt64LE(0);
  if (count > BigInt(MAX_COUNT)) throw new MinidumpFormatError(`Memory64List claims ${count} ranges, more than its stream holds.`);
  let fileOffset = Number(head.readBigUInt64LE(8));
  const b = await entries(src, s, 16, Number(count), MEMORY64_DESCRIPTOR_BYTES);
  const out: MinidumpMemoryRange[] = [];
  for (let i = 0; i < Number(count); i++) {
    const dataBytes = Number(b.readBigUInt64LE(i * 16 + 8));
    out.push({ start: b.readBigUInt64LE(i * 16), dataBytes, fileOffset });
    fileOffset += dataBytes;
    if (fileOffset > src.size) throw new MinidumpFormatError('Memory64List data runs past the end of the file.');
  }
  return out;
}

async function readMemoryInfo(src: Src, s: MinidumpStream): Promise<MinidumpMemoryInfo[]> {
  const h = await sizedListHeader(src, s, true, MEMORY_INFO_BYTES);
  const b = await entries(src, s, h.headerBytes, h.count, h.entryBytes);
  return Array.from({ length: h.count }, (_, i) => {
    const o = i * h.entryBytes;
    return {
      baseAddress: b.readBigUInt64LE(o),
      allocationBase: b.readBigUInt64LE(o + 8),
      allocationProtect: b.readUInt32LE(o + 16),
      regionBytes: b.readBigUInt64LE(o + 24),
      state: b.readUInt32LE(o + 32),
      protect: b.readUInt32LE(o + 36),
      type: b.readUInt32LE(o + 40),
    };
  });
}

async function readSystemInfo(src: Src, s: MinidumpStream): Promise<MinidumpSystemInfo> {
  if (s.dataBytes < 32) throw new MinidumpFormatError(`SystemInfo is ${s.dataBytes} bytes, less than the 32 of its fixed part.`);
  const b = await src.read(s.rva, 32, 'SystemInfo');
  const csdRva = b.readUInt32LE(24);
  let csdVersion = '';
  if (csdRva !== 0) csdVersion = await readString(src, csdRva, 'the service pack string');
  return {
    processorArchitecture: b.readUInt16LE(0), processorLevel: b.readUInt16LE(2), processorRevision: b.readUInt16LE(4),
    processorCount: b.readUInt8(6), productType: b.readUInt8(7),
    majorVersion: b.readUInt32LE(8), minorVersion: b.readUInt32LE(12), buildNumber: b.readUInt32LE(16), platformId: b.readUInt32LE(20),
    csdVersion,
  };
}

async function readMiscInfo(src: Src, s: MinidumpStream): Promise<MinidumpMiscInfo> {
  if (s.dataBytes < 12) throw new MinidumpFormatError(`MiscInfo is ${s.dataBytes} bytes, less than the 12 that hold the process id.`);
  const b = await src.read(s.rva, Math.min(s.dataBytes, 24), 'MiscInfo');
  const flags = b.readUInt32LE(4);
  // MINIDUMP_MISC_INFO is 24 bytes; a shorter stream can still carry the pid.
  const times = (flags & MISC1_PROCESS_TIMES) !== 0 && b.length >= 24;
  return {
    processId: flags & MISC1_PROCESS_ID ? b.readUInt32LE(8) : null,
    processCreateTimeMs: times && b.readUInt32LE(12) ? b.readUInt32LE(12) * 1000 : null,
    processUserSeconds: times ? b.readUInt32LE(16) : null,
    processKernelSeconds: times ? b.readUInt32LE(20) : null,
  };
}

async function readException(src: Src, s: MinidumpStream, amd64: boolean): Promise<MinidumpException> {
  if (s.dataBytes < EXCEPTION_STREAM_BYTES) throw new MinidumpFormatError(`The Exception stream is ${s.dataBytes} bytes, less than the ${EXCEPTION_STREAM_BYTES} of MINIDUMP_EXCEPTION_STREAM.`);
  const b = await src.read(s.rva, EXCEPTION_STREAM_BYTES, 'the Exception stream');
  const n = Math.min(b.readUInt32LE(32), 15);
  return {
    threadId: b.readUInt32LE(0),
    code: b.readUInt32LE(8),
    flags: b.readUInt32LE(12),
    address: b.readBigUInt64LE(24),
    parameters: Array.from({ length: n }, (_, i) => b.readBigUInt64LE(40 + i * 8)),
    context: await readContext(src, b.readUInt32LE(160), b.readUInt32LE(164), amd64, 'the exception context'),
  };
}

async function readHandles(src: Src, s: MinidumpStream): Promise<MinidumpHandle[]> {
  const h = await src.read(s.rva, 16, 'HandleData header');
  const headerBytes = h.readUInt32LE(0);
  const entryBytes = h.readUInt32LE(4);
  const count = h.readUInt32LE(8);
  if (headerBytes < 16 || headerBytes > s.dataBytes || entryBytes < HANDLE_DESCRIPTOR_BYTES || entryBytes > 4096) throw new MinidumpFormatError(`HandleData's header (${headerBytes}, ${entryBytes}) is not plausible.`);
  const b = await entries(src, s, headerBytes, count, entryBytes);
  const names = new Map<number, string>(); // type names repeat: one read each
  const name = async (rva: number, what: string): Promise<string | null> => {
    if (rva === 0) return null;
    let v = names.get(rva);
    if (v === undefined) names.set(rva, (v = await readString(src, rva, what)));
    return v;
  };
  const out: MinidumpHandle[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * entryBytes;
    out.push({
      handle: b.readBigUInt64LE(o),
      typeName: await name(b.readUInt32LE(o + 8), `handle ${i}'s type name`),
      objectName: await name(b.readUInt32LE(o + 12), `handle ${i}'s object name`),
      attributes: b.readUInt32LE(o + 16),
      grantedAccess: b.readUInt32LE(o + 20),
      handleCount: b.readUInt32LE(o + 24),
      pointerCount: b.readUInt32LE(o + 28),
    });
  }
  return out;
}

async function readToken(src: Src, s: MinidumpStream): Promise<MinidumpToken> {
  if (s.dataBytes < 16) throw new MinidumpFormatError(`The Token stream is ${s.dataBytes} bytes, less than its 16-byte header.`);
  const h = await src.read(s.rva, 16, 'the Token stream header');
  return { entries: h.readUInt32LE(4), dataBytes: s.dataBytes };
}

/** Sorted, non-overlapping ranges (a later duplicate of an address is dropped) for binary search. */
function indexRanges(ranges: MinidumpMemoryRange[]): MinidumpMemoryRange[] {
  const sorted = ranges.filter((r) => r.dataBytes > 0).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: MinidumpMemoryRange[] = [];
  for (const r of sorted) {
    const last = out.at(-1);
    if (last && r.start < last.start + BigInt(last.dataBytes)) continue;
    out.push(r);
  }
  return out;
}

export async function openMinidump(path: string): Promise<Minidump> {
  const src = await FileByteSource.open(path, fail);
  try {
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
    const problems: string[] = [];
    /** Optional streams: a malformed one is named in `problems` instead of refusing the whole dump. */
    const optional = async <T>(t: number, parse: (s: MinidumpStream) => Promise<T>): Promise<T | null> => {
      const s = find(t);
      if (!s) return null;
      try {
        return await parse(s);
      } catch (err) {
        if (!(err instanceof MinidumpFormatError)) throw err;
        problems.push(`${s.name} was left out: ${err.message}`);
        return null;
      }
    };
    const sysStream = find(StreamType.SystemInfo);
    const systemInfo = sysStream ? await readSystemInfo(src, sysStream) : null;
    // Without SystemInfo, assume AMD64: the only architecture our writer produces.
    const amd64 = (systemInfo?.processorArchitecture ?? PROCESSOR_ARCHITECTURE_AMD64) === PROCESSOR_ARCHITECTURE_AMD64;
    const threadStream = find(StreamType.ThreadList);
    const moduleStream = find(StreamType.ModuleList);
    const memStream = find(StreamType.MemoryList);
    const mem64Stream = find(StreamType.Memory64List);
    const excStream = find(StreamType.Exception);
    const memory = indexRanges([
      ...(memStream ? await readMemoryList(src, memStream) : []),
      ...(mem64Stream ? await readMemory64List(src, mem64Stream) : []),
    ]);
    const miscInfo = await optional(StreamType.MiscInfo, (s) => readMiscInfo(src, s));
    const threads = threadStream ? await readThreads(src, threadStream, amd64) : [];
    const modules = moduleStream ? await readModules(src, moduleStream) : [];
    const exception = excStream ? await readException(src, excStream, amd64) : null;
    const threadInfo = (await optional(StreamType.ThreadInfoList, (s) => readThreadInfo(src, s))) ?? new Map<number, MinidumpThreadInfo>();
    const threadNames = (await optional(StreamType.ThreadNames, (s) => readThreadNames(src, s))) ?? new Map<number, string>();
    const unloadedModules = (await optional(StreamType.UnloadedModuleList, (s) => readUnloadedModules(src, s))) ?? [];
    const memoryInfo = await optional(StreamType.MemoryInfoList, (s) => readMemoryInfo(src, s));
    const handles = await optional(StreamType.HandleData, (s) => readHandles(src, s));
    const token = await optional(StreamType.Token, (s) => readToken(src, s));

    const rangeAt = (address: bigint): MinidumpMemoryRange | null => {
      let lo = 0;
      let hi = memory.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const r = memory[mid]!;
        if (address < r.start) hi = mid - 1;
        else if (address >= r.start + BigInt(r.dataBytes)) lo = mid + 1;
        else return r;
      }
      return null;
    };
    return {
      fileBytes: src.size,
      timeDateStamp: h.readUInt32LE(20),
      flags: h.readBigUInt64LE(24),
      streams,
      threads,
      threadInfo,
      threadNames,
      modules,
      unloadedModules,
      memory,
      memoryInfo,
      systemInfo,
      miscInfo,
      processId: miscInfo?.processId ?? null,
      exception,
      handles,
      token,
      problems,
      rangeAt,
      async readMemory(address, length) {
        // BigInt(length) below throws its own cryptic RangeError for NaN or 1.5; a caller gets a sentence instead.
        if (typeof address !== 'bigint') throw new TypeError(`readMemory takes the address as a bigint, not a ${typeof address}.`);
        if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`readMemory needs a whole, non-negative number of bytes, not ${length}.`);
        // A read may cross from one dumped range into the next when they are adjacent (a full dump's regions).
        const parts: Buffer[] = [];
        let at = address;
        let left = length;
        while (left > 0) {
          const r = rangeAt(at);
          if (!r) return null;
          const n = Math.min(left, Number(r.start + BigInt(r.dataBytes) - at));
          parts.push(await src.read(r.fileOffset + Number(at - r.start), n, 'memory'));
          at += BigInt(n);
          left -= n;
        }
        return length === 0 ? (rangeAt(address) ? Buffer.alloc(0) : null) : parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      },
      close: () => src.close(),
    };
  } catch (err) {
    await src.close();
    throw err;
  }
}
