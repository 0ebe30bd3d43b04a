/*
 * The dump jobs' vocabulary, shared by the dump engine (main process) and the jobs panel (renderer): a job (one
 * dump of one process), a group (Dump Process Tree: one job per process, listed together), the events the engine
 * publishes and the remembered settings. Plain cloneable data, carried over IPC unchanged.
 */
import type { CaptureTrigger } from './capture';
import type { DumpErrorInfo, DumpKind, DumpProgress, DumpResult } from './dump';

export type DumpJobId = string;
export type DumpGroupId = string;

/**
 * queued → running → done | failed | cancelled; a failed job that is `retryable` may go back to queued, elevated.
 * 'done' is "saved": the file is complete and the target runs; its hash may still be computing (result.hash).
 */
export type DumpJobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface DumpJobRequest {
  pid: number;
  startTimeMs: number;
  kind: DumpKind;
  /** Absolute folder; created (0700) if missing. */
  outDir: string;
  /** The process name as the list shows it, used in the file name; the writer reads it from the OS otherwise. */
  name?: string;
  /** The file name's time as the dialog showed it (DumpRequest.stamp); the writer's clock otherwise. */
  stamp?: string;
  /** Linux: a snapshot dump (DumpRequest.snapshot). */
  snapshot?: boolean;
}

export interface DumpJobInfo {
  id: DumpJobId;
  /** Set for the jobs of one Dump Process Tree. */
  groupId: DumpGroupId | null;
  pid: number;
  startTimeMs: number;
  name: string | null;
  kind: DumpKind;
  outDir: string;
  state: DumpJobState;
  /** True while / after the job ran through the elevated helper. */
  elevated: boolean;
  progress: DumpProgress | null;
  result: DumpResult | null;
  error: DumpErrorInfo | null;
  /** The job failed for lack of rights and can be retried as administrator (retryElevated). */
  retryable: boolean;
  createdAtMs: number;
  /** Set for a dump a capture watch wrote (issue 12): which watch, and which trigger fired. Null for a Create Dump. */
  capture: { watchId: string; trigger: CaptureTrigger } | null;
}

export interface DumpGroupInfo {
  id: DumpGroupId;
  rootPid: number;
  rootStartTimeMs: number;
  rootName: string;
  kind: DumpKind;
  outDir: string;
  /** The root first, then its descendants, parents before children. */
  jobIds: DumpJobId[];
}

export type DumpEngineEvent =
  | { type: 'job-added'; job: DumpJobInfo }
  /** retryElevated() put a failed job back in the queue, now elevated; job-started follows when it runs. */
  | { type: 'job-requeued'; job: DumpJobInfo }
  /** The job began running (first run, or again as administrator after retryElevated). */
  | { type: 'job-started'; job: DumpJobInfo }
  | { type: 'job-progress'; jobId: DumpJobId; progress: DumpProgress }
  /** The file is complete and the target runs (the job is saved); result.hash is 'computing' until job-hashed. */
  | { type: 'job-done'; jobId: DumpJobId; result: DumpResult }
  /** The hash of a saved job arrived, failed or was stopped (result.hash 'done', 'failed' or 'skipped'); the job stays saved. */
  | { type: 'job-hashed'; jobId: DumpJobId; result: DumpResult }
  /** Also sent for cancellation (error.code 'cancelled', state 'cancelled'). */
  | { type: 'job-failed'; jobId: DumpJobId; error: DumpErrorInfo; retryable: boolean }
  /** deleteDump() or dismiss() took the job off the list. */
  | { type: 'job-removed'; jobId: DumpJobId }
  | { type: 'group-added'; group: DumpGroupInfo };

export interface DumpSettings {
  /** Absolute folder the save dialog proposes. */
  dumpDir: string;
  lastKind: DumpKind;
}
