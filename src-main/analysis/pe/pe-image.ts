/*
 * One PE32+ image (x64 .exe/.dll) read by RVA, from wherever its bytes are: a full minidump's memory (the loaded
 * image: headers and sections at their RVAs) or a file on disk (RVAs mapped to file offsets through the section
 * table). Gives what the unwinder and the names need: the COFF/optional headers (TimeDateStamp, SizeOfImage: the
 * identity symbol stores key binaries by), sections (which RVAs are code), exports (forwarders skipped) and the
 * .pdata RUNTIME_FUNCTION table with binary search by RVA. Every count and size is bounded; a malformed image
 * throws PeFormatError with a sentence; bytes that are not there (a region the dump left out) read as null.
 */

export class PeFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PeFormatError';
  }
}

/** Reads `length` bytes at an RVA of the image; null when they are not available. */
export type RvaReader = (rva: number, length: number) => Promise<Buffer | null>;

export const IMAGE_FILE_MACHINE_AMD64 = 0x8664;
const PE32_PLUS_MAGIC = 0x20b;
const IMAGE_SCN_CNT_CODE = 0x20;
const IMAGE_SCN_MEM_EXECUTE = 0x20000000;
const DIR_EXPORT = 0;
const DIR_EXCEPTION = 3;
const MAX_SECTIONS = 96;
const MAX_EXPORTS = 200_000;
const MAX_RUNTIME_FUNCTIONS = 2_000_000;
const RUNTIME_FUNCTION_BYTES = 12;

export interface PeSection {
  name: string;
  rva: number;
  virtualBytes: number;
  fileOffset: number;
  fileBytes: number;
  characteristics: number;
  executable: boolean;
}

export interface PeHeaders {
  machine: number;
  timeDateStamp: number;
  sizeOfImage: number;
  sizeOfHeaders: number;
  imageBase: bigint;
  sections: PeSection[];
  exportDir: { rva: number; bytes: number } | null;
  exceptionDir: { rva: number; bytes: number } | null;
}

export interface RuntimeFunction {
  begin: number;
  end: number;
  /** RVA of the UNWIND_INFO (for an indirect entry: of the RUNTIME_FUNCTION it names, low bit set). */
  unwindInfo: number;
}

/** Parses DOS, PE, COFF and optional headers and the section table from the first bytes of an image. */
export function parsePeHeaders(head: Buffer, what: string): PeHeaders {
  if (head.length < 0x40 || head.readUInt16LE(0) !== 0x5a4d) throw new PeFormatError(`${what} does not start with MZ.`);
  const pe = head.readUInt32LE(0x3c);
  if (pe + 24 > head.length) throw new PeFormatError(`${what}'s PE header at ${pe} lies outside its first ${head.length} bytes.`);
  if (head.readUInt32LE(pe) !== 0x4550) throw new PeFormatError(`${what} has no PE signature.`);
  const machine = head.readUInt16LE(pe + 4);
  const sectionCount = head.readUInt16LE(pe + 6);
  const timeDateStamp = head.readUInt32LE(pe + 8);
  const optBytes = head.readUInt16LE(pe + 20);
  const opt = pe + 24;
  if (sectionCount > MAX_SECTIONS) throw new PeFormatError(`${what} has ${sectionCount} sections; more than ${MAX_SECTIONS} is not plausible.`);
  if (optBytes < 112 || opt + optBytes + sectionCount * 40 > head.length) throw new PeFormatError(`${what}'s optional header (${optBytes} bytes) and section table do not fit its headers.`);
  if (head.readUInt16LE(opt) !== PE32_PLUS_MAGIC) throw new PeFormatError(`${what} is not a PE32+ (64-bit) image.`);
  const dirCount = Math.min(head.readUInt32LE(opt + 108), (optBytes - 112) / 8);
  const dir = (i: number): { rva: number; bytes: number } | null => {
    if (i >= dirCount) return null;
    const rva = head.readUInt32LE(opt + 112 + i * 8);
    const bytes = head.readUInt32LE(opt + 116 + i * 8);
    return rva && bytes ? { rva, bytes } : null;
  };
  const sections: PeSection[] = [];
  for (let i = 0; i < sectionCount; i++) {
    const o = opt + optBytes + i * 40;
    const characteristics = head.readUInt32LE(o + 36);
    const rawName = head.subarray(o, o + 8);
    const nul = rawName.indexOf(0);
    sections.push({
      name: rawName.subarray(0, nul < 0 ? 8 : nul).toString('latin1'),
      virtualBytes: head.readUInt32LE(o + 8),
      rva: head.readUInt32LE(o + 12),
      fileBytes: head.readUInt32LE(o + 16),
      fileOffset: head.readUInt32LE(o + 20),
      characteristics,
      executable: (characteristics & (IMAGE_SCN_MEM_EXECUTE | IMAGE_SCN_CNT_CODE)) !== 0,
    });
  }
  return {
    machine,
    timeDateStamp,
    sizeOfImage: head.readUInt32LE(opt + 56),
    sizeOfHeaders: head.readUInt32LE(opt + 60),
    imageBase: head.readBigUInt64LE(opt + 24),
    sections,
    exportDir: dir(DIR_EXPORT),
    exceptionDir: dir(DIR_EXCEPTION),
  };
}

