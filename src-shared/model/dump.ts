/*
 * The dump contract shared by the dump engine (main process), the elevated helper, the CLI and the renderer's
 * jobs panel. Every OS writer (Linux ELF core, Windows minidump) answers in these terms, so the UI and the CLI
 * never learn which one ran. Errors are codes plus a sentence with the next step, never stack traces.
 */

export type DumpKind = 'full' | 'mini';

export interface DumpTarget {
  pid: number;
  /** Must match the live process: a recycled pid is refused. */
  startTimeMs: number;
}

export interface DumpRequest extends DumpTarget {
  kind: DumpKind;
  /** Absolute folder the file is created in; the file name is made by dumpFileName(). */
  outDir: string;
}

export interface DumpProgress {
  bytesWritten: number;
  /** Best estimate of the final size; null until known. */
  estimatedTotalBytes: number | null;
  elapsedMs: number;
  phase: 'attaching' | 'writing' | 'finishing';
}

export interface DumpResult {
  path: string;
  kind: DumpKind;
  pid: number;
  /** Allocated size on disk (sparse files use less than their length). */
  bytesOnDisk: number;
  /** Length of the file. */
  fileBytes: number;
  sha256: string;
  durationMs: number;
  /** How long the target was stopped. */
  targetPauseMs: number;
  /** Bytes that could not be read from the target and were written as zeros. */
  unreadableBytes: number;
  /** Windows: whether a PSS snapshot clone was dumped or the live process. Linux: always 'live'. */
  method: 'live' | 'snapshot';
  format: 'elf-core' | 'minidump';
}

export type DumpErrorCode =
  | 'needs-elevation'
  | 'process-gone'
  | 'pid-recycled'
  | 'already-traced'
  | 'disk-full'
  | 'file-exists'
  | 'folder-unwritable'
  | 'bad-request'
  | 'cancelled'
  | 'elevation-cancelled'
  | 'unsupported'
  | 'io-error';

export interface DumpErrorInfo {
  code: DumpErrorCode;
  /** One or two sentences a person can act on: what happened and the next step. */
  message: string;
}

export const DUMP_SECRETS_WARNING =
  'This file holds the memory of the process, including any passwords, tokens, keys and certificates it had loaded. ' +
  'Share it only with people you would give those secrets to, and delete it when the case is closed.';

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * How many names a writer tries before it gives up with 'file-exists': two dumps of one process in the same second
 * (Dump Process Tree twice, a series) take `…_full.core`, `…_full_2.core`, `…_full_3.core`, …; no file is replaced.
 */
export const DUMP_NAME_ATTEMPTS = 100;

/**
 * `<name>_<pid>_<yyyyMMdd_HHmmss>_<full|mini>[_<attempt>].<ext>`, local time, with the name made safe for any file
 * system. Attempt 1 has no suffix; a writer whose exclusive create finds the name taken tries the next attempt.
 */
export function dumpFileName(name: string, pid: number, kind: DumpKind, ext: 'core' | 'dmp', at: Date, attempt = 1): string {
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 64) || 'process';
  const stamp =
    `${at.getFullYear()}${pad(at.getMonth() + 1)}${pad(at.getDate())}_` +
    `${pad(at.getHours())}${pad(at.getMinutes())}${pad(at.getSeconds())}`;
  return `${safe}_${pid}_${stamp}_${kind}${attempt > 1 ? `_${attempt}` : ''}.${ext}`;
}
