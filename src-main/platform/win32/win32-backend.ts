/*
 * The Windows ProcessBackend: one NtQuerySystemInformation(SystemProcessInformation) call per poll for the
 * numbers (I/O counters and the suspended test included), plus per-process extras read once per identity (pid +
 * creation time) and cached, the SCM's services every few seconds and per-core CPU and commit per poll. Runs in the main
 * process or the CLI, on Windows (and under Wine in tests). It never hands a pointer or handle upward, and never
 * fails a poll because one process denied access.
 */
import { cpus, freemem, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { emptyProcessRow, processKey } from '../../../src-shared/model/process';
import type { BackendSnapshot, ProcessBackend, ProcessSample, ProcessTarget, SnapshotOptions } from '../backend';
import { querySystemProcessInformation } from './ffi/ntdll';
import { parseSystemProcessInformation, type SystemProcessRecord } from './ffi/system-process-parse';
import { readCommitCharge, readProcessorTimes } from './ffi/system-performance';
import { ProcessExtrasCache } from './win32-process-extras';
import { createServiceMap } from './win32-service-map';
import { readWin32StartTimeMs, resumeWin32, suspendWin32, terminateWin32 } from './win32-process-actions';

/** The idle process has no name in the list; Task Manager and Process Explorer call it this. */
const IDLE_NAME = 'System Idle Process';

export function recordToRow(rec: SystemProcessRecord): ProcessSample {
  const row = emptyProcessRow(rec.pid, rec.ppid, rec.pid === 0 ? IDLE_NAME : rec.imageName, rec.createTimeMs);
  row.threadCount = rec.threadCount;
  row.handleCount = rec.handleCount;
  row.cpuTimeMs = rec.cpuTimeMs;
  row.workingSetBytes = rec.workingSetBytes;
  // PrivatePageCount is Process Explorer's Private Bytes; Wine leaves it 0, where PagefileUsage is the next best.
  row.privateBytes = rec.privateBytes || rec.pagefileUsageBytes;
  row.virtualBytes = rec.virtualBytes;
  row.priority = rec.basePriority;
  row.sessionId = rec.sessionId;
  row.ioReadBytes = rec.ioReadBytes;
  row.ioWriteBytes = rec.ioWriteBytes;
  row.ioReadOps = rec.ioReadOps;
  row.ioWriteOps = rec.ioWriteOps;
  row.suspended = rec.suspended;
  return row;
}

/** One poll's records without the per-process extras (bench:win and the tests use it directly). */
export function readSystemProcessRecords(): SystemProcessRecord[] {
  const { bytes, baseAddress } = querySystemProcessInformation();
  return parseSystemProcessInformation(bytes, baseAddress);
}

/** A system figure that failed to read leaves its graph empty rather than the poll failing. */
function safeRead<T>(read: () => T | null): T | null {
  try {
    return read();
  } catch {
    return null;
  }
}

export function createWin32Backend(): ProcessBackend {
  const extras = new ProcessExtrasCache();
  const services = createServiceMap();
  let disposed = false;
  return {
    platform: 'win32',
    capabilities: { handleCount: 'cheap', suspend: true, dumpFormat: 'minidump' },
    async takeSnapshot(options: SnapshotOptions): Promise<BackendSnapshot> {
      if (disposed) throw new Error('The Windows backend was disposed.');
      const timestampMs = Date.now();
      const monotonicMs = performance.now();
      const records = readSystemProcessRecords();
      const categories = options.includeCategories ?? false;
      if (categories) services.refresh(monotonicMs);
      const seen = new Set<string>();
      const rows = records.map((rec) => {
        const row = recordToRow(rec);
        const key = processKey(rec.pid, rec.createTimeMs);
        seen.add(key);
        Object.assign(row, extras.get(key, rec.pid));
        if (categories) {
          row.isDotNet = extras.isDotNet(key, rec.pid);
          if (services.known) {
            row.services = services.servicesOf(rec.pid);
            row.isService = row.services !== null;
          }
        }
        return row;
      });
      extras.retainOnly(seen);
      const cpuCount = cpus().length;
      const commit = safeRead(readCommitCharge);
      return {
        timestampMs,
        monotonicMs,
        rows,
        cpuCount,
        memoryTotalBytes: totalmem(),
        memoryAvailableBytes: freemem(),
        perCpuTimes: safeRead(() => readProcessorTimes(cpuCount)),
        commitBytes: commit?.commitBytes ?? null,
        commitLimitBytes: commit?.commitLimitBytes ?? null,
        // No systemIo: a sum of every process's transfer counts drops when a busy process exits, so the poller's
        // sum of the rows' rates (processes present in both samples) is the better system figure here.
      };
    },
    readStartTimeMs: (pid: number) => readWin32StartTimeMs(pid),
    terminate: async (target: ProcessTarget) => terminateWin32(target),
    suspend: async (target: ProcessTarget) => suspendWin32(target),
    resume: async (target: ProcessTarget) => resumeWin32(target),
    dispose: () => {
      disposed = true;
    },
  };
}
