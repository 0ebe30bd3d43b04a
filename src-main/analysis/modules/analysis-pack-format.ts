/*
 * The analysis pack: what a mini core lacks to be unwound and named on another machine, written by Procscope beside
 * its own Linux cores (`<core>.pack`, src-main/dump/linux/analysis-pack.ts) and read by the module layer
 * (module-image.ts) between the core and local files. Per module only its identity (path, build id, load base), the
 * bytes of .eh_frame_hdr and .eh_frame at their module-relative addresses, and its function symbols (start, size,
 * name): no data sections, so nothing of the process's data beyond paths and names.
 *
 * Layout (little-endian), version 1: a 32-byte header — magic "PSCOPEPK", u32 version, u32 flags (0), u32 module
 * count, u32 CRC-32 of the body as stored, u64 body bytes after inflating — then the body, zlib-deflated: per module
 * u32 record bytes, u16 path bytes + path (UTF-8), u8 build-id bytes + build id, u64 base, u16 region count and per
 * region (u8 kind, u8 coding, u64 rva, u32 bytes, bytes), u32 symbol count, u32 name bytes + the names in symbol
 * order (each NUL-terminated), then per symbol, by ascending rva, LEB128 rva minus the previous one and LEB128 size.
 * Coding 1 (.eh_frame_hdr's sorted table of 4-byte pairs, which deflate barely shrinks: 0.6 of node's 0.8 MB) stores
 * each column after the 12-byte head as differences from the entry before; the reader undoes it. Every count and
 * length is checked against its limit and against what is left; a pack that breaks any rule throws
 * AnalysisPackError and is ignored by the reader as a whole.
 *
 * The same container is written beside Procscope's Windows minidumps (`<name>.dmp.pack`,
 * src-main/dump/win32/win32-analysis-pack.ts; entries built by modules/pe-pack.ts): path = the MINIDUMP_MODULE's
 * name, build id = TimeDateStamp + SizeOfImage (8 bytes), base = the module's base, regions of kind 3 (PE image
 * bytes at their RVAs), no symbols (the export directory is among the regions).
 */
import { crc32, deflateSync, inflateSync } from 'node:zlib';

/** The pack's name is the core's with this added: `<core>.pack`. */
export const PACK_SUFFIX = '.pack';
export const PACK_MAGIC = 'PSCOPEPK';
export const PACK_VERSION = 1;
const HEADER_BYTES = 32;

/** Limits a well-formed pack stays far below (node's own: ~5 MB of tables, ~200k symbols). */
export const PACK_LIMITS = {
  fileBytes: 64 * 2 ** 20,
  bodyBytes: 256 * 2 ** 20,
  modules: 4096,
  pathBytes: 4096,
  buildIdBytes: 64,
  /** A PE entry stores its UNWIND_INFO as merged spans (pe-pack.ts): node.exe needs a few hundred. */
  regions: 16_384,
  regionBytes: 64 * 2 ** 20,
  symbols: 4_000_000,
  nameBytes: 64 * 2 ** 20,
  nameLength: 1024,
} as const;

export const REGION_EH_FRAME_HDR = 1;
export const REGION_EH_FRAME = 2;
/** Bytes of a PE image at their RVA (headers, .pdata, UNWIND_INFO spans, export directory): modules/pe-pack.ts. */
export const REGION_PE_IMAGE = 3;
const CODING_RAW = 0;
const CODING_DELTA_PAIRS = 1;
const HDR_HEAD_BYTES = 12;

/** Coding 1: each 4-byte column of the 8-byte entries after the head as the difference from the entry before. */
function deltaPairs(bytes: Buffer, undo: boolean): Buffer {
  const out = Buffer.from(bytes);
  let prev0 = 0;
  let prev1 = 0;
  for (let o = HDR_HEAD_BYTES; o + 8 <= out.length; o += 8) {
    const a = out.readInt32LE(o);
    const b = out.readInt32LE(o + 4);
    if (undo) {
      prev0 = (prev0 + a) | 0;
      prev1 = (prev1 + b) | 0;
      out.writeInt32LE(prev0, o);
      out.writeInt32LE(prev1, o + 4);
    } else {
      out.writeInt32LE((a - prev0) | 0, o);
      out.writeInt32LE((b - prev1) | 0, o + 4);
      prev0 = a;
      prev1 = b;
    }
  }
  return out;
}

