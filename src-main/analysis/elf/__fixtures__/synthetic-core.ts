/*
 * Builds small, well-formed x86-64 ELF cores in memory for the reader's tests and fuzzing, with the same layout
 * code our core writer uses (src-main/dump/linux/elf-core-layout.ts): threads with known registers, PRPSINFO,
 * AUXV, SIGINFO, NT_FILE in the kernel's page units or gcore's bytes, optionally Procscope's PROCSCOPE note, and
 * PT_LOADs with and without content.
 * Returns the offsets of the fields the fuzzer aims at.
 */
import { encodeHeaders, encodeNotes, layoutCore, type ElfNote, type LoadSegment } from '../../../dump/linux/elf-core-layout';
import { NT_PROCSCOPE_INFO } from '../../../dump/linux/procscope-note';

export interface SyntheticCoreOptions {
  threadCount?: number;
  /** NT_FILE page_size: 4096 (kernel, Procscope) or 1 (gcore). */
  filePageBytes?: number;
  /** [vaddr, bytes, withContent] per PT_LOAD. */
  segments?: [number, number, boolean][];
  files?: { start: number; end: number; offsetBytes: number; path: string }[];
  extraSegments?: number;
  /** The desc of a PROCSCOPE note to append after the threads' notes (none when absent). */
  procscopeNote?: Buffer;
}

export interface SyntheticCore {
  bytes: Buffer;
  tids: number[];
  segments: LoadSegment[];
  /** Where each program header starts, and the notes start. */
  phdrOffsets: number[];
  noteOffset: number;
  noteBytes: number;
  /** Offsets of each note's header (namesz) in the file. */
  noteHeaderOffsets: number[];
  fileNoteDescOffset: number;
  /** Where the PROCSCOPE note's desc starts, 0 without one. */
  procscopeDescOffset: number;
}

export const SYNTHETIC_RIP = 0x401234n;

export function prstatus(tid: number, i: number): Buffer {
  const b = Buffer.alloc(336);
  b.writeInt16LE(i === 0 ? 11 : 0, 12); // cursig
  b.writeInt32LE(tid, 32);
  b.writeInt32LE(1, 36);
  b.writeBigInt64LE(3n, 48); // utime 3.000250 s
  b.writeBigInt64LE(250n, 56);
  b.writeBigInt64LE(0n, 64); // stime 0.5 s
  b.writeBigInt64LE(500_000n, 72);
  const regs = 112;
  b.writeBigUInt64LE(0x7ffd0000n + BigInt(i) * 0x1000n, regs + 19 * 8); // rsp
  b.writeBigUInt64LE(SYNTHETIC_RIP + BigInt(i), regs + 16 * 8); // rip
  b.writeBigUInt64LE(202n, regs + 15 * 8); // orig_rax: futex
  b.writeBigUInt64LE(0x601040n, regs + 14 * 8); // rdi
  b.writeBigUInt64LE(0x80n, regs + 13 * 8); // rsi: FUTEX_WAIT_PRIVATE
  b.writeInt32LE(1, 328);
  return b;
}

