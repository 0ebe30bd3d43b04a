/*
 * A Poller double for the host tests: it samples the given backend on refreshNow() only and emits a snapshot then
 * deltas the simple way (every row updated), so host tests check the transports, not the poll loop (which has
 * its own tests in src-main/poller).
 */
import type { ProcessSnapshot } from '../../src-shared/model/process';
import type { ProcessBackend } from '../platform/backend';
import type { Poller, PollerListener } from '../poller/poller-types';

export interface TestPoller extends Poller {
  readonly includeHandleCount: boolean;
  readonly started: boolean;
}

export function createTestPoller(backend: ProcessBackend): TestPoller {
  let intervalMs = 1000;
  let includeHandleCount = false;
  let fields = { io: false, categories: false };
  let started = false;
  let snapshot: ProcessSnapshot | null = null;
  const listeners = new Set<PollerListener>();
  return {
    get includeHandleCount() {
      return includeHandleCount;
    },
    get started() {
      return started;
    },
    start: () => void (started = true),
    stop: () => void (started = false),
    setIntervalMs(ms) {
      intervalMs = ms;
    },
    getIntervalMs: () => intervalMs,
    setIncludeHandleCount(include) {
      includeHandleCount = include;
    },
    setSnapshotFields(next) {
      fields = { ...fields, ...next };
    },
    getSnapshotFields: () => ({ ...fields }),
    async refreshNow() {
      const sample = await backend.takeSnapshot({ includeHandleCount });
      const previous = snapshot;
      snapshot = {
        seq: (previous?.seq ?? 0) + 1,
        timestampMs: sample.timestampMs,
        intervalMs: 1000,
        rows: sample.rows,
        system: { cpuCount: sample.cpuCount, cpuPercent: null, memoryTotalBytes: null, memoryAvailableBytes: null, processCount: sample.rows.length },
      };
      for (const listener of listeners) {
        if (!previous) listener({ kind: 'snapshot', snapshot });
        else
          listener({
            kind: 'delta',
            delta: { seq: snapshot.seq, timestampMs: snapshot.timestampMs, intervalMs: 1000, added: [], updated: [], removed: [], system: snapshot.system },
          });
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      if (snapshot) listener({ kind: 'snapshot', snapshot });
      return () => listeners.delete(listener);
    },
    getSnapshot: () => snapshot,
    dispose: () => listeners.clear(),
  };
}
