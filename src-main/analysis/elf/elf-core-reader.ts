/*
 * Our ELF core reader (x86-64 Linux cores from the kernel, gcore and Procscope's own writer): the header, program
 * headers (PN_XNUM too), PT_LOAD segments as a sorted interval index for reads by virtual address, and the PT_NOTE
 * notes — per thread NT_PRSTATUS (+ which of NT_PRFPREG / NT_X86_XSTATE follow it), and NT_PRPSINFO, NT_AUXV,
 * NT_SIGINFO, NT_FILE once, and Procscope's own PROCSCOPE note (thread names, dump kind, process start; a malformed
 * one is ignored and said in `noteProblems`, never fatal). Pure Node over a FileHandle with small positional reads: never loads the file; every
 * offset, size and count is checked and a malformed core is refused with ElfFormatError naming what is wrong.
 */
import { FileByteSource } from './byte-source';
import {
  decodeAuxv, decodeFileNote, decodePrpsinfo, decodePrstatus, decodeSiginfo, NT_AUXV, NT_FILE, NT_PRFPREG,
  NT_PRPSINFO, NT_PRSTATUS, NT_SIGINFO, NT_X86_XSTATE, type CoreFileMapping, type CorePrpsinfo, type CorePrstatus,
  type CoreSiginfo,
} from './elf-core-notes';
import {
  ELF_HEADER_BYTES, ElfFormatError, EM_X86_64, ET_CORE, parseElfHeader, parseNotes, parseProgramHeaders, PHDR_BYTES,
  PN_XNUM, PT_LOAD, PT_NOTE, SHDR_BYTES, type ElfNoteRecord,
} from './elf-format';
import { decodeProcscopeNote, NT_PROCSCOPE_INFO, PROCSCOPE_NOTE_NAME, ProcscopeNoteError, type ProcscopeNoteInfo } from '../../dump/linux/procscope-note';

export interface CoreSegment {
  start: bigint;
  end: bigint;
  /** Bytes of content in the file from `start` on; the rest up to `end` was not dumped. */
  fileBytes: number;
  fileOffset: number;
  flags: number;
}

export interface CoreThread extends CorePrstatus {
  hasFpregs: boolean;
  hasXstate: boolean;
}

export interface ElfCore {
  path: string;
  fileBytes: number;
  /** PT_LOAD segments sorted by address; none overlap. */
  segments: readonly CoreSegment[];
  /** In note order: the first is the thread the dump was taken for (the crashing one in a kernel core). */
  threads: readonly CoreThread[];
  process: CorePrpsinfo | null;
  auxv: ReadonlyMap<number, bigint>;
  siginfo: CoreSiginfo | null;
  /** NT_FILE's mappings with byte offsets; empty if the note is absent. */
  files: readonly CoreFileMapping[];
  /** NT_FILE's page_size as written (1 from gcore, 4096 from the kernel and Procscope), or null. */
  filePageBytes: number | null;
  /** Procscope's note (our writer's cores), null in other cores or when it was malformed. */
  procscope: ProcscopeNoteInfo | null;
  /** Notes that were present but unreadable and so ignored, one sentence each. */
  noteProblems: readonly string[];
  /** Every note, for the ones this reader does not decode (name, type, size). */
  notes: readonly { name: string; type: number; descBytes: number }[];
  /** The segment holding `address`, dumped or not. */
  segmentAt(address: bigint): CoreSegment | null;
  /** `length` bytes at a virtual address, or null unless the core holds every one of them. */
  readMemory(address: bigint, length: number): Promise<Buffer | null>;
  close(): Promise<void>;
}

const U64_END = 1n << 64n;
const MAX_PROGRAM_HEADERS = 1 << 24;
const MAX_THREADS = 1 << 20;

const fail = (message: string): ElfFormatError => new ElfFormatError(message);

