/*
 * Builds the PT_NOTE contents of a core from stopped threads and /proc: NT_PRSTATUS, NT_PRFPREG and NT_X86_XSTATE
 * per thread, NT_PRPSINFO, NT_SIGINFO, NT_AUXV and NT_FILE, in the kernel's order (fs/binfmt_elf.c
 * write_note_info), then Procscope's own note (name "PROCSCOPE": thread names, dump kind, writer, process start;
 * debuggers skip notes of a name they do not know). Struct layouts are x86-64's (include/uapi/linux/elfcore.h,
 * elf_prstatus/elf_prpsinfo). What the notes take from /proc is read by readNoteSourcesSync while the threads are
 * stopped, so the registers, the mappings and the thread names agree; buildCoreNotes only encodes it, so it may run
 * once the target goes on (snapshot mode: the encoding's milliseconds are not the target's pause).
 */
import { readFileSync } from 'node:fs';
import { statCommOf, statFields } from '../../platform/linux/proc-stat';
import { encodeProcscopeNote, NT_PROCSCOPE_INFO, PROCSCOPE_NOTE_NAME } from './procscope-note';
import { NT_PRFPREG, NT_PRSTATUS, NT_X86_XSTATE } from './ffi/libc-ptrace';
import type { ElfNote } from './elf-core-layout';
import { isFileBacked, type ProcMapping } from './proc-maps';
import type { ThreadRegisters } from './ptrace-threads';
import { toGdbXsaveLayout } from './xsave-layout';

const NT_PRPSINFO = 3;
const NT_AUXV = 6;
const NT_FILE = 0x46494c45;
const NT_SIGINFO = 0x53494749;

const PRSTATUS_BYTES = 336;
const PRPSINFO_BYTES = 136;
const SIGINFO_BYTES = 128;

/** A thread's stat line as bytes, null if it cannot be read. */
function readStatLine(pid: number, tid: number): Buffer | null {
  try {
    return readFileSync(`/proc/${pid}/task/${tid}/stat`);
  } catch {
    return null;
  }
}

const fieldsOf = (line: Buffer | null): string[] => (line === null ? [] : statFields(line.toString('latin1')));

function writeTimeval(out: Buffer, at: number, ticks: number, ticksPerSecond: number): void {
  const micros = Math.round((ticks * 1_000_000) / ticksPerSecond);
  out.writeBigInt64LE(BigInt(Math.floor(micros / 1_000_000)), at);
  out.writeBigInt64LE(BigInt(micros % 1_000_000), at + 8);
}

export function encodePrstatus(regs: ThreadRegisters, stat: string[], ticksPerSecond: number): Buffer {
  const out = Buffer.alloc(PRSTATUS_BYTES);
  const n = (i: number): number => Number(stat[i] ?? 0) || 0;
  out.writeInt32LE(regs.pendingSignal, 0); // pr_info.si_signo
  out.writeInt16LE(regs.pendingSignal, 12); // pr_cursig
  out.writeInt32LE(regs.tid, 32); // pr_pid
  out.writeInt32LE(n(1), 36); // pr_ppid
  out.writeInt32LE(n(2), 40); // pr_pgrp
  out.writeInt32LE(n(3), 44); // pr_sid
  writeTimeval(out, 48, n(11), ticksPerSecond); // pr_utime
  writeTimeval(out, 64, n(12), ticksPerSecond); // pr_stime
  writeTimeval(out, 80, n(13), ticksPerSecond); // pr_cutime
  writeTimeval(out, 96, n(14), ticksPerSecond); // pr_cstime
  regs.prstatusRegs.copy(out, 112);
  out.writeInt32LE(regs.fpRegs ? 1 : 0, 328); // pr_fpvalid
  return out;
}

export interface ProcessIdentity {
  pid: number;
  comm: string;
  /** /proc/PID/cmdline with NULs as spaces. */
  args: string;
  uid: number;
  gid: number;
  stat: string[];
}

export function encodePrpsinfo(p: ProcessIdentity): Buffer {
  const out = Buffer.alloc(PRPSINFO_BYTES);
  const state = p.stat[0] ?? 'R';
  const n = (i: number): number => Number(p.stat[i] ?? 0) || 0;
  const stateIndex = 'RSDTZW'.indexOf(state);
  out.writeInt8(stateIndex < 0 ? 0 : stateIndex, 0); // pr_state
  out.write(state, 1, 'latin1'); // pr_sname
  out.writeInt8(state === 'Z' ? 1 : 0, 2); // pr_zomb
  out.writeInt8(Math.max(-128, Math.min(127, n(16))), 3); // pr_nice
  out.writeBigUInt64LE(BigInt(n(6)), 8); // pr_flag
  out.writeUInt32LE(p.uid, 16);
  out.writeUInt32LE(p.gid, 20);
  out.writeInt32LE(p.pid, 24);
  out.writeInt32LE(n(1), 28); // pr_ppid
  out.writeInt32LE(n(2), 32); // pr_pgrp
  out.writeInt32LE(n(3), 36); // pr_sid
  Buffer.from(p.comm, 'latin1').subarray(0, 15).copy(out, 40); // pr_fname[16]
  Buffer.from(p.args, 'latin1').subarray(0, 79).copy(out, 56); // pr_psargs[80]
  return out;
}