/**
 * Writes `value` as unsigned LEB128 at `at` and returns the offset after it (never negative here: rva differences
 * of sorted symbols, and sizes). As a Number where exact (every real rva and size): BigInt shifts made this a third
 * of node's pack time.
 */
function writeLeb128(out: Buffer, at: number, value: number | bigint): number {
  if (typeof value === 'number' || value <= 0x1f_ffff_ffff_ffffn) {
    let v = Number(value);
    while (v >= 0x80) {
      out[at++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    out[at++] = v;
    return at;
  }
  let v = value;
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out[at++] = v === 0n ? byte : byte | 0x80;
  } while (v !== 0n);
  return at;
}

export interface PackRegion {
  kind: number;
  rva: bigint;
  bytes: Buffer;
}

export interface PackSymbol {
  rva: bigint;
  sizeBytes: bigint;
  name: string;
}

export interface PackModule {
  path: string;
  /** Lower-case hex, as ElfImageHeaders.buildId. */
  buildId: string;
  base: bigint;
  regions: PackRegion[];
  symbols: PackSymbol[];
}

export class AnalysisPackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AnalysisPackError';
  }
}

function encodeModule(m: PackModule): Buffer {
  const path = Buffer.from(m.path, 'utf8');
  const id = Buffer.from(m.buildId, 'hex');
  if (path.length > PACK_LIMITS.pathBytes || id.length === 0 || id.length > PACK_LIMITS.buildIdBytes || m.regions.length > PACK_LIMITS.regions) {
    throw new AnalysisPackError(`The module ${m.path} does not fit the pack's limits.`);
  }
  // A start at or beyond 2^48 would make the reader refuse the whole pack: such a symbol (only a malformed file has
  // one) is left out. Sorted on Number keys, exact below 2^48: BigInt comparisons were most of the encoding's time.
  const symbols = m.symbols
    .filter((x) => x.rva >= 0n && x.rva < 2n ** 48n)
    .map((x) => ({ key: Number(x.rva), x }))
    .sort((a, b) => a.key - b.key);
  const cleanName = (name: string): string => {
    const plain = name.includes('\0') ? name.replaceAll('\0', '') : name;
    return plain.length > PACK_LIMITS.nameLength ? plain.slice(0, PACK_LIMITS.nameLength) : plain;
  };
  const names = Buffer.from(symbols.length === 0 ? '' : `${symbols.map((k) => cleanName(k.x.name)).join('\0')}\0`, 'utf8');
  const head = Buffer.alloc(4 + 2 + path.length + 1 + id.length + 8 + 2);
  const idAt = 4 + 2 + path.length + 1;
  head.writeUInt16LE(path.length, 4);
  path.copy(head, 6);
  head.writeUInt8(id.length, idAt - 1);
  id.copy(head, idAt);
  head.writeBigUInt64LE(m.base, idAt + id.length);
  head.writeUInt16LE(m.regions.length, idAt + id.length + 8);
  const parts: Buffer[] = [head];
  for (const r of m.regions) {
    const rh = Buffer.alloc(14);
    const coding = r.kind === REGION_EH_FRAME_HDR ? CODING_DELTA_PAIRS : CODING_RAW;
    rh.writeUInt8(r.kind, 0);
    rh.writeUInt8(coding, 1);
    rh.writeBigUInt64LE(r.rva, 2);
    rh.writeUInt32LE(r.bytes.length, 10);
    parts.push(rh, coding === CODING_DELTA_PAIRS ? deltaPairs(r.bytes, false) : r.bytes);
  }
  const sh = Buffer.alloc(8);
  sh.writeUInt32LE(symbols.length, 0);
  sh.writeUInt32LE(names.length, 4);
  // Per symbol the start's difference from the one before and the size, each at most 10 bytes.
  const tableBytes = Buffer.allocUnsafe(symbols.length * 20);
  let at = 0;
  let prev = 0;
  for (const { key, x } of symbols) {
    at = writeLeb128(tableBytes, at, key - prev);
    at = writeLeb128(tableBytes, at, x.sizeBytes);
    prev = key;
  }
  const table = tableBytes.subarray(0, at);
  parts.push(sh, names, table);
  const out = Buffer.concat(parts);
  out.writeUInt32LE(out.length, 0);
  return out;
}