export function buildSyntheticCore(o: SyntheticCoreOptions = {}): SyntheticCore {
  const threadCount = o.threadCount ?? 2;
  const pageUnits = o.filePageBytes ?? 4096;
  const segs = o.segments ?? [[0x400000, 0x1000, true], [0x401000, 0x2000, false], [0x601000, 0x1000, true], [0x602000, 0x1000, true], [0x7ffd0000 - 0x1000, 0x4000, true]];
  const files = o.files ?? [
    { start: 0x400000, end: 0x401000, offsetBytes: 0, path: '/usr/bin/synthetic' },
    { start: 0x401000, end: 0x403000, offsetBytes: 0x1000, path: '/usr/bin/synthetic' },
    { start: 0x601000, end: 0x602000, offsetBytes: 0x2000, path: '/usr/lib/libsynthetic.so.1' },
  ];
  const tids = Array.from({ length: threadCount }, (_, i) => 4242 + i);
  const notes: ElfNote[] = [];
  tids.forEach((tid, i) => {
    notes.push({ name: 'CORE', type: 1, desc: prstatus(tid, i) });
    if (i === 0) {
      const ps = Buffer.alloc(136);
      ps.write('S', 1, 'latin1');
      ps.writeUInt32LE(1000, 16);
      ps.writeInt32LE(tid, 24);
      ps.write('synthetic', 40, 'latin1');
      ps.write('synthetic --flag', 56, 'latin1');
      notes.push({ name: 'CORE', type: 3, desc: ps });
      const si = Buffer.alloc(128);
      si.writeInt32LE(11, 0);
      si.writeBigUInt64LE(0xdeadn, 16);
      notes.push({ name: 'CORE', type: 0x53494749, desc: si });
      const auxv = Buffer.alloc(48);
      auxv.writeBigUInt64LE(6n, 0); // AT_PAGESZ
      auxv.writeBigUInt64LE(4096n, 8);
      auxv.writeBigUInt64LE(33n, 16); // AT_SYSINFO_EHDR
      auxv.writeBigUInt64LE(0x7fff0000n, 24);
      notes.push({ name: 'CORE', type: 6, desc: auxv });
      const names = files.map((f) => Buffer.from(`${f.path}\0`));
      const nf = Buffer.alloc(16 + files.length * 24 + names.reduce((n, b) => n + b.length, 0));
      nf.writeBigUInt64LE(BigInt(files.length), 0);
      nf.writeBigUInt64LE(BigInt(pageUnits), 8);
      files.forEach((f, j) => {
        nf.writeBigUInt64LE(BigInt(f.start), 16 + j * 24);
        nf.writeBigUInt64LE(BigInt(f.end), 24 + j * 24);
        nf.writeBigUInt64LE(BigInt(f.offsetBytes / pageUnits), 32 + j * 24);
      });
      let at = 16 + files.length * 24;
      for (const n of names) at += n.copy(nf, at);
      notes.push({ name: 'CORE', type: 0x46494c45, desc: nf });
    }
    notes.push({ name: 'CORE', type: 2, desc: Buffer.alloc(512) });
  });
  if (o.procscopeNote) notes.push({ name: 'PROCSCOPE', type: NT_PROCSCOPE_INFO, desc: o.procscopeNote });
  const segments: LoadSegment[] = segs.map(([vaddr, bytes, content]) => ({ vaddr, memBytes: bytes, fileBytes: content ? bytes : 0, flags: 4, fileOffset: 0 }));
  for (let i = 0; i < (o.extraSegments ?? 0); i++) segments.push({ vaddr: 0x10000000 + i * 0x1000, memBytes: 0x1000, fileBytes: 0, flags: 4, fileOffset: 0 });
  const noteBuf = encodeNotes(notes);
  const layout = layoutCore(noteBuf.length, segments, 4096);
  const headers = encodeHeaders(noteBuf, segments, layout);
  const bytes = Buffer.alloc(layout.fileLength);
  headers.copy(bytes, 0);
  // Content: each byte is its address's low byte, so a read can be checked anywhere.
  for (const s of segments) for (let i = 0; i < s.fileBytes; i++) bytes[s.fileOffset + i] = (s.vaddr + i) & 0xff;
  const phnum = segments.length + 1;
  const noteOffset = 64 + phnum * 56 + (phnum >= 0xffff ? 64 : 0);
  const noteHeaderOffsets: number[] = [];
  let at = noteOffset;
  let fileNoteDescOffset = 0;
  let procscopeDescOffset = 0;
  for (const n of notes) {
    noteHeaderOffsets.push(at);
    const descAt = at + 12 + Math.ceil((n.name.length + 1) / 4) * 4;
    if (n.type === 0x46494c45) fileNoteDescOffset = descAt;
    if (n.name === 'PROCSCOPE') procscopeDescOffset = descAt;
    at = descAt + Math.ceil(n.desc.length / 4) * 4;
  }
  return {
    bytes, tids, segments,
    phdrOffsets: Array.from({ length: phnum }, (_, i) => 64 + i * 56),
    noteOffset, noteBytes: noteBuf.length, noteHeaderOffsets, fileNoteDescOffset, procscopeDescOffset,
  };
}
