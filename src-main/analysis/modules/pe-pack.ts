/*
 * The Windows half of the analysis pack (analysis-pack-format.ts, same container as the Linux one): per loaded
 * module of a minidump, the bytes of its PE image that the x64 unwinder and the export names need, each at its RVA
 * (regions of kind REGION_PE_IMAGE) — the headers (DOS, PE, COFF, optional header, section table), the exception
 * directory (.pdata), every UNWIND_INFO it leads to (through indirect entries and chains; each with the 12 bytes
 * after its codes the unwinder reads for a chained entry or a handler RVA), merged into spans, and the export
 * directory with its tables and name strings. No data section, no code: nothing of the process's data. The entry's
 * identity is the minidump's own key, TimeDateStamp + SizeOfImage (as `buildId`: 8 hex digits each), and its path
 * the MINIDUMP_MODULE's name. Built from the module's file (the writer checks the file's identity first) by
 * buildPePackModule(); read back by peImageOfPackEntry(), which the module layer opens as any other PeImage.
 */
import { PACK_LIMITS, REGION_PE_IMAGE, type PackModule, type PackRegion } from './analysis-pack-format';
import { PE_HEADER_PROBE_BYTES, PeFormatError, PeImage, type PeHeaders, type RvaReader } from '../pe/pe-image';

/** The pack's `buildId` of a PE module: TimeDateStamp and SizeOfImage, 8 lower-case hex digits each. */
export function pePackIdentity(timeDateStamp: number, sizeOfImage: number): string {
  return `${timeDateStamp.toString(16).padStart(8, '0')}${sizeOfImage.toString(16).padStart(8, '0')}`;
}

const RUNTIME_FUNCTION_BYTES = 12;
const UNW_FLAG_CHAININFO = 0x4;
/** Bytes the unwinder reads after an UNWIND_INFO's codes (a chained RUNTIME_FUNCTION, or a handler RVA and more). */
const UNWIND_TAIL_BYTES = 12;
/** Spans closer than this are stored as one region: fewer region headers, a few bytes of rdata between them. */
const MERGE_GAP_BYTES = 256;
/** Slack read after the export directory: the export reader asks for a name's 256 bytes at once. */
const EXPORT_SLACK_BYTES = 256;
const MAX_PDATA_BYTES = 24 * 2 ** 20;

export interface PePackBuild {
  module: PackModule;
  /** Bytes of all regions. */
  bytes: number;
  /** What could not be read and is missing from the entry, one sentence each. */
  notes: string[];
}

/**
 * [start, end) spans → sorted regions, merged within one section, each cut at the end of the section it starts in
 * (a file reader answers only within one section; an UNWIND_INFO at the very end of .xdata has no 12-byte tail, and
 * the unwinder then reads its codes alone). Spans that cannot be read are dropped and noted.
 */
async function readSpans(spans: [number, number][], read: RvaReader, headers: PeHeaders, notes: string[], what: string): Promise<PackRegion[]> {
  spans.sort((a, b) => a[0] - b[0]);
  const merged: [number, number, number][] = [];
  for (const [s, e0] of spans) {
    const i = headers.sections.findIndex((x) => s >= x.rva && s < x.rva + Math.max(x.virtualBytes, x.fileBytes));
    const sec = headers.sections[i];
    if (!sec) continue;
    const e = Math.min(e0, sec.rva + Math.max(sec.virtualBytes, sec.fileBytes), headers.sizeOfImage);
    if (e <= s) continue;
    const last = merged.at(-1);
    if (last && last[2] === i && s <= last[1] + MERGE_GAP_BYTES) last[1] = Math.max(last[1], e);
    else merged.push([s, e, i]);
  }
  const out: PackRegion[] = [];
  let unreadable = 0;
  for (const [s, e] of merged) {
    const b = await read(s, e - s);
    if (b) out.push({ kind: REGION_PE_IMAGE, rva: BigInt(s), bytes: b });
    else unreadable++;
  }
  if (unreadable) notes.push(`${what}: ${unreadable} span(s) of unwind data were not readable from the file and are left out.`);
  return out;
}

/** Sections larger than this are read piece by piece rather than whole. */
const MAX_CACHED_SECTION_BYTES = 64 * 2 ** 20;

/**
 * Reads through `read` a whole section at its first use and answers later reads inside it from memory: the walk
 * over .pdata asks for every UNWIND_INFO's 4-byte head (node.exe: tens of thousands), one file read each otherwise
 * (32 s for node.exe's modules under Wine).
 */
function sectionCachedReader(read: RvaReader, headers: PeHeaders): RvaReader {
  const cache = new Map<number, Promise<Buffer | null>>();
  return async (rva, length) => {
    const i = headers.sections.findIndex((x) => rva >= x.rva && rva + length <= x.rva + Math.max(x.virtualBytes, x.fileBytes));
    const s = headers.sections[i];
    const bytes = s ? Math.max(s.virtualBytes, s.fileBytes) : 0;
    if (!s || bytes > MAX_CACHED_SECTION_BYTES) return read(rva, length);
    let whole = cache.get(i);
    if (!whole) {
      whole = read(s.rva, bytes);
      cache.set(i, whole);
    }
    const b = await whole;
    return b ? Buffer.from(b.subarray(rva - s.rva, rva - s.rva + length)) : read(rva, length);
  };
}

