/*
 * What the module layer needs from one ELF image, read either from a core's memory (by module-relative address:
 * the header page a core always keeps) or from a file (by file offset): program headers, build id
 * (.note.gnu.build-id through PT_NOTE), PT_DYNAMIC, PT_GNU_EH_FRAME; from files also section headers and function
 * symbols (.symtab, else .dynsym). Every size is bounded; a malformed image throws ElfFormatError.
 */
import { FileByteSource } from '../elf/byte-source';
import {
  cString, ELF_HEADER_BYTES, ElfFormatError, EM_X86_64, NT_GNU_BUILD_ID, parseElfHeader, parseNotes,
  parseProgramHeaders, parseSectionHeaders, PHDR_BYTES, PT_DYNAMIC, PT_GNU_EH_FRAME, PT_LOAD, PT_NOTE, SHDR_BYTES,
  SHT_DYNSYM, SHT_NOBITS, SHT_SYMTAB, type ProgramHeader, type SectionHeader,
} from '../elf/elf-format';

const PAGE = 0x1000n;
const MAX_PHDRS = 512;
const MAX_SECTIONS = 4096;
const MAX_NOTE_BYTES = 64 * 1024;

export interface ElfImageHeaders {
  type: number;
  loads: ProgramHeader[];
  /** The lowest PT_LOAD address rounded down to a page: module-relative address 0 is this ELF address. */
  vaddrBase: bigint;
  buildId: string | null;
  /** Module-relative address and size of PT_DYNAMIC and PT_GNU_EH_FRAME (.eh_frame_hdr). */
  dynamic: { rva: bigint; bytes: number } | null;
  ehFrameHdr: { rva: bigint; bytes: number } | null;
}

/** Reads `length` bytes at a module-relative address (memory) or file offset (file); null if not there. */
export type ImageReader = (at: bigint, length: number, what: string) => Promise<Buffer | null>;

/**
 * Parses an image's headers. `mode` says what `read` is addressed by: 'memory' (module-relative addresses, the
 * loaded image) or 'file' (file offsets). Returns null when the header itself is not readable (not dumped).
 */
export async function readImageHeaders(read: ImageReader, mode: 'memory' | 'file', what: string): Promise<ElfImageHeaders | null> {
  const head = await read(0n, ELF_HEADER_BYTES, `${what}'s ELF header`);
  if (!head) return null;
  const h = parseElfHeader(head, what);
  if (h.machine !== EM_X86_64) throw new ElfFormatError(`${what} is for machine ${h.machine}, not x86-64.`);
  if (h.phnum > MAX_PHDRS) throw new ElfFormatError(`${what} has ${h.phnum} program headers; more than ${MAX_PHDRS} is not plausible.`);
  const phBuf = await read(BigInt(h.phoff), h.phnum * PHDR_BYTES, `${what}'s program headers`);
  if (!phBuf) return null;
  const phdrs = parseProgramHeaders(phBuf, h.phnum, what);
  const loads = phdrs.filter((p) => p.type === PT_LOAD);
  if (loads.length === 0) throw new ElfFormatError(`${what} has no PT_LOAD segment.`);
  const vaddrBase = loads.reduce((m, p) => (p.vaddr < m ? p.vaddr : m), loads[0]!.vaddr) & ~(PAGE - 1n);
  const toRva = (p: ProgramHeader): bigint => p.vaddr - vaddrBase;
  const region = (type: number): { rva: bigint; bytes: number } | null => {
    const p = phdrs.find((x) => x.type === type);
    return p && p.vaddr >= vaddrBase ? { rva: toRva(p), bytes: p.fileBytes } : null;
  };
  let buildId: string | null = null;
  for (const p of phdrs) {
    if (p.type !== PT_NOTE || buildId) continue;
    if (p.fileBytes > MAX_NOTE_BYTES) throw new ElfFormatError(`${what} has a ${p.fileBytes}-byte PT_NOTE; more than ${MAX_NOTE_BYTES} is not plausible.`);
    const at = mode === 'memory' ? (p.vaddr >= vaddrBase ? toRva(p) : null) : BigInt(p.offset);
    const body = at === null ? null : await read(at, p.fileBytes, `${what}'s PT_NOTE`);
    if (!body) continue;
    const align = p.align === 8n ? 8 : 4;
    const note = parseNotes(body, align, `${what}'s PT_NOTE`, 1024).find((n) => n.name === 'GNU' && n.type === NT_GNU_BUILD_ID);
    if (note && note.desc.length > 0 && note.desc.length <= 64) buildId = note.desc.toString('hex');
  }
  return { type: h.type, loads, vaddrBase, buildId, dynamic: region(PT_DYNAMIC), ehFrameHdr: region(PT_GNU_EH_FRAME) };
}

export interface FunctionSymbol {
  rva: bigint;
  sizeBytes: bigint;
  name: string;
}

/** A file's function symbols by module-relative start (at most one name per start). */
export interface SymbolTable {
  readonly size: number;
  get(rva: bigint): FunctionSymbol | undefined;
}

const NO_SYMBOLS: SymbolTable = { size: 0, get: () => undefined };
const SYM_BYTES = 24;
const MAX_NAME_BYTES = 1024;

/** An ELF file on disk: its headers, sections and (lazily) its function symbols. */
export class ElfFile {
  private symbolsPromise: Promise<SymbolTable> | null = null;

  private constructor(
    readonly src: FileByteSource,
    readonly headers: ElfImageHeaders,
    readonly sections: SectionHeader[],
  ) {}