/** NT_FILE: count, page size, count × {start, end, offset in pages}, then the NUL-terminated paths. */
export function encodeFileNote(mappings: readonly ProcMapping[], pageBytes: number): Buffer {
  const files = mappings.filter(isFileBacked);
  const names = files.map((m) => Buffer.from(`${m.path}\0`, 'utf8'));
  const out = Buffer.alloc(16 + files.length * 24 + names.reduce((n, b) => n + b.length, 0));
  out.writeBigUInt64LE(BigInt(files.length), 0);
  out.writeBigUInt64LE(BigInt(pageBytes), 8);
  let off = 16;
  for (const m of files) {
    out.writeBigUInt64LE(BigInt(m.startAddr), off);
    out.writeBigUInt64LE(BigInt(m.endAddr), off + 8);
    out.writeBigUInt64LE(BigInt(Math.floor(m.fileOffset / pageBytes)), off + 16);
    off += 24;
  }
  for (const b of names) {
    b.copy(out, off);
    off += b.length;
  }
  return out;
}

/**
 * `leaderStat`: the leader thread's stat line (null if unreadable), which readNoteSourcesSync has read already: its
 * comm and fields are the process's here, as in the kernel's own core.
 */
export function readProcessIdentitySync(pid: number, leaderStat: Buffer | null): ProcessIdentity {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  let args = '';
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0+$/, '').replace(/\0/g, ' ');
  } catch {
    // a zombie has no cmdline; the name is enough
  }
  return {
    pid,
    // pr_fname takes the bytes as they are (latin1 keeps each byte one character).
    comm: (leaderStat && statCommOf(leaderStat, 'latin1')) ?? readFileSync(`/proc/${pid}/comm`, 'latin1').trim(),
    args,
    uid: field('Uid'),
    gid: field('Gid'),
    stat: fieldsOf(leaderStat),
  };
}

export interface NoteInputs {
  /** What the request asked for, recorded in the PROCSCOPE note. */
  kind: 'full' | 'mini';
  /** Epoch ms of the process's start (the request's, checked against /proc), for the report's uptime. */
  processStartTimeMs: number | null;
  threads: readonly ThreadRegisters[];
  /** readNoteSourcesSync(pid, threads), read while they were stopped. */
  sources: NoteSources;
  mappings: readonly ProcMapping[];
  pageBytes: number;
  ticksPerSecond: number;
}

/** What the notes take from /proc: the process's identity and auxv, and each thread's stat fields and comm. */
export interface NoteSources {
  identity: ProcessIdentity;
  auxv: Buffer;
  /** Per thread, in the order of the threads they were read for: statFields ([] if unreadable). */
  threadStats: string[][];
  /** Per thread, the same order: its comm (null if unreadable). */
  threadNames: (string | null)[];
}

/** Read, while `threads` are stopped, everything buildCoreNotes takes from /proc. */
export function readNoteSourcesSync(pid: number, threads: readonly ThreadRegisters[]): NoteSources {
  // One stat read per thread gives its fields and its name (the comm file holds the same task->comm).
  const lines = threads.map((r) => readStatLine(pid, r.tid));
  const leader = threads.findIndex((r) => r.tid === pid);
  return {
    identity: readProcessIdentitySync(pid, leader >= 0 ? lines[leader]! : readStatLine(pid, pid)),
    auxv: readFileSync(`/proc/${pid}/auxv`),
    threadStats: lines.map(fieldsOf),
    threadNames: lines.map((line) => (line === null ? null : statCommOf(line))),
  };
}

/** Encodes the notes from what was read while the threads were stopped; reads nothing itself. */
export function buildCoreNotes(input: NoteInputs): ElfNote[] {
  const notes: ElfNote[] = [];
  const { sources } = input;
  input.threads.forEach((regs, i) => {
    notes.push({ name: 'CORE', type: NT_PRSTATUS, desc: encodePrstatus(regs, sources.threadStats[i] ?? [], input.ticksPerSecond) });
    if (i === 0) {
      notes.push({ name: 'CORE', type: NT_PRPSINFO, desc: encodePrpsinfo(sources.identity) });
      // A thread stopped by PTRACE_INTERRUPT has no signal of its own: write an empty siginfo then.
      const siginfo = regs.pendingSignal && regs.siginfo ? regs.siginfo : Buffer.alloc(SIGINFO_BYTES);
      notes.push({ name: 'CORE', type: NT_SIGINFO, desc: siginfo });
      notes.push({ name: 'CORE', type: NT_AUXV, desc: sources.auxv });
      notes.push({ name: 'CORE', type: NT_FILE, desc: encodeFileNote(input.mappings, input.pageBytes) });
    }
    if (regs.fpRegs) notes.push({ name: 'CORE', type: NT_PRFPREG, desc: regs.fpRegs });
    if (regs.xstate) notes.push({ name: 'LINUX', type: NT_X86_XSTATE, desc: toGdbXsaveLayout(regs.xstate) });
  });
  notes.push({
    name: PROCSCOPE_NOTE_NAME,
    type: NT_PROCSCOPE_INFO,
    desc: encodeProcscopeNote({
      dumpKind: input.kind,
      processStartTimeMs: input.processStartTimeMs,
      threads: input.threads.map((r, i) => ({ tid: r.tid, name: sources.threadNames[i] ?? null })),
    }),
  });
  return notes;
}
