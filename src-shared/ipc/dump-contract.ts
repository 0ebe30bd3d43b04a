/*
 * The dump jobs and process actions as they cross IPC: the jobs panel's vocabulary (job, group, engine event,
 * settings) and the results of the row actions. These mirror src-main/dump/dump-jobs.ts field for field (shared
 * code may not import main); request-handlers.ts checks at compile time that the engine's types fit these.
 * Plain cloneable data only.
 */
import type { DumpErrorInfo, DumpKind, DumpProgress, DumpResult } from '../model/dump';

export type DumpJobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface DumpJobView {
  id: string;
  /** Set for the jobs of one Dump Process Tree. */
  groupId: string | null;
  pid: number;
  startTimeMs: number;
  name: string | null;
  kind: DumpKind;
  outDir: string;
  state: DumpJobState;
  elevated: boolean;
  progress: DumpProgress | null;
  result: DumpResult | null;
  error: DumpErrorInfo | null;
  /** Failed for lack of rights: "Retry as administrator" is offered. */
  retryable: boolean;
  createdAtMs: number;
}

export interface DumpGroupView {
  id: string;
  rootPid: number;
  rootStartTimeMs: number;
  rootName: string;
  kind: DumpKind;
  outDir: string;
  /** The root first, then its descendants, parents before children. */
  jobIds: string[];
}

export type DumpEventPayload =
  | { type: 'job-added'; job: DumpJobView }
  | { type: 'job-requeued'; job: DumpJobView }
  | { type: 'job-started'; job: DumpJobView }
  | { type: 'job-progress'; jobId: string; progress: DumpProgress }
  | { type: 'job-done'; jobId: string; result: DumpResult }
  | { type: 'job-failed'; jobId: string; error: DumpErrorInfo; retryable: boolean }
  | { type: 'job-removed'; jobId: string }
  | { type: 'group-added'; group: DumpGroupView };

export interface DumpJobList {
  jobs: DumpJobView[];
  groups: DumpGroupView[];
}

export interface DumpSettingsView {
  /** Absolute folder the dump dialog proposes. */
  dumpDir: string;
  lastKind: DumpKind;
}

/** The identity a row action targets: a recycled pid is refused by main. */
export interface ProcessTargetArgs {
  pid: number;
  startTimeMs: number;
}

export interface StartDumpArgs extends ProcessTargetArgs {
  kind: DumpKind;
  /** Absolute folder. */
  outDir: string;
  /** The name as the list shows it, used in the file name. */
  name?: string;
}

export interface KillTreeResult {
  /** Processes ended, the root included. */
  killedCount: number;
  /** Descendants that could not be ended (a process that had already exited is not a failure). */
  failures: { pid: number; message: string }[];
}
