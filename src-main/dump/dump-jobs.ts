/*
 * The dump engine's public vocabulary. The data types live in src-shared/model/dump-jobs.ts, because the jobs
 * panel receives them over IPC unchanged; only what stays in the main process is declared here.
 */
import type { DumpEngineEvent } from '../../src-shared/model/dump-jobs';

export type {
  DumpEngineEvent,
  DumpGroupId,
  DumpGroupInfo,
  DumpJobId,
  DumpJobInfo,
  DumpJobRequest,
  DumpJobState,
} from '../../src-shared/model/dump-jobs';

export type DumpEngineListener = (event: DumpEngineEvent) => void;
