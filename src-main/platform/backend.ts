/*
 * The one small interface every OS backend implements (Linux /proc, Windows ntdll, the scripted fake). It runs in
 * the main process (or the CLI / helper) and hands out plain rows: nothing above this file ever sees a pointer, a
 * file descriptor or an OS handle. select-backend.ts is the only place that switches on process.platform.
 */
import type { ProcessRow } from '../../src-shared/model/process';

/**
 * A sample as the backend reads it: cpuPercent is left null; the poller computes it from cpuTimeMs deltas. Callers
 * must not mutate sample rows: a backend may hand out the very same object again for a process that has not
 * changed, which lets the poller skip it without comparing fields.
 */
export type ProcessSample = ProcessRow;

export interface BackendSnapshot {
  /** Wall-clock time of the sample, ms since epoch. */
  timestampMs: number;
  /** Monotonic time of the sample (performance.now() based), for CPU % maths that survive clock changes. */
  monotonicMs: number;
  rows: ProcessSample[];
  cpuCount: number;
  memoryTotalBytes: number | null;
  memoryAvailableBytes: number | null;
  /** Issue 14's system totals (see SystemTotals); optional so a backend that cannot tell leaves them out. */
  perCpuTimes?: CpuTimes[] | null;
  commitBytes?: number | null;
  commitLimitBytes?: number | null;
  /** Cumulative system I/O where the OS keeps it; else the poller sums the rows' ioReadBytes / ioWriteBytes. */
  systemIo?: { readBytes: number; writeBytes: number } | null;
}

/** One logical CPU's cumulative times (ms), for per-core percentages over an interval. */
export interface CpuTimes {
  busyMs: number;
  totalMs: number;
}

export interface SnapshotOptions {
  /** Read handle / fd counts. On Linux this costs a directory read per process, so only while the column shows. */
  includeHandleCount: boolean;
  /** Read I/O counters (Linux: /proc/PID/io per process, so only while an I/O column or graph needs them). */
  includeIo?: boolean;
  /**
   * Read the category inputs that cost a per-process read (Linux: .NET from maps, once per process; Windows:
   * services from the SCM, job and debug port once per process): only while categories are coloured or the
   * Services column shows.
   */
  includeCategories?: boolean;
}

export interface BackendCapabilities {
  handleCount: 'cheap' | 'costly' | 'none';
  suspend: boolean;
  dumpFormat: 'elf-core' | 'minidump' | 'none';
}

export type ProcessActionErrorCode = 'process-gone' | 'pid-recycled' | 'access-denied' | 'unsupported' | 'failed';

export class ProcessActionError extends Error {
  constructor(
    readonly code: ProcessActionErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProcessActionError';
  }
}

export interface ProcessTarget {
  pid: number;
  startTimeMs: number;
}

export interface ProcessBackend {
  readonly platform: 'linux' | 'win32' | 'fake';
  readonly capabilities: BackendCapabilities;
  takeSnapshot(options: SnapshotOptions): Promise<BackendSnapshot>;
  /** Start time of a live pid, or null if it is gone: used to refuse recycled pids before acting. */
  readStartTimeMs(pid: number): number | null;
  /** Each action first checks the target's identity and throws ProcessActionError on a mismatch. */
  terminate(target: ProcessTarget): Promise<void>;
  suspend(target: ProcessTarget): Promise<void>;
  resume(target: ProcessTarget): Promise<void>;
  dispose(): void;
}
