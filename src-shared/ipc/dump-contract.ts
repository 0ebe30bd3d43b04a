/*
 * The dump jobs and process actions as they cross IPC: the jobs panel's vocabulary (job, group, engine event,
 * settings; defined once in src-shared/model/dump-jobs.ts, which the engine uses too) and the arguments and
 * results of the row actions. Plain cloneable data only.
 */
import type { DumpKind } from '../model/dump';
import type { DumpGroupInfo, DumpJobInfo } from '../model/dump-jobs';

export type {
  DumpJobState,
  DumpJobInfo as DumpJobView,
  DumpGroupInfo as DumpGroupView,
  DumpEngineEvent as DumpEventPayload,
  DumpSettings as DumpSettingsView,
} from '../model/dump-jobs';

export interface DumpJobList {
  jobs: DumpJobInfo[];
  groups: DumpGroupInfo[];
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
  /** The file name's time as the dialog showed it (yyyyMMdd_HHmmss), so the file is named as the person saw. */
  stamp?: string;
}

export interface KillTreeResult {
  /** Processes ended, the root included. */
  killedCount: number;
  /** Descendants that could not be ended (a process that had already exited is not a failure). */
  failures: { pid: number; message: string }[];
}
