/*
 * Reads small /proc files into one reused Buffer: the poll loop opens two files per process per second, and
 * readFileSync would allocate a Buffer (and often a string) for each. Failures come back as an errno name instead
 * of a thrown error, because a process exiting mid-read (ENOENT, ESRCH) or another user's file (EACCES) is normal
 * here. Main process / CLI only; never holds a file descriptor past one call.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { constants } from 'node:os';
import { preadSync } from './ffi/libc';

const { ESRCH, ENOENT, EACCES, EPERM } = constants.errno;

export type ProcReadFailure = 'gone' | 'denied' | 'error';

export interface ProcFileReader {
  /** Bytes read into `buffer` (from offset 0), or why not. The content is valid until the next call. */
  readSync(path: string): number | ProcReadFailure;
  /**
   * Re-reads a /proc file through a descriptor kept open from an earlier openSync: pread at offset 0 makes
   * seq_file generate it afresh (fs/seq_file.c seq_read_iter), saving open() and close(). A descriptor of
   * /proc/PID/... stays bound to that one process: once it is reaped, reads fail with ESRCH ('gone'), even if the
   * pid has been recycled — which makes a kept descriptor an identity check as well.
   */
  rereadSync(fd: number): number | ProcReadFailure;
  readonly buffer: Buffer;
}

export function failureOf(err: unknown): ProcReadFailure {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  // ESRCH: the task died between open and read; ENOENT: before open.
  if (code === 'ENOENT' || code === 'ESRCH') return 'gone';
  if (code === 'EACCES' || code === 'EPERM') return 'denied';
  return 'error';
}

/**
 * `initialBytes` should fit the common case in one read; files that are longer (huge command lines) grow the
 * buffer up to `maxBytes` and are cut there.
 */
export function createProcFileReader(initialBytes = 4096, maxBytes = 1 << 20): ProcFileReader {
  let buffer = Buffer.allocUnsafe(initialBytes);
  return {
    get buffer() {
      return buffer;
    },
    readSync(path: string): number | ProcReadFailure {
      let fd: number;
      try {
        fd = openSync(path, 'r');
      } catch (err) {
        return failureOf(err);
      }
      try {
        let length = 0;
        for (;;) {
          if (length === buffer.length) {
            if (buffer.length >= maxBytes) return length;
            const bigger = Buffer.allocUnsafe(Math.min(buffer.length * 4, maxBytes));
            buffer.copy(bigger, 0, 0, length);
            buffer = bigger;
          }
          // Without a position: seq_file-backed /proc files continue where the previous read stopped.
          const want = buffer.length - length;
          const n = readSync(fd, buffer, length, want, null);
          length += n;
          // A short read is the end for /proc files: seq_file (stat, statm, status, meminfo) hands out everything
          // it generated that fits, and cmdline (fs/proc/base.c get_mm_cmdline) loops until `count` is met. This
          // saves the extra read() that would only return 0.
          if (n < want) return length;
        }
      } catch (err) {
        return failureOf(err);
      } finally {
        closeSync(fd);
      }
    },
    rereadSync(fd: number): number | ProcReadFailure {
      // Callers keep descriptors only for small files (stat), which fit the buffer in one read.
      const n = preadSync(fd, buffer, buffer.length);
      if (n >= 0) return n;
      return -n === ESRCH || -n === ENOENT ? 'gone' : -n === EACCES || -n === EPERM ? 'denied' : 'error';
    },
  };
}

/** Opens a /proc file to keep (see rereadSync), or says why not. */
export function openProcFileSync(path: string): number | ProcReadFailure {
  try {
    return openSync(path, 'r');
  } catch (err) {
    return failureOf(err);
  }
}

/**
 * How many descriptors the backend may keep open: half of what RLIMIT_NOFILE leaves after a reserve for the rest
 * of the program, at most 16,384. Node raises the soft limit to the hard one at start-up; elsewhere it may be 1,024,
 * and then most processes are simply read by path.
 */
export function keptDescriptorBudget(limitsText: string): number {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(limitsText);
  const soft = !m ? 1024 : m[1] === 'unlimited' ? 1 << 20 : Number(m[1]);
  return Math.max(0, Math.min(16_384, Math.floor((soft - 512) / 2)));
}
