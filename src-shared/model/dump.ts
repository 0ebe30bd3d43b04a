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
  /** The file name's time (DUMP_STAMP_PATTERN) as the dialog showed it, so the file gets the name the person saw;
   * the writer's own clock when absent. */
  stamp?: string;
  /** Linux: dump a copy-on-write clone so the target stops only while it is made (falls back to live, saying why). */
  snapshot?: boolean;
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
  /**
   * SHA-256 of the file. The hash is off the critical path (issue 15): a writer reports the file complete first
   * (DumpWriteOptions.onFileComplete, `hash: 'computing'`, sha256 null), then hashes the same open file and resolves
   * with it. Null also when it was not asked for (`--no-hash`, hash 'skipped') or could not be computed ('failed',
   * hashError says why; the file stays saved).
   */
  sha256: string | null;
  /** Where the hash stands; absent from a result made before issue 15 (a capture's record), read as 'done'. */
  hash?: DumpHashState;
  /** Why sha256 is null when hash is 'failed' (code 'cancelled' for a cancel during the hash). */
  hashError?: DumpErrorInfo;
  /** Milliseconds from the start of the write until the file was complete and the target running again. */
  fileCompleteMs?: number;
  /** Milliseconds from the start of the write until the hash was done (or failed). */
  hashDoneMs?: number;
  /** How long the analysis pack took, written after the file was complete (the target runs meanwhile). */
  analysisPackMs?: number;
  durationMs: number;
  /** How long the target was stopped. */
  targetPauseMs: number;
  /** Bytes that could not be read from the target and were written as zeros. */
  unreadableBytes: number;
  /** Windows: whether a PSS snapshot clone was dumped or the live process. Linux: always 'live'. */
  method: 'live' | 'snapshot';
  /** Snapshot mode was asked for and live mode ran instead: why (seccomp, cgroup headroom, clone refused…). */
  snapshotFallback?: string;
  format: 'elf-core' | 'minidump';
  /** The analysis pack written beside the dump (`<core>.pack`, `<name>.dmp.pack`), when one was. */
  analysisPackPath?: string;
}

/** computing → done | failed; 'skipped' when no hash was asked for. */
export type DumpHashState = 'computing' | 'done' | 'skipped' | 'failed';

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

/** A file name's time: yyyyMMdd_HHmmss, local time. */
export const DUMP_STAMP_PATTERN = /^\d{8}_\d{6}$/;

export function dumpStamp(at: Date): string {
  return `${at.getFullYear()}${pad(at.getMonth() + 1)}${pad(at.getDate())}_${pad(at.getHours())}${pad(at.getMinutes())}${pad(at.getSeconds())}`;
}

/**
 * `<name>_<pid>_<yyyyMMdd_HHmmss>_<full|mini>[_<attempt>].<ext>`, local time, with the name made safe for any file
 * system. Attempt 1 has no suffix; a writer whose exclusive create finds the name taken tries the next attempt.
 * `at` may be a stamp already made (DumpRequest.stamp: the time the dialog showed); a malformed one is ignored.
 */
export function dumpFileName(name: string, pid: number, kind: DumpKind, ext: 'core' | 'dmp', at: Date | string, attempt = 1): string {
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 64) || 'process';
  const stamp = typeof at === 'string' && DUMP_STAMP_PATTERN.test(at) ? at : dumpStamp(typeof at === 'string' ? new Date() : at);
  return `${safe}_${pid}_${stamp}_${kind}${attempt > 1 ? `_${attempt}` : ''}.${ext}`;
}
