/*
 * The poller's public face, used by the hosts (Electron, browser) and the CLI. The poll loop itself lives in
 * poller.ts. A subscriber gets a full snapshot first, then deltas with consecutive sequence numbers.
 */
import type { ProcessSnapshot, ProcessStreamMessage } from '../../src-shared/model/process';

export interface PollerOptions {
  /** 0 = paused. Default 1000. */
  intervalMs?: number;
  includeHandleCount?: boolean;
  fields?: Partial<SnapshotFields>;
}

/** What the poll reads beyond the steady set, because a column, graph or colour shown needs it (see SnapshotOptions). */
export interface SnapshotFields {
  /** I/O counters and rates (I/O columns, the I/O graph). */
  io: boolean;
  /** The costly category inputs (category colours, the Services column). */
  categories: boolean;
}

export type PollerListener = (message: ProcessStreamMessage) => void;

export interface Poller {
  start(): void;
  stop(): void;
  /** 0 pauses; any other value must be one of REFRESH_INTERVALS_MS. */
  setIntervalMs(intervalMs: number): void;
  getIntervalMs(): number;
  setIncludeHandleCount(include: boolean): void;
  /** Takes effect from the next poll. */
  setSnapshotFields(fields: Partial<SnapshotFields>): void;
  getSnapshotFields(): SnapshotFields;
  /** Poll once now (also while paused); resolves when subscribers have been told. */
  refreshNow(): Promise<void>;
  /** The listener is called with the current full snapshot (once one exists), then with every delta. */
  subscribe(listener: PollerListener): () => void;
  /** The latest full state, rebuilt from the last sample. */
  getSnapshot(): ProcessSnapshot | null;
  dispose(): void;
}
