/*
 * USER_HZ, the page size and the online CPU count, read where glibc's sysconf(3) reads them, so that a process that
 * needs only these (procscope list, a dump's identity check) does not load koffi (~30 ms of CPU at start-up). Main
 * process, CLI or helper; each value is read once, except the CPU count, which can change while the app runs. Where
 * a source is missing the answer comes from sysconf itself.
 */
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { sysconfSync, SC_CLK_TCK, SC_NPROCESSORS_ONLN, SC_PAGESIZE } from './ffi/libc';

// <linux/auxvec.h> (include/uapi/linux/auxvec.h): the kernel always puts both into a process's auxiliary vector
// (fs/binfmt_elf.c create_elf_tables), and glibc's sysconf answers _SC_PAGESIZE and _SC_CLK_TCK from them
// (GLRO(dl_pagesize), GLRO(dl_clktck) set in _dl_aux_init).
const AT_NULL = 0;
const AT_PAGESZ = 6;
const AT_CLKTCK = 17;

/** The auxiliary vector's word size: unsigned long of the ABI this node was built for. */
const AUXV_WORD_BYTES = ['x64', 'arm64', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el'].includes(process.arch) ? 8 : 4;

/** The value of `type` in /proc/PID/auxv's (type, value) pairs, or null when it is not there. */
export function auxvValue(buf: Buffer, type: number, wordBytes = AUXV_WORD_BYTES, littleEndian = endianness() === 'LE'): number | null {
  const read = (at: number): number =>
    wordBytes === 8
      ? Number(littleEndian ? buf.readBigUInt64LE(at) : buf.readBigUInt64BE(at))
      : littleEndian
        ? buf.readUInt32LE(at)
        : buf.readUInt32BE(at);
  for (let at = 0; at + 2 * wordBytes <= buf.length; at += 2 * wordBytes) {
    const t = read(at);
    if (t === AT_NULL) return null;
    if (t === type) return read(at + wordBytes);
  }
  return null;
}

let auxv: Buffer | null | undefined;
function ownAuxv(): Buffer | null {
  if (auxv === undefined) {
    try {
      auxv = readFileSync('/proc/self/auxv');
    } catch {
      auxv = null;
    }
  }
  return auxv;
}

function fromAuxv(type: number, sysconfName: number): number {
  const own = ownAuxv();
  const value = own === null ? null : auxvValue(own, type);
  return value !== null && value > 0 ? value : sysconfSync(sysconfName);
}

let clockTicks: number | null = null;
/** USER_HZ: the unit of /proc/PID/stat times (utime, stime, starttime). */
export function clockTicksPerSecond(): number {
  clockTicks ??= fromAuxv(AT_CLKTCK, SC_CLK_TCK);
  return clockTicks;
}

let pageSize: number | null = null;
export function pageSizeBytes(): number {
  pageSize ??= fromAuxv(AT_PAGESZ, SC_PAGESIZE);
  return pageSize;
}

/**
 * How many CPUs a list such as /sys/devices/system/cpu/online names ("0-3,5,7-8\n" → 7), or null when the text is
 * not such a list (Documentation/ABI/testing/sysfs-devices-system-cpu).
 */
export function countCpuList(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  let count = 0;
  for (const part of trimmed.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return null;
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (last < first) return null;
    count += last - first + 1;
  }
  return count;
}

/**
 * CPUs online now: glibc's sysconf(_SC_NPROCESSORS_ONLN) counts /sys/devices/system/cpu/online the same way
 * (sysdeps/unix/sysv/linux/getsysstats.c, since 2.35 again its first source), and falls back as this does.
 */
export function onlineCpuCount(): number {
  try {
    const count = countCpuList(readFileSync('/sys/devices/system/cpu/online', 'latin1'));
    if (count !== null && count > 0) return count;
  } catch {
    // No sysfs (some containers): ask glibc, which has its own fallbacks.
  }
  return sysconfSync(SC_NPROCESSORS_ONLN);
}