/**
 * The pack entry of one module from an RVA reader over its file (PeImage.fileReader). `path` and `base` are the
 * MINIDUMP_MODULE's; the identity comes from the file's headers (the caller has checked it equals the dump's).
 */
export async function buildPePackModule(path: string, base: bigint, fileRead: RvaReader, headers: PeHeaders): Promise<PePackBuild> {
  const read = sectionCachedReader(fileRead, headers);
  const notes: string[] = [];
  const regions: PackRegion[] = [];
  const sizeOfImage = headers.sizeOfImage;
  // The headers as the loaded image's first page holds them: SizeOfHeaders bytes, zeros after (PeImage.open reads
  // 0x1000 bytes first; a file's bytes there past the headers are a section's, not the image's).
  const raw = await read(0, Math.min(headers.sizeOfHeaders, PE_HEADER_PROBE_BYTES));
  if (!raw) throw new PeFormatError(`${path}'s headers are not readable.`);
  const head = Buffer.alloc(Math.max(raw.length, Math.min(PE_HEADER_PROBE_BYTES, sizeOfImage)));
  raw.copy(head);
  regions.push({ kind: REGION_PE_IMAGE, rva: 0n, bytes: head });

  const spans: [number, number][] = [];
  const d = headers.exceptionDir;
  if (d && d.bytes >= RUNTIME_FUNCTION_BYTES && d.bytes <= MAX_PDATA_BYTES) {
    const n = Math.floor(d.bytes / RUNTIME_FUNCTION_BYTES);
    const pdata = await read(d.rva, n * RUNTIME_FUNCTION_BYTES);
    if (!pdata) notes.push(`${path}: its .pdata is not readable from the file.`);
    else {
      regions.push({ kind: REGION_PE_IMAGE, rva: BigInt(d.rva), bytes: pdata });
      const seen = new Set<number>();
      const pending: number[] = [];
      for (let i = 0; i < n; i++) pending.push(pdata.readUInt32LE(i * RUNTIME_FUNCTION_BYTES + 8));
      const inPdata = (rva: number): Buffer | null => (rva >= d.rva && rva + RUNTIME_FUNCTION_BYTES <= d.rva + pdata.length ? pdata.subarray(rva - d.rva, rva - d.rva + RUNTIME_FUNCTION_BYTES) : null);
      while (pending.length) {
        const u = pending.pop()!;
        if (u === 0 || u >= sizeOfImage || seen.has(u)) continue;
        seen.add(u);
        if (u & 1) {
          // An indirect entry names another RUNTIME_FUNCTION: its 12 bytes, then that one's UNWIND_INFO.
          const at = u & ~1;
          spans.push([at, at + RUNTIME_FUNCTION_BYTES]);
          const rf = inPdata(at) ?? (await read(at, RUNTIME_FUNCTION_BYTES));
          if (rf) pending.push(rf.readUInt32LE(8));
          continue;
        }
        const h = await read(u, 4);
        if (!h) continue;
        const codesEnd = u + 4 + ((h[2]! + 1) & ~1) * 2;
        spans.push([u, codesEnd + UNWIND_TAIL_BYTES]);
        // A chain continues in the RUNTIME_FUNCTION after the codes (`seen` ends a loop).
        if ((h[0]! >> 3) & UNW_FLAG_CHAININFO) {
          const chained = await read(codesEnd, RUNTIME_FUNCTION_BYTES);
          if (chained) pending.push(chained.readUInt32LE(8));
        }
      }
    }
  }
  const e = headers.exportDir;
  if (e) {
    const withSlack = Math.min(e.bytes + EXPORT_SLACK_BYTES, sizeOfImage - e.rva);
    const b = (await read(e.rva, withSlack)) ?? (await read(e.rva, e.bytes));
    if (b) regions.push({ kind: REGION_PE_IMAGE, rva: BigInt(e.rva), bytes: b });
    else notes.push(`${path}: its export directory is not readable from the file, so its frames will not be named.`);
  }
  regions.push(...(await readSpans(spans, read, headers, notes, path)));
  if (regions.length > PACK_LIMITS.regions) throw new PeFormatError(`${path} needs ${regions.length} regions, more than a pack entry holds.`);
  return {
    module: { path, buildId: pePackIdentity(headers.timeDateStamp, sizeOfImage), base, regions, symbols: [] },
    bytes: regions.reduce((n, r) => n + r.bytes.length, 0),
    notes,
  };
}

/** An RvaReader over a pack entry's PE regions: a read is answered only if one region holds all of it. */
export function packEntryReader(module: PackModule): RvaReader {
  const regions = module.regions.filter((r) => r.kind === REGION_PE_IMAGE).map((r) => ({ start: Number(r.rva), bytes: r.bytes }));
  return async (rva, length) => {
    if (rva < 0 || length < 0) return null;
    for (const r of regions) {
      if (rva >= r.start && rva + length <= r.start + r.bytes.length) return Buffer.from(r.bytes.subarray(rva - r.start, rva - r.start + length));
    }
    return null;
  };
}

/** The PeImage of a pack entry, or null when its headers are not there; throws PeFormatError on malformed ones. */
export async function peImageOfPackEntry(module: PackModule, what: string): Promise<PeImage | null> {
  return PeImage.open(packEntryReader(module), what);
}
