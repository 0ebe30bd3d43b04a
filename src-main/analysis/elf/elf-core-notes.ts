/*
 * Decoders for the notes of an x86-64 Linux core (include/uapi/linux/elfcore.h elf_prstatus / elf_prpsinfo,
 * arch/x86/include/asm/user_64.h user_regs_struct, fs/binfmt_elf.c fill_files_note, siginfo_t): the shapes the
 * kernel, gcore and our own writer (src-main/dump/linux/core-notes.ts) emit. Pure; each checks its size first.
 */
import { cString, ElfFormatError } from './elf-format';

export const NT_PRSTATUS = 1;
export const NT_PRFPREG = 2;
export const NT_PRPSINFO = 3;
export const NT_AUXV = 6;
export const NT_X86_XSTATE = 0x202;
export const NT_SIGINFO = 0x53494749;
export const NT_FILE = 0x46494c45;

const PRSTATUS_BYTES = 336;
const PRPSINFO_BYTES = 136;
const USER_REGS_OFFSET = 112;

/** user_regs_struct, in its order. */
export const USER_REGS = [
  'r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx', 'rdx', 'rsi', 'rdi', 'orig_rax',
  'rip', 'cs', 'eflags', 'rsp', 'ss', 'fs_base', 'gs_base', 'ds', 'es', 'fs', 'gs',
] as const;
export type UserRegName = (typeof USER_REGS)[number];
export type UserRegs = Record<UserRegName, bigint>;

export interface CorePrstatus {
  tid: number;
  ppid: number;
  pgrp: number;
  sid: number;
  /** The signal the thread was stopped with (pr_cursig); 0 for a thread that had none. */
  cursig: number;
  sigpend: bigint;
  sighold: bigint;
  userTimeUs: number;
  systemTimeUs: number;
  regs: UserRegs;
  fpValid: boolean;
}

export interface CorePrpsinfo {
  state: number;
  stateChar: string;
  zombie: boolean;
  nice: number;
  flags: bigint;
  uid: number;
  gid: number;
  pid: number;
  ppid: number;
  pgrp: number;
  sid: number;
  /** pr_fname: the first 15 bytes of the executable's name. */
  fileName: string;
  /** pr_psargs: the first 79 bytes of the command line, NULs as spaces. */
  args: string;
}

export interface CoreSiginfo {
  signo: number;
  errno: number;
  code: number;
  /** si_addr for the fault signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP), else null. */
  faultAddress: bigint | null;
}

export interface CoreFileMapping {
  start: bigint;
  end: bigint;
  /** Offset in the file, in bytes (NT_FILE's file_ofs × its page_size). */
  fileOffset: bigint;
  path: string;
}

function tooSmall(what: string, got: number, need: number): never {
  throw new ElfFormatError(`The ${what} note has ${got} bytes, fewer than the ${need} of its x86-64 layout.`);
}

const micros = (b: Buffer, at: number): number => Number(b.readBigInt64LE(at)) * 1_000_000 + Number(b.readBigInt64LE(at + 8));

export function decodePrstatus(b: Buffer): CorePrstatus {
  if (b.length < PRSTATUS_BYTES) tooSmall('NT_PRSTATUS', b.length, PRSTATUS_BYTES);
  const regs = {} as UserRegs;
  USER_REGS.forEach((name, i) => {
    regs[name] = b.readBigUInt64LE(USER_REGS_OFFSET + i * 8);
  });
  return {
    cursig: b.readInt16LE(12),
    sigpend: b.readBigUInt64LE(16),
    sighold: b.readBigUInt64LE(24),
    tid: b.readInt32LE(32),
    ppid: b.readInt32LE(36),
    pgrp: b.readInt32LE(40),
    sid: b.readInt32LE(44),
    userTimeUs: micros(b, 48),
    systemTimeUs: micros(b, 64),
    regs,
    fpValid: b.readInt32LE(328) !== 0,
  };
}