async function programHeaderCount(src: FileByteSource, phnum: number, shoff: number): Promise<number> {
  if (phnum !== PN_XNUM) return phnum;
  // Extended numbering: section header 0's sh_info holds the real count (elf(5), "PN_XNUM").
  if (shoff === 0) throw new ElfFormatError('The core says it has more than 65534 program headers (PN_XNUM) but has no section header 0 with the count.');
  const sh0 = await src.read(shoff, SHDR_BYTES, 'section header 0 (the PN_XNUM count)');
  return sh0.readUInt32LE(44);
}

function indexSegments(loads: CoreSegment[]): CoreSegment[] {
  const sorted = [...loads].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur.start < prev.end) {
      throw new ElfFormatError(`PT_LOAD segments overlap: 0x${prev.start.toString(16)}-0x${prev.end.toString(16)} and 0x${cur.start.toString(16)}-0x${cur.end.toString(16)}.`);
    }
  }
  return sorted;
}

/** Index of the last segment starting at or below `address`, or -1. */
function floorIndex(segments: readonly CoreSegment[], address: bigint): number {
  let lo = 0;
  let hi = segments.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (segments[mid]!.start <= address) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

interface DecodedNotes {
  threads: CoreThread[];
  process: CorePrpsinfo | null;
  auxv: Map<number, bigint>;
  siginfo: CoreSiginfo | null;
  files: CoreFileMapping[];
  filePageBytes: number | null;
  procscope: ProcscopeNoteInfo | null;
  noteProblems: string[];
}

function decodeNotes(notes: readonly ElfNoteRecord[]): DecodedNotes {
  const out: DecodedNotes = { threads: [], process: null, auxv: new Map(), siginfo: null, files: [], filePageBytes: null, procscope: null, noteProblems: [] };
  let sawProcscope = false;
  for (const n of notes) {
    const core = n.name === 'CORE';
    if (core && n.type === NT_PRSTATUS) {
      if (out.threads.length >= MAX_THREADS) throw new ElfFormatError(`The core holds more than ${MAX_THREADS} threads.`);
      out.threads.push({ ...decodePrstatus(n.desc), hasFpregs: false, hasXstate: false });
    } else if (core && n.type === NT_PRFPREG) {
      const t = out.threads.at(-1);
      if (t) t.hasFpregs = true;
    } else if (n.name === 'LINUX' && n.type === NT_X86_XSTATE) {
      const t = out.threads.at(-1);
      if (t) t.hasXstate = true;
    } else if (core && n.type === NT_PRPSINFO && !out.process) {
      out.process = decodePrpsinfo(n.desc);
    } else if (core && n.type === NT_AUXV && out.auxv.size === 0) {
      out.auxv = decodeAuxv(n.desc);
    } else if (core && n.type === NT_SIGINFO && !out.siginfo) {
      out.siginfo = decodeSiginfo(n.desc);
    } else if (core && n.type === NT_FILE && out.filePageBytes === null) {
      const f = decodeFileNote(n.desc);
      out.files = f.mappings;
      out.filePageBytes = f.pageBytes;
    } else if (n.name === PROCSCOPE_NOTE_NAME && n.type === NT_PROCSCOPE_INFO && !sawProcscope) {
      sawProcscope = true;
      try {
        out.procscope = decodeProcscopeNote(n.desc);
      } catch (err) {
        if (!(err instanceof ProcscopeNoteError)) throw err;
        out.noteProblems.push(`${err.message} It was ignored: thread names and the process start time are unknown.`);
      }
    }
  }
  return out;
}

export async function openElfCore(path: string): Promise<ElfCore> {
  const src = await FileByteSource.open(path, fail);
  try {
    if (src.size < ELF_HEADER_BYTES) throw new ElfFormatError(`The file is too small to be an ELF core (${src.size} bytes).`);
    const h = parseElfHeader(await src.read(0, ELF_HEADER_BYTES, 'the ELF header'), 'The file');
    if (h.type !== ET_CORE) throw new ElfFormatError(`Not a core file: e_type is ${h.type}, not ET_CORE (4).`);
    if (h.machine !== EM_X86_64) throw new ElfFormatError(`The core is for machine ${h.machine}; only x86-64 (62) is read.`);
    const count = await programHeaderCount(src, h.phnum, h.shoff);
    if (count > MAX_PROGRAM_HEADERS) throw new ElfFormatError(`${count} program headers is not plausible.`);
    if (h.phoff + count * PHDR_BYTES > src.size) {
      throw new ElfFormatError(`The ${count} program headers at offset ${h.phoff} run past the end of the ${src.size}-byte file.`);
    }
    const phdrs = parseProgramHeaders(await src.read(h.phoff, count * PHDR_BYTES, 'the program headers'), count, 'The core');
    const loads: CoreSegment[] = [];
    const noteRecords: ElfNoteRecord[] = [];
    for (const [i, p] of phdrs.entries()) {
      if (p.type === PT_LOAD) {
        const end = p.vaddr + p.memBytes;
        if (end > U64_END) throw new ElfFormatError(`PT_LOAD ${i} at 0x${p.vaddr.toString(16)} with ${p.memBytes} bytes wraps past the top of the address space.`);
        if (BigInt(p.fileBytes) > p.memBytes) throw new ElfFormatError(`PT_LOAD ${i} has more bytes in the file (${p.fileBytes}) than in memory (${p.memBytes}).`);
        if (p.offset + p.fileBytes > src.size) {
          throw new ElfFormatError(`The core is truncated: PT_LOAD ${i} (0x${p.vaddr.toString(16)}) needs file bytes up to ${p.offset + p.fileBytes}, the file has ${src.size}.`);
        }
        if (p.memBytes > 0n) loads.push({ start: p.vaddr, end, fileBytes: p.fileBytes, fileOffset: p.offset, flags: p.flags });
      } else if (p.type === PT_NOTE) {
        const what = `PT_NOTE segment ${i}`;
        const body = await src.read(p.offset, p.fileBytes, what);
        noteRecords.push(...parseNotes(body, 4, `The core's ${what}`));
      }
    }
    const segments = indexSegments(loads);
    const decoded = decodeNotes(noteRecords);
    if (decoded.threads.length === 0) throw new ElfFormatError('The core holds no NT_PRSTATUS note, so no thread.');

    const segmentAt = (address: bigint): CoreSegment | null => {
      const i = floorIndex(segments, address);
      const s = i >= 0 ? segments[i]! : null;
      return s && address < s.end ? s : null;
    };
    return {
      path,
      fileBytes: src.size,
      segments,
      ...decoded,
      notes: noteRecords.map((n) => ({ name: n.name, type: n.type, descBytes: n.desc.length })),
      segmentAt,
      async readMemory(address, length) {
        if (typeof address !== 'bigint') throw new TypeError(`readMemory takes the address as a bigint, not a ${typeof address}.`);
        if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`readMemory needs a whole, non-negative number of bytes, not ${length}.`);
        if (address < 0n || address + BigInt(length) > U64_END) return null;
        const parts: Buffer[] = [];
        let at = address;
        let left = length;
        // A read may span adjacent segments (a mini core splits one mapping into dumped and undumped pieces).
        while (left > 0) {
          const s = segmentAt(at);
          if (!s) return null;
          const inFile = s.start + BigInt(s.fileBytes);
          if (at >= inFile) return null;
          const n = Math.min(left, Number(inFile - at));
          parts.push(await src.read(s.fileOffset + Number(at - s.start), n, `memory at 0x${at.toString(16)}`));
          at += BigInt(n);
          left -= n;
        }
        return parts.length === 1 ? parts[0]! : Buffer.concat(parts, length);
      },
      close: () => src.close(),
    };
  } catch (err) {
    await src.close();
    throw err;
  }
}