/** How many bytes to read for the headers: the DOS stub, PE header and a generous section table. */
export const PE_HEADER_PROBE_BYTES = 0x1000;

export class PeImage {
  private exportMap: Promise<Map<number, string>> | null = null;
  private pdata: Promise<Uint32Array | null> | null = null;

  private constructor(readonly headers: PeHeaders, readonly read: RvaReader, readonly what: string) {}

  /** Opens the image whose first bytes `read(0, …)` returns; null when the header is not available. */
  static async open(read: RvaReader, what: string): Promise<PeImage | null> {
    const head = (await read(0, PE_HEADER_PROBE_BYTES)) ?? (await read(0, 0x400));
    if (!head) return null;
    const headers = parsePeHeaders(head, what);
    if (headers.machine !== IMAGE_FILE_MACHINE_AMD64) throw new PeFormatError(`${what} is for machine 0x${headers.machine.toString(16)}, not x64.`);
    return new PeImage(headers, read, what);
  }

  /** An RvaReader over a file's bytes: headers at their offsets, each section's raw data at its RVA. */
  static fileReader(readAt: (offset: number, length: number) => Promise<Buffer | null>, headers: () => PeHeaders | null): RvaReader {
    return async (rva, length) => {
      const h = headers();
      if (!h || rva + length <= h.sizeOfHeaders) return readAt(rva, length);
      const s = h.sections.find((x) => rva >= x.rva && rva + length <= x.rva + Math.max(x.virtualBytes, x.fileBytes));
      if (!s) return null;
      const inFile = Math.max(0, Math.min(length, s.rva + s.fileBytes - rva));
      const out = Buffer.alloc(length);
      if (inFile > 0) {
        const b = await readAt(s.fileOffset + (rva - s.rva), inFile);
        if (!b) return null;
        b.copy(out);
      }
      return out; // beyond SizeOfRawData a section is zero-filled when loaded
    };
  }

  isExecutableRva(rva: number): boolean {
    return this.headers.sections.some((s) => s.executable && rva >= s.rva && rva < s.rva + Math.max(s.virtualBytes, s.fileBytes));
  }

  /** The .pdata table as [begin, end, unwind] triples; null when the image has none or its bytes are missing. */
  private runtimeFunctions(): Promise<Uint32Array | null> {
    this.pdata ??= (async () => {
      const d = this.headers.exceptionDir;
      if (!d) return null;
      const n = Math.floor(d.bytes / RUNTIME_FUNCTION_BYTES);
      if (n > MAX_RUNTIME_FUNCTIONS) throw new PeFormatError(`${this.what}'s .pdata claims ${n} functions; more than ${MAX_RUNTIME_FUNCTIONS} is not plausible.`);
      const b = await this.read(d.rva, n * RUNTIME_FUNCTION_BYTES);
      if (!b) return null;
      const t = new Uint32Array(n * 3);
      for (let i = 0; i < n * 3; i++) t[i] = b.readUInt32LE(i * 4);
      return t;
    })();
    return this.pdata;
  }

