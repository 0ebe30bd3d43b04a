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
}

export interface SnapshotOptions {
  /** Read handle / fd counts. On Linux this costs a directory read per process, so only while the column shows. */
  includeHandleCount: boolean;
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
