/*
 * The Windows ProcessBackend: one NtQuerySystemInformation(SystemProcessInformation) call per poll for the
 * numbers, plus per-process extras read once per identity (pid + creation time) and cached. Runs in the main
 * process or the CLI, on Windows (and under Wine in tests). It never hands a pointer or handle upward, and never
 * fails a poll because one process denied access.
 */
import { cpus, freemem, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { emptyProcessRow, processKey } from '../../../src-shared/model/process';
import type { BackendSnapshot, ProcessBackend, ProcessSample, ProcessTarget, SnapshotOptions } from '../backend';
import { querySystemProcessInformation } from './ffi/ntdll';
import { parseSystemProcessInformation, type SystemProcessRecord } from './ffi/system-process-parse';
import { ProcessExtrasCache } from './win32-process-extras';
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
  return row;
}

/** One poll's records without the per-process extras (bench:win and the tests use it directly). */
export function readSystemProcessRecords(): SystemProcessRecord[] {
  const { bytes, baseAddress } = querySystemProcessInformation();
  return parseSystemProcessInformation(bytes, baseAddress);
}

export function createWin32Backend(): ProcessBackend {
  const extras = new ProcessExtrasCache();
  let disposed = false;
  return {
    platform: 'win32',
    capabilities: { handleCount: 'cheap', suspend: true, dumpFormat: 'minidump' },
    async takeSnapshot(_options: SnapshotOptions): Promise<BackendSnapshot> {
      if (disposed) throw new Error('The Windows backend was disposed.');
      const timestampMs = Date.now();
      const monotonicMs = performance.now();
      const records = readSystemProcessRecords();
      const seen = new Set<string>();
      const rows = records.map((rec) => {
        const row = recordToRow(rec);
        const key = processKey(rec.pid, rec.createTimeMs);
        seen.add(key);
        Object.assign(row, extras.get(key, rec.pid));
        return row;
      });
      extras.retainOnly(seen);
      return {
        timestampMs,
        monotonicMs,
        rows,
        cpuCount: cpus().length,
        memoryTotalBytes: totalmem(),
        memoryAvailableBytes: freemem(),
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