  static async open(path: string): Promise<ElfFile> {
    const src = await FileByteSource.open(path, (m) => new ElfFormatError(m));
    try {
      const readAt: ImageReader = (at, length, what) => src.read(Number(at), length, what);
      const headers = await readImageHeaders(readAt, 'file', path);
      if (!headers) throw new ElfFormatError(`${path} has no readable ELF header.`);
      const h = parseElfHeader(await src.read(0, ELF_HEADER_BYTES, 'the ELF header'), path);
      let sections: SectionHeader[] = [];
      if (h.shoff > 0 && h.shnum > 0 && h.shnum <= MAX_SECTIONS) {
        const raw = await src.read(h.shoff, h.shnum * SHDR_BYTES, `${path}'s section headers`);
        const plain = parseSectionHeaders(raw, h.shnum, null, path);
        const strtab = plain[h.shstrndx];
        const names = strtab && strtab.type !== SHT_NOBITS ? await src.read(strtab.offset, strtab.sizeBytes, `${path}'s section names`) : null;
        sections = parseSectionHeaders(raw, h.shnum, names, path);
      }
      return new ElfFile(src, headers, sections);
    } catch (err) {
      await src.close();
      throw err;
    }
  }

  section(name: string): SectionHeader | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** Whether the file holds its unwind table's bytes (a separate .debug file keeps the header but not the data). */
  hasEhFrameData(): boolean {
    if (!this.headers.ehFrameHdr) return false;
    const s = this.section('.eh_frame_hdr');
    return this.sections.length === 0 || (s !== undefined && s.type !== SHT_NOBITS);
  }

  hasSymbols(): boolean {
    return this.sections.some((s) => s.type === SHT_SYMTAB || s.type === SHT_DYNSYM);
  }

  /** Bytes at a module-relative address, from the PT_LOAD that maps them; null outside any segment's file bytes. */
  async readRva(rva: bigint, length: number): Promise<Buffer | null> {
    const v = rva + this.headers.vaddrBase;
    for (const p of this.headers.loads) {
      if (v >= p.vaddr && v + BigInt(length) <= p.vaddr + BigInt(p.fileBytes)) {
        const off = p.offset + Number(v - p.vaddr);
        if (off + length > this.src.size) return null;
        return this.src.read(off, length, `${this.src.path} at module offset 0x${rva.toString(16)}`);
      }
    }
    return null;
  }

  /**
   * Function symbols (STT_FUNC, STT_GNU_IFUNC, defined) by module-relative start; .symtab preferred. One pass over
   * the raw table keeps each start's entry offset; a name is decoded only when looked up (node's .symtab has ~150k
   * functions with 12 MB of names, of which a report needs a few dozen). Starts at or past 2^53 are not named.
   */
  symbols(): Promise<SymbolTable> {
    this.symbolsPromise ??= this.loadSymbols();
    return this.symbolsPromise;
  }

  private async loadSymbols(): Promise<SymbolTable> {
    const table = this.sections.find((s) => s.type === SHT_SYMTAB) ?? this.sections.find((s) => s.type === SHT_DYNSYM);
    const strings = table ? this.sections[table.link] : undefined;
    if (!table || !strings || table.type === SHT_NOBITS || strings.type === SHT_NOBITS) return NO_SYMBOLS;
    const syms = await this.src.read(table.offset, table.sizeBytes, `${this.src.path}'s symbol table`);
    const names = await this.src.read(strings.offset, strings.sizeBytes, `${this.src.path}'s symbol names`);
    const base = this.headers.vaddrBase;
    const baseN = base <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(base) : null;
    // Several names for one address (aliases): prefer global over weak over local, then fewer leading '_'; the
    // first of equals wins. A name is its bytes up to NUL, at most MAX_NAME_BYTES (as cString reads it).
    const score = (o: number): number => {
      const bind = syms[o + 4]! >> 4;
      const at = syms.readUInt32LE(o);
      let underscores = 0;
      while (underscores < MAX_NAME_BYTES && names[at + underscores] === 0x5f) underscores++;
      return (bind === 1 ? 0 : bind === 2 ? 100 : 200) + underscores;
    };
    const byStart = new Map<number, number>(); // module-relative start -> symbol entry offset
    for (let o = 0; o + SYM_BYTES <= syms.length; o += SYM_BYTES) {
      const kind = syms[o + 4]! & 0xf;
      if ((kind !== 2 && kind !== 10) || syms.readUInt16LE(o + 6) === 0) continue;
      const nameAt = syms.readUInt32LE(o);
      if (nameAt >= names.length || names[nameAt] === 0) continue;
      const hi = syms.readUInt32LE(o + 12);
      let rva: number;
      if (baseN !== null && hi < 0x200000) {
        rva = hi * 0x1_0000_0000 + syms.readUInt32LE(o + 8) - baseN;
        if (rva < 0) continue;
      } else {
        const value = syms.readBigUInt64LE(o + 8);
        if (value < base || value - base > BigInt(Number.MAX_SAFE_INTEGER)) continue;
        rva = Number(value - base);
      }
      const held = byStart.get(rva);
      if (held !== undefined && score(held) <= score(o)) continue;
      byStart.set(rva, o);
    }
    return {
      size: byStart.size,
      get(rva) {
        if (rva < 0n || rva > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
        const o = byStart.get(Number(rva));
        if (o === undefined) return undefined;
        return { rva, sizeBytes: syms.readBigUInt64LE(o + 16), name: cString(names, syms.readUInt32LE(o), MAX_NAME_BYTES) };
      },
    };
  }

  close(): Promise<void> {
    return this.src.close();
  }
}
