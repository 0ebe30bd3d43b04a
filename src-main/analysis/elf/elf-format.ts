/*
 * ELF64 little-endian layouts shared by the core reader and the module image reader (elf(5);
 * include/uapi/linux/elf.h): the file header, program headers, section headers and notes. Pure functions over
 * Buffers; each checks the fields it returns and throws ElfFormatError with a sentence, never reads past a buffer.
 */

export class ElfFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ElfFormatError';
  }
}

export const ELF_HEADER_BYTES = 64;
export const PHDR_BYTES = 56;
export const SHDR_BYTES = 64;
export const PN_XNUM = 0xffff;

export const ET_EXEC = 2;
export const ET_DYN = 3;
export const ET_CORE = 4;
export const EM_X86_64 = 62;

export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_NOTE = 4;
export const PT_GNU_EH_FRAME = 0x6474e550;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_NOBITS = 8;
export const SHT_DYNSYM = 11;

export const NT_GNU_BUILD_ID = 3;

export interface ElfHeader {
  type: number;
  machine: number;
  entry: bigint;
  phoff: number;
  phentsize: number;
  /** e_phnum as written: PN_XNUM means the real count is in section header 0's sh_info. */
  phnum: number;
  shoff: number;
  shentsize: number;
  shnum: number;
  shstrndx: number;
}

export interface ProgramHeader {
  type: number;
  flags: number;
  offset: number;
  vaddr: bigint;
  fileBytes: number;
  memBytes: bigint;
  align: bigint;
}

export interface SectionHeader {
  name: string;
  nameOffset: number;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: number;
  sizeBytes: number;
  link: number;
  info: number;
  entsize: number;
}

export interface ElfNoteRecord {
  name: string;
  type: number;
  desc: Buffer;
  /** Offset of the note header inside the buffer it was parsed from. */
  at: number;
}

/** A u64 field that must fit a file offset or size: beyond 2^53 it cannot be real in any file we read. */
export function safeNumber(v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfFormatError(`${what} is 0x${v.toString(16)}, larger than any file.`);
  return Number(v);
}

export function parseElfHeader(b: Buffer, what: string): ElfHeader {
  if (b.length < ELF_HEADER_BYTES) throw new ElfFormatError(`${what} is too small for an ELF header (${b.length} bytes).`);
  if (b.readUInt32BE(0) !== 0x7f454c46) throw new ElfFormatError(`${what} is not ELF: it does not start with \\x7fELF.`);
  if (b[4] !== 2) throw new ElfFormatError(`${what} is not a 64-bit ELF file (EI_CLASS ${b[4]}).`);
  if (b[5] !== 1) throw new ElfFormatError(`${what} is not little-endian (EI_DATA ${b[5]}).`);
  const h: ElfHeader = {
    type: b.readUInt16LE(16),
    machine: b.readUInt16LE(18),
    entry: b.readBigUInt64LE(24),
    phoff: safeNumber(b.readBigUInt64LE(32), `${what}'s e_phoff`),
    phentsize: b.readUInt16LE(54),
    phnum: b.readUInt16LE(56),
    shoff: safeNumber(b.readBigUInt64LE(40), `${what}'s e_shoff`),
    shentsize: b.readUInt16LE(58),
    shnum: b.readUInt16LE(60),
    shstrndx: b.readUInt16LE(62),
  };
  if (h.phnum > 0 && h.phentsize !== PHDR_BYTES) throw new ElfFormatError(`${what} has program headers of ${h.phentsize} bytes, not ${PHDR_BYTES}.`);
  if (h.shnum > 0 && h.shentsize !== SHDR_BYTES) throw new ElfFormatError(`${what} has section headers of ${h.shentsize} bytes, not ${SHDR_BYTES}.`);
  return h;
}

export function parseProgramHeaders(b: Buffer, count: number, what: string): ProgramHeader[] {
  if (b.length < count * PHDR_BYTES) throw new ElfFormatError(`${what}: ${count} program headers need ${count * PHDR_BYTES} bytes, ${b.length} are there.`);
  const out: ProgramHeader[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * PHDR_BYTES;
    out.push({
      type: b.readUInt32LE(o),
      flags: b.readUInt32LE(o + 4),
      offset: safeNumber(b.readBigUInt64LE(o + 8), `${what}: program header ${i}'s p_offset`),
      vaddr: b.readBigUInt64LE(o + 16),
      fileBytes: safeNumber(b.readBigUInt64LE(o + 32), `${what}: program header ${i}'s p_filesz`),
      memBytes: b.readBigUInt64LE(o + 40),
      align: b.readBigUInt64LE(o + 48),
    });
  }
  return out;
}

/** Section headers with names from the section-name string table (e_shstrndx), when it is there. */
export function parseSectionHeaders(b: Buffer, count: number, names: Buffer | null, what: string): SectionHeader[] {
  if (b.length < count * SHDR_BYTES) throw new ElfFormatError(`${what}: ${count} section headers need ${count * SHDR_BYTES} bytes.`);
  const out: SectionHeader[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * SHDR_BYTES;
    const nameOffset = b.readUInt32LE(o);
    out.push({
      name: names ? cString(names, nameOffset) : '',
      nameOffset,
      type: b.readUInt32LE(o + 4),
      flags: b.readBigUInt64LE(o + 8),
      addr: b.readBigUInt64LE(o + 16),
      offset: safeNumber(b.readBigUInt64LE(o + 24), `${what}: section ${i}'s sh_offset`),
      sizeBytes: safeNumber(b.readBigUInt64LE(o + 32), `${what}: section ${i}'s sh_size`),
      link: b.readUInt32LE(o + 40),
      info: b.readUInt32LE(o + 44),
      entsize: safeNumber(b.readBigUInt64LE(o + 56), `${what}: section ${i}'s sh_entsize`),
    });
  }
  return out;
}

/** The NUL-terminated string at `at` (empty past the end: a bad index names nothing rather than failing). */
export function cString(b: Buffer, at: number, max = 4096): string {
  if (at < 0 || at >= b.length) return '';
  const end = b.indexOf(0, at);
  const stop = end < 0 ? b.length : end;
  return b.toString('utf8', at, Math.min(stop, at + max));
}

/**
 * Notes of one PT_NOTE segment or SHT_NOTE section: {namesz, descsz, type, name, desc}, name and desc padded to
 * `align` (4 in cores, 4 or 8 in executables). A note running past the buffer is an error naming its index.
 */
export function parseNotes(b: Buffer, align: number, what: string, maxNotes = 1_000_000): ElfNoteRecord[] {
  const pad = (n: number): number => Math.ceil(n / align) * align;
  const out: ElfNoteRecord[] = [];
  let at = 0;
  while (at + 12 <= b.length) {
    if (out.length >= maxNotes) throw new ElfFormatError(`${what} holds more than ${maxNotes} notes.`);
    const nameBytes = b.readUInt32LE(at);
    const descBytes = b.readUInt32LE(at + 4);
    const type = b.readUInt32LE(at + 8);
    const descAt = at + pad(12 + nameBytes); // desc is aligned from the note's start (8-aligned GNU property notes)
    const end = descAt + pad(descBytes);
    if (descAt + descBytes > b.length) {
      throw new ElfFormatError(`${what}: note ${out.length} (type 0x${type.toString(16)}) claims ${descBytes} bytes of data past the end of its ${b.length}-byte segment.`);
    }
    out.push({ name: b.toString('latin1', at + 12, at + 12 + nameBytes).replace(/\0+$/, ''), type, desc: b.subarray(descAt, descAt + descBytes), at });
    at = end;
  }
  return out;
}
