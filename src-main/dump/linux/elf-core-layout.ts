/*
 * Byte layout of an x86-64 ELF core file (elf(5); include/uapi/linux/elf.h; the kernel's fs/binfmt_elf.c
 * elf_core_dump): ELF header, program headers (PT_NOTE first, then one PT_LOAD per memory range), the notes, then
 * page-aligned segment data. Pure functions over Buffers; knows nothing about processes.
 */

export const ELF_HEADER_BYTES = 64;
export const PHDR_BYTES = 56;
export const SHDR_BYTES = 64;
const PN_XNUM = 0xffff;

const PT_LOAD = 1;
const PT_NOTE = 4;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

export interface ElfNote {
  name: 'CORE' | 'LINUX' | 'PROCSCOPE';
  type: number;
  desc: Buffer;
}

const align4 = (n: number): number => (n + 3) & ~3;

export function noteBytes(note: ElfNote): number {
  return 12 + align4(note.name.length + 1) + align4(note.desc.length);
}

/** {namesz, descsz, type}, name + NUL padded to 4, desc padded to 4 (elf(5) "Notes (Nhdr)"). */
export function encodeNotes(notes: readonly ElfNote[]): Buffer {
  const out = Buffer.alloc(notes.reduce((n, x) => n + noteBytes(x), 0));
  let off = 0;
  for (const note of notes) {
    out.writeUInt32LE(note.name.length + 1, off);
    out.writeUInt32LE(note.desc.length, off + 4);
    out.writeUInt32LE(note.type, off + 8);
    out.write(note.name, off + 12, 'latin1');
    off += 12 + align4(note.name.length + 1);
    note.desc.copy(out, off);
    off += align4(note.desc.length);
  }
  return out;
}

export interface LoadSegment {
  vaddr: number;
  memBytes: number;
  /** Bytes of content in the file (0 = described but not dumped). */
  fileBytes: number;
  flags: number;
  /** Set by layoutCore. */
  fileOffset: number;
}

export interface CoreLayout {
  /** ELF header + program headers (+ the extended-numbering section header) + notes, unpadded. */
  headerBytes: number;
  /** Offset of the first segment's data (page-aligned). */
  dataOffset: number;
  fileLength: number;
}

/** Assign file offsets: segments follow the notes back to back, starting on a page boundary. */
export function layoutCore(noteLength: number, segments: LoadSegment[], pageBytes: number): CoreLayout {
  const phnum = segments.length + 1;
  const shdrBytes = phnum >= PN_XNUM ? SHDR_BYTES : 0;
  const headerBytes = ELF_HEADER_BYTES + phnum * PHDR_BYTES + shdrBytes + noteLength;
  const dataOffset = Math.ceil(headerBytes / pageBytes) * pageBytes;
  let off = dataOffset;
  for (const s of segments) {
    s.fileOffset = off;
    off += s.fileBytes;
  }
  return { headerBytes, dataOffset, fileLength: off };
}

/** The header block: Elf64_Ehdr, PT_NOTE + PT_LOADs, section header 0 if PN_XNUM is needed, then the notes. */
export function encodeHeaders(notes: Buffer, segments: readonly LoadSegment[], layout: CoreLayout): Buffer {
  const out = Buffer.alloc(layout.headerBytes);
  const phnum = segments.length + 1;
  const extended = phnum >= PN_XNUM;
  const shoff = ELF_HEADER_BYTES + phnum * PHDR_BYTES;
  const noteOffset = shoff + (extended ? SHDR_BYTES : 0);

  // e_ident: \x7fELF, ELFCLASS64, ELFDATA2LSB, EV_CURRENT, ELFOSABI_NONE.
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0);
  out.writeUInt16LE(4, 16); // e_type ET_CORE
  out.writeUInt16LE(62, 18); // e_machine EM_X86_64
  out.writeUInt32LE(1, 20); // e_version
  out.writeBigUInt64LE(0n, 24); // e_entry
  out.writeBigUInt64LE(BigInt(ELF_HEADER_BYTES), 32); // e_phoff
  out.writeBigUInt64LE(BigInt(extended ? shoff : 0), 40); // e_shoff
  out.writeUInt32LE(0, 48); // e_flags
  out.writeUInt16LE(ELF_HEADER_BYTES, 52); // e_ehsize
  out.writeUInt16LE(PHDR_BYTES, 54); // e_phentsize
  out.writeUInt16LE(extended ? PN_XNUM : phnum, 56); // e_phnum
  out.writeUInt16LE(extended ? SHDR_BYTES : 0, 58); // e_shentsize
  out.writeUInt16LE(extended ? 1 : 0, 60); // e_shnum
  out.writeUInt16LE(0, 62); // e_shstrndx

  let ph = ELF_HEADER_BYTES;
  writePhdr(out, ph, PT_NOTE, 0, noteOffset, 0, notes.length, 0, 4);
  for (const s of segments) {
    ph += PHDR_BYTES;
    writePhdr(out, ph, PT_LOAD, s.flags, s.fileOffset, s.vaddr, s.fileBytes, s.memBytes, 0x1000);
  }
  if (extended) {
    // Section 0 carries the real program header count in sh_info (elf(5), "PN_XNUM"; kernel fill_extnum_info).
    out.writeUInt32LE(0, shoff + 4); // SHT_NULL
    out.writeBigUInt64LE(1n, shoff + 32); // sh_size = e_shnum
    out.writeUInt32LE(phnum, shoff + 44); // sh_info
  }
  notes.copy(out, noteOffset);
  return out;
}

function writePhdr(
  out: Buffer,
  at: number,
  type: number,
  flags: number,
  offset: number,
  vaddr: number,
  fileBytes: number,
  memBytes: number,
  align: number,
): void {
  out.writeUInt32LE(type, at);
  out.writeUInt32LE(flags, at + 4);
  out.writeBigUInt64LE(BigInt(offset), at + 8);
  out.writeBigUInt64LE(BigInt(vaddr), at + 16); // p_vaddr
  out.writeBigUInt64LE(0n, at + 24); // p_paddr
  out.writeBigUInt64LE(BigInt(fileBytes), at + 32);
  out.writeBigUInt64LE(BigInt(memBytes), at + 40);
  out.writeBigUInt64LE(BigInt(align), at + 48);
}
