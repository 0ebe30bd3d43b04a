/*
 * Capture watches as they cross IPC (issue 12): the arguments of Capture… / Capture Children… and the view the
 * Capture panel shows (defined once in src-shared/model/capture-watch.ts, which the hosts fold too). Plain data.
 */
import type { CaptureMonitor, CaptureRule } from '../model/capture';
import type { ProcessTargetArgs } from './dump-contract';

export type {
  CaptureWatchView,
  CaptureProcessView,
  CaptureDumpView,
  CaptureServiceEvent as CaptureEventPayload,
} from '../model/capture-watch';

/** The rule's fields as the dialog sets them; the target comes from the row, by identity (a reused pid is refused). */
export interface StartCaptureArgs extends ProcessTargetArgs {
  /** The name as the list shows it. */
  name?: string;
  scope: CaptureRule['scope'];
  nameGlob: string | null;
  cmdlineRegex: string | null;
  triggers: CaptureRule['triggers'];
  exitNonZeroOnly: boolean;
  kind: CaptureRule['kind'];
  /** Absolute folder. */
  outDir: string;
  holdTimeoutMs: number;
  maxDumps: number | null;
  timeoutMs: number | null;
  /** Settings of the sampled triggers (cpu, memory, series); absent or null with event triggers only. */
  monitor?: CaptureMonitor | null;
  /** Start it in the elevated helper at once (pkexec / UAC), as when the user knows the rights are missing. */
  elevated?: boolean;
  /** Linux only: fanotify exec mode's binaries (CaptureRule.execPaths); absent: ptrace follow-fork. */
  execPaths?: string[];
}