export function encodeAnalysisPack(modules: readonly PackModule[]): Buffer {
  if (modules.length > PACK_LIMITS.modules) throw new AnalysisPackError(`${modules.length} modules are more than a pack holds.`);
  const raw = Buffer.concat(modules.map(encodeModule));
  // Level 1: the pack is built after the file is complete, but `procscope dump` still waits for it. Node's own
  // modules (15.3 MB raw): level 6 took 216 ms for 2.88 MB, level 1 70 ms for 3.35 MB.
  const body = deflateSync(raw, { level: 1 });
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(PACK_MAGIC, 0, 'latin1');
  header.writeUInt32LE(PACK_VERSION, 8);
  header.writeUInt32LE(0, 12);
  header.writeUInt32LE(modules.length, 16);
  header.writeUInt32LE(crc32(body), 20);
  header.writeBigUInt64LE(BigInt(raw.length), 24);
  return Buffer.concat([header, body]);
}

/** A bounded cursor: every read checks what is left and throws the pack's error naming the field. */
class Cursor {
  at = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly end: number,
  ) {}
  private need(n: number, what: string): void {
    if (n < 0 || this.at + n > this.end) throw new AnalysisPackError(`The pack is cut short in ${what}.`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf.readUInt8(this.at++);
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.buf.readUInt16LE(this.at);
    this.at += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32LE(this.at);
    this.at += 4;
    return v;
  }
  u64(what: string): bigint {
    this.need(8, what);
    const v = this.buf.readBigUInt64LE(this.at);
    this.at += 8;
    return v;
  }
  bytes(n: number, what: string): Buffer {
    this.need(n, what);
    const v = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }
}

function limit(value: number, max: number, what: string): number {
  if (value > max) throw new AnalysisPackError(`The pack claims ${value} ${what}; more than ${max} is not plausible.`);
  return value;
}

function decodeModule(c: Cursor, end: number): PackModule {
  const path = c.bytes(limit(c.u16('a path length'), PACK_LIMITS.pathBytes, 'path bytes'), 'a path').toString('utf8');
  const idBytes = c.u8('a build-id length');
  if (idBytes === 0 || idBytes > PACK_LIMITS.buildIdBytes) throw new AnalysisPackError(`The pack's entry for ${path} has a ${idBytes}-byte build id.`);
  const buildId = c.bytes(idBytes, 'a build id').toString('hex');
  const base = c.u64('a load base');
  const regionCount = limit(c.u16('a region count'), PACK_LIMITS.regions, 'regions in one module');
  const regions: PackRegion[] = [];
  for (let i = 0; i < regionCount; i++) {
    const kind = c.u8('a region kind');
    const coding = c.u8('a region coding');
    if (coding !== CODING_RAW && coding !== CODING_DELTA_PAIRS) throw new AnalysisPackError(`The pack's region of ${path} has coding ${coding}, which this Procscope does not know.`);
    const rva = c.u64('a region address');
    const bytes = c.bytes(limit(c.u32('a region length'), PACK_LIMITS.regionBytes, 'region bytes'), 'a region');
    if (rva + BigInt(bytes.length) > 2n ** 48n) throw new AnalysisPackError(`The pack's region of ${path} at 0x${rva.toString(16)} lies beyond the address space.`);
    regions.push({ kind, rva, bytes: coding === CODING_DELTA_PAIRS ? deltaPairs(bytes, true) : Buffer.from(bytes) });
  }
  const symbolCount = limit(c.u32('a symbol count'), PACK_LIMITS.symbols, 'symbols in one module');
  const nameBytes = limit(c.u32('the name bytes'), PACK_LIMITS.nameBytes, 'name bytes');
  const names = c.bytes(nameBytes, 'the symbol names');
  if (symbolCount * 2 > end - c.at) throw new AnalysisPackError(`The pack's entry for ${path} claims ${symbolCount} symbols, more than its bytes hold.`);
  const varint = (what: string): bigint => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (shift > 63n) throw new AnalysisPackError(`A ${what} of ${path} in the pack is longer than 64 bits.`);
      const b = c.u8(what);
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
    }
  };
  const symbols: PackSymbol[] = [];
  let rva = 0n;
  let off = 0;
  for (let i = 0; i < symbolCount; i++) {
    rva += varint('symbol address');
    const sizeBytes = varint('symbol size');
    if (rva >= 2n ** 48n) throw new AnalysisPackError(`A symbol of ${path} in the pack lies beyond the address space.`);
    const stop = off < names.length ? names.indexOf(0, off) : -1;
    if (stop < 0) throw new AnalysisPackError(`The pack's entry for ${path} has fewer symbol names than its ${symbolCount} symbols.`);
    symbols.push({ rva, sizeBytes, name: names.toString('utf8', off, stop) });
    off = stop + 1;
  }
  if (off !== names.length) throw new AnalysisPackError(`The pack's entry for ${path} has more symbol names than its ${symbolCount} symbols.`);
  return { path, buildId, base, regions, symbols };
}

