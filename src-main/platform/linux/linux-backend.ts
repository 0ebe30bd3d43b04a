/*
 * The Linux ProcessBackend: snapshots from /proc (linux-snapshot.ts), memory totals from /proc/meminfo, actions
 * by pidfd signals (linux-process-actions.ts). Runs in the main process or the CLI. Snapshots are serialised,
 * because the per-identity cache they share must not be walked by two polls at once.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { BackendSnapshot, ProcessBackend, ProcessTarget, SnapshotOptions } from '../backend';
import { clockTicksPerSecond, onlineCpuCount, pageSizeBytes } from './ffi/libc';
import { signalProcessSync, SUSPEND_SETTLE_MS, waitUntilStopped } from './linux-process-actions';
import { createLinuxSnapshotReader } from './linux-snapshot';
import { keptDescriptorBudget } from './proc-file-reader';
import { parseMemInfo } from './proc-meminfo';
import { readProcessStartTimeMs, startTicksToEpochMs } from './proc-start-time';
import { createUserNameCache } from './user-names';

/** /proc/self names this process only when /proc belongs to our pid namespace (not so in some containers). */
function sameProcNamespace(): boolean {
  try {
    return readlinkSync('/proc/self') === String(process.pid);
  } catch {
    return false;
  }
}

export function createLinuxBackend(): ProcessBackend {
  const reader = createLinuxSnapshotReader({
    clockTicksPerSecond: clockTicksPerSecond(),
    pageSizeBytes: pageSizeBytes(),
    startTicksToEpochMs,
    userName: createUserNameCache(),
    nowMs: () => Date.now(),
    keptDescriptorBudget: keptDescriptorBudget(readFileSync('/proc/self/limits', 'latin1')),
    trustLastPid: sameProcNamespace(),
  });
  let queue: Promise<unknown> = Promise.resolve();
  let disposed = false;

  async function snapshotNow(options: SnapshotOptions): Promise<BackendSnapshot> {
    if (disposed) throw new Error('The Linux backend has been disposed.');
    const rows = await reader.readRows(options.includeHandleCount);
    let memory = { totalBytes: null as number | null, availableBytes: null as number | null };
    try {
      memory = parseMemInfo(readFileSync('/proc/meminfo', 'latin1'));
    } catch {
      // Unreadable /proc/meminfo (odd containers): totals stay null.
    }
    return {
      timestampMs: Date.now(),
      monotonicMs: performance.now(),
      rows,
      cpuCount: onlineCpuCount(),
      memoryTotalBytes: memory.totalBytes,
      memoryAvailableBytes: memory.availableBytes,
    };
  }

  return {
    platform: 'linux',
    capabilities: { handleCount: 'costly', suspend: true, dumpFormat: 'elf-core' },
    takeSnapshot(options: SnapshotOptions): Promise<BackendSnapshot> {
      const next = queue.then(() => snapshotNow(options));
      queue = next.catch(() => undefined);
      return next;
    },
    readStartTimeMs: readProcessStartTimeMs,
    async terminate(target: ProcessTarget): Promise<void> {
      signalProcessSync(target, 'terminate', readProcessStartTimeMs);
    },
    async suspend(target: ProcessTarget): Promise<void> {
      signalProcessSync(target, 'suspend', readProcessStartTimeMs);
      // Answer once it is stopped, so the list refreshed after Suspend shows it suspended.
      await waitUntilStopped(target.pid, SUSPEND_SETTLE_MS);
    },
    async resume(target: ProcessTarget): Promise<void> {
      signalProcessSync(target, 'resume', readProcessStartTimeMs);
    },
    dispose(): void {
      disposed = true;
      // After any running snapshot, so that it does not reopen what this closes.
      void queue.then(() => reader.dispose());
    },
  };
}