export function decodePrpsinfo(b: Buffer): CorePrpsinfo {
  if (b.length < PRPSINFO_BYTES) tooSmall('NT_PRPSINFO', b.length, PRPSINFO_BYTES);
  return {
    state: b.readInt8(0),
    stateChar: b.toString('latin1', 1, 2).replace(/\0/, ''),
    zombie: b[2] !== 0,
    nice: b.readInt8(3),
    flags: b.readBigUInt64LE(8),
    uid: b.readUInt32LE(16),
    gid: b.readUInt32LE(20),
    pid: b.readInt32LE(24),
    ppid: b.readInt32LE(28),
    pgrp: b.readInt32LE(32),
    sid: b.readInt32LE(36),
    fileName: cString(b.subarray(40, 56), 0),
    args: cString(b.subarray(56, 136), 0).trimEnd(),
  };
}

const FAULT_SIGNALS = new Set([4, 5, 7, 8, 11]); // SIGILL SIGTRAP SIGBUS SIGFPE SIGSEGV

export function decodeSiginfo(b: Buffer): CoreSiginfo {
  if (b.length < 24) tooSmall('NT_SIGINFO', b.length, 24);
  const signo = b.readInt32LE(0);
  return { signo, errno: b.readInt32LE(4), code: b.readInt32LE(8), faultAddress: FAULT_SIGNALS.has(signo) ? b.readBigUInt64LE(16) : null };
}

/** NT_AUXV: {a_type, a_val} u64 pairs up to AT_NULL. */
export function decodeAuxv(b: Buffer): Map<number, bigint> {
  const out = new Map<number, bigint>();
  for (let at = 0; at + 16 <= b.length; at += 16) {
    const type = b.readBigUInt64LE(at);
    if (type === 0n) break;
    if (type < 4096n && !out.has(Number(type))) out.set(Number(type), b.readBigUInt64LE(at + 8));
  }
  return out;
}

/**
 * NT_FILE: count, page_size, count × {start, end, file_ofs}, then count NUL-terminated paths. The kernel writes
 * page_size 4096 and file_ofs in pages; gcore writes page_size 1 and byte offsets; both mean file_ofs × page_size.
 */
export function decodeFileNote(b: Buffer): { pageBytes: number; mappings: CoreFileMapping[] } {
  if (b.length < 16) tooSmall('NT_FILE', b.length, 16);
  const count = b.readBigUInt64LE(0);
  const pageBytes = b.readBigUInt64LE(8);
  if (count > BigInt(Math.floor((b.length - 16) / 24))) {
    throw new ElfFormatError(`The NT_FILE note claims ${count} mappings, but its ${b.length} bytes hold at most ${Math.floor((b.length - 16) / 24)}.`);
  }
  if (pageBytes === 0n || pageBytes > 1n << 30n || (pageBytes & (pageBytes - 1n)) !== 0n) {
    throw new ElfFormatError(`The NT_FILE note's page size ${pageBytes} is not a power of two up to 1 GiB.`);
  }
  const n = Number(count);
  let nameAt = 16 + n * 24;
  const mappings: CoreFileMapping[] = [];
  for (let i = 0; i < n; i++) {
    const o = 16 + i * 24;
    const end = b.indexOf(0, nameAt);
    if (end < 0) throw new ElfFormatError(`The NT_FILE note ends before the path of mapping ${i} of ${n}.`);
    const start = b.readBigUInt64LE(o);
    const stop = b.readBigUInt64LE(o + 8);
    if (stop < start) throw new ElfFormatError(`NT_FILE mapping ${i} ends (0x${stop.toString(16)}) before it starts (0x${start.toString(16)}).`);
    mappings.push({ start, end: stop, fileOffset: b.readBigUInt64LE(o + 16) * pageBytes, path: b.toString('utf8', nameAt, end) });
    nameAt = end + 1;
  }
  return { pageBytes: Number(pageBytes), mappings };
}