  /** Whether the image's .pdata is readable (from the dump or the file); loads the whole table. */
  async hasUnwindTable(): Promise<boolean> {
    return (await this.runtimeFunctions()) !== null;
  }

  /** A cheap guess at hasUnwindTable(): its first and last entries are readable. The table itself loads on use. */
  async probeUnwindTable(): Promise<boolean> {
    const d = this.headers.exceptionDir;
    if (!d || d.bytes < RUNTIME_FUNCTION_BYTES) return false;
    const last = d.rva + (Math.floor(d.bytes / RUNTIME_FUNCTION_BYTES) - 1) * RUNTIME_FUNCTION_BYTES;
    return (await this.read(d.rva, RUNTIME_FUNCTION_BYTES)) !== null && (await this.read(last, RUNTIME_FUNCTION_BYTES)) !== null;
  }

  /** The RUNTIME_FUNCTION whose [begin, end) holds `rva`, by binary search; null for none (a leaf function). */
  async functionAt(rva: number): Promise<RuntimeFunction | null> {
    const t = await this.runtimeFunctions();
    if (!t) return null;
    let lo = 0;
    let hi = t.length / 3 - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const begin = t[mid * 3]!;
      if (rva < begin) hi = mid - 1;
      else if (rva >= t[mid * 3 + 1]!) lo = mid + 1;
      else return { begin, end: t[mid * 3 + 1]!, unwindInfo: t[mid * 3 + 2]! };
    }
    return null;
  }

  /** Exported function RVAs → names; forwarders (RVAs inside the export directory) are left out. */
  exports(): Promise<Map<number, string>> {
    this.exportMap ??= (async () => {
      const out = new Map<number, string>();
      const d = this.headers.exportDir;
      if (!d) return out;
      const dir = await this.read(d.rva, 40);
      if (!dir) return out;
      const functionCount = dir.readUInt32LE(20);
      const nameCount = dir.readUInt32LE(24);
      if (functionCount > MAX_EXPORTS || nameCount > MAX_EXPORTS) throw new PeFormatError(`${this.what} claims ${functionCount} exports; more than ${MAX_EXPORTS} is not plausible.`);
      const [functions, names, ordinals] = await Promise.all([
        this.read(dir.readUInt32LE(28), functionCount * 4),
        this.read(dir.readUInt32LE(32), nameCount * 4),
        this.read(dir.readUInt32LE(36), nameCount * 2),
      ]);
      if (!functions || !names || !ordinals) return out;
      // Names usually sit together: read the span once instead of one read per name.
      const nameRvas = Array.from({ length: nameCount }, (_, i) => names.readUInt32LE(i * 4));
      const lo = Math.min(...nameRvas);
      const hi = Math.max(...nameRvas);
      const span = nameCount && hi - lo < 4 * 2 ** 20 ? await this.read(lo, hi - lo + 256).then((b) => b ?? this.read(lo, hi - lo + 1)) : null;
      let unreadable = 0;
      for (let i = 0; i < nameCount; i++) {
        const ord = ordinals.readUInt16LE(i * 2);
        if (ord >= functionCount) continue;
        const rva = functions.readUInt32LE(ord * 4);
        if (rva === 0 || (rva >= d.rva && rva < d.rva + d.bytes)) continue; // forwarder "dll.name"
        const at = nameRvas[i]!;
        let text = span && at - lo < span.length ? span.subarray(at - lo, Math.min(span.length, at - lo + 256)) : null;
        // Not in the span, or cut by its end: read the name on its own.
        if (!text || (text.indexOf(0) < 0 && text.length < 256)) text = await this.read(at, 256).then((b) => b ?? this.read(at, 32));
        if (!text) {
          if (++unreadable >= 256) break; // the names are not in the dump: stop asking
          continue;
        }
        const end = text.indexOf(0);
        const name = text.subarray(0, end < 0 ? text.length : end).toString('latin1');
        if (name && !out.has(rva)) out.set(rva, name);
      }
      return out;
    })();
    return this.exportMap;
  }
}
