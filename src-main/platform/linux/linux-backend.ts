/*
 * The Linux ProcessBackend: snapshots from /proc (linux-snapshot.ts), memory and commit totals from /proc/meminfo,
 * per-core CPU times from /proc/stat, system I/O from /proc/diskstats (physical disks), actions
 * by pidfd signals (linux-process-actions.ts). Runs in the main process or the CLI. Snapshots are serialised,
 * because the per-identity cache they share must not be walked by two polls at once.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { BackendSnapshot, ProcessBackend, ProcessTarget, SnapshotOptions } from '../backend';
import { clockTicksPerSecond, onlineCpuCount, pageSizeBytes } from './system-constants';
import { signalProcessSync, SUSPEND_SETTLE_MS, waitUntilStopped } from './linux-process-actions';
import { createLinuxSnapshotReader } from './linux-snapshot';
import { keptDescriptorBudget } from './proc-file-reader';
import { parseProcStatCpuTimes } from './proc-cpu-times';
import { parseDiskStats, physicalDisks } from './proc-diskstats';
import { parseMemInfo, type MemInfo } from './proc-meminfo';
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

/** Disks come and go rarely (USB, hot-plug): list them again this often, not every poll. */
const DISK_LIST_REFRESH_MS = 60_000;

export interface LinuxBackendOptions {
  /**
   * Only one snapshot will be taken (procscope list): keep no /proc descriptor open for a next poll, which would
   * cost an extra open of schedstat per single-threaded process and descriptors closed only at dispose.
   */
  oneShot?: boolean;
}

export function createLinuxBackend(options: LinuxBackendOptions = {}): ProcessBackend {
  const ticksPerSecond = clockTicksPerSecond();
  const reader = createLinuxSnapshotReader({
    clockTicksPerSecond: ticksPerSecond,
    pageSizeBytes: pageSizeBytes(),
    startTicksToEpochMs,
    userName: createUserNameCache(),
    nowMs: () => Date.now(),
    keptDescriptorBudget: options.oneShot ? 0 : keptDescriptorBudget(readFileSync('/proc/self/limits', 'latin1')),
    trustLastPid: sameProcNamespace(),
  });
  let queue: Promise<unknown> = Promise.resolve();
  let disks = new Set<string>();
  let disksListedMs = -Infinity;
  let disposed = false;

  async function snapshotNow(options: SnapshotOptions): Promise<BackendSnapshot> {
    if (disposed) throw new Error('The Linux backend has been disposed.');
    const rows = await reader.readRows(options.includeHandleCount, {
      includeIo: options.includeIo ?? false,
      includeCategories: options.includeCategories ?? false,
    });
    let memory: MemInfo = { totalBytes: null, availableBytes: null, commitBytes: null, commitLimitBytes: null };
    try {
      memory = parseMemInfo(readFileSync('/proc/meminfo', 'latin1'));
    } catch {
      // Unreadable /proc/meminfo (odd containers): totals stay null.
    }
    if (performance.now() - disksListedMs > DISK_LIST_REFRESH_MS) {
      disks = physicalDisks();
      disksListedMs = performance.now();
    }
    let systemIo = null;
    try {
      systemIo = parseDiskStats(readFileSync('/proc/diskstats', 'latin1'), disks);
    } catch {
      // No diskstats (some containers): no I/O graph.
    }
    let perCpuTimes = null;
    try {
      perCpuTimes = parseProcStatCpuTimes(readFileSync('/proc/stat', 'latin1'), ticksPerSecond);
    } catch {
      // As meminfo: no per-core graph then.
    }
    return {
      timestampMs: Date.now(),
      monotonicMs: performance.now(),
      rows,
      cpuCount: onlineCpuCount(),
      memoryTotalBytes: memory.totalBytes,
      memoryAvailableBytes: memory.availableBytes,
      perCpuTimes,
      commitBytes: memory.commitBytes,
      commitLimitBytes: memory.commitLimitBytes,
      systemIo,
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