/** Parses a whole pack; throws AnalysisPackError (one sentence) on anything that breaks the layout's rules. */
export function decodeAnalysisPack(file: Buffer): PackModule[] {
  if (file.length > PACK_LIMITS.fileBytes) throw new AnalysisPackError(`The pack is ${file.length} bytes, more than the ${PACK_LIMITS.fileBytes}-byte limit.`);
  if (file.length < HEADER_BYTES || file.toString('latin1', 0, 8) !== PACK_MAGIC) throw new AnalysisPackError('The file is not a Procscope analysis pack (no PSCOPEPK header).');
  const version = file.readUInt32LE(8);
  if (version !== PACK_VERSION) throw new AnalysisPackError(`The pack has version ${version}; this Procscope reads version ${PACK_VERSION}.`);
  const count = limit(file.readUInt32LE(16), PACK_LIMITS.modules, 'modules');
  const bodyBytes = file.readBigUInt64LE(24);
  if (bodyBytes > BigInt(PACK_LIMITS.bodyBytes)) throw new AnalysisPackError(`The pack claims ${bodyBytes} bytes of content, more than the ${PACK_LIMITS.bodyBytes}-byte limit.`);
  const stored = file.subarray(HEADER_BYTES);
  if (crc32(stored) !== file.readUInt32LE(20)) throw new AnalysisPackError("The pack's checksum does not match its content: the file is damaged.");
  let raw: Buffer;
  try {
    raw = inflateSync(stored, { maxOutputLength: Math.max(1, Number(bodyBytes)) });
  } catch (err) {
    throw new AnalysisPackError(`The pack's content does not inflate: ${(err as Error).message}.`);
  }
  if (raw.length !== Number(bodyBytes)) throw new AnalysisPackError(`The pack's content is ${raw.length} bytes, not the ${bodyBytes} its header claims.`);
  const modules: PackModule[] = [];
  const c = new Cursor(raw, raw.length);
  for (let i = 0; i < count; i++) {
    const start = c.at;
    const recordBytes = c.u32('a module record length');
    const end = start + recordBytes;
    if (recordBytes < 4 || end > raw.length) throw new AnalysisPackError(`The pack's module record ${i + 1} claims ${recordBytes} bytes, more than are left.`);
    const rc = new Cursor(raw, end);
    rc.at = c.at;
    modules.push(decodeModule(rc, end));
    if (rc.at !== end) throw new AnalysisPackError(`The pack's module record ${i + 1} holds ${end - rc.at} bytes more than its fields.`);
    c.at = end;
  }
  if (c.at !== raw.length) throw new AnalysisPackError(`The pack holds ${raw.length - c.at} bytes after its last module.`);
  return modules;
}
