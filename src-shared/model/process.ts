/*
 * The process row and the stream that carries it: the one data model that backends produce, the poller diffs,
 * IPC carries and the renderer shows. Pure data, plain and cloneable, units in the field names. A process's
 * identity is (pid, start time), never the pid alone: a recycled pid is a new process with a new key.
 */

export type ProcessState =
  | 'running'
  | 'sleeping'
  | 'disk-sleep'
  | 'stopped'
  | 'traced'
  | 'zombie'
  | 'dead'
  | 'idle'
  | 'unknown';

/** `${pid}:${startTimeMs}` — see processKey(). */
export type ProcessKey = string;

export type IntegrityLevel = 'untrusted' | 'low' | 'medium' | 'high' | 'system' | 'protected';

export interface ProcessRow {
  key: ProcessKey;
  pid: number;
  /** 0 when the process has no parent (init, kernel threads' kthreadd, Windows' System Idle). */
  ppid: number;
  name: string;
  exePath: string | null;
  commandLine: string | null;
  user: string | null;
  state: ProcessState | null;
  threadCount: number | null;
  /** Windows: handle count. Linux: open file descriptors; only read while the column is shown (costly). */
  handleCount: number | null;
  /** Milliseconds since the Unix epoch. Part of the identity. */
  startTimeMs: number;
  /** User + kernel CPU time consumed so far. */
  cpuTimeMs: number | null;
  /** Over the last interval; 100 % means every core busy, as Process Explorer shows it. Null on the first sample. */
  cpuPercent: number | null;
  workingSetBytes: number | null;
  privateBytes: number | null;
  virtualBytes: number | null;
  /** Linux: nice value; Windows: base priority. */
  priority: number | null;
  /** Windows extras (null on Linux): session, elevation, integrity, bitness, version-resource strings. */
  sessionId: number | null;
  elevated: boolean | null;
  integrityLevel: IntegrityLevel | null;
  is32Bit: boolean | null;
  description: string | null;
  companyName: string | null;
  /**
   * Cumulative I/O since the process started. Linux: /proc/PID/io rchar/wchar (every read()/write()-family byte,
   * page cache or not, sockets and pipes included: what Process Explorer's I/O columns count on Windows, which
   * read_bytes/write_bytes — block-device traffic only — would not) and syscr/syscw for the ops; only read while
   * an I/O column is shown (SnapshotOptions.includeIo), and only for processes the reader may ptrace (others:
   * null). Windows: SystemProcessInformation's Read/WriteTransferCount and Read/WriteOperationCount, always.
   */
  ioReadBytes: number | null;
  ioWriteBytes: number | null;
  ioReadOps: number | null;
  ioWriteOps: number | null;
  /** Over the last interval, computed by the poller from the cumulative counts (as cpuPercent). Null on the first sample. */
  ioReadBytesPerSec: number | null;
  ioWriteBytesPerSec: number | null;
  /**
   * Windows: the services (SCM short names) this process hosts, sorted; Linux: the systemd unit of its cgroup
   * (system or user unit, e.g. 'nginx.service'), one element. Null when it hosts none / is in no unit (a scope or
   * slice is not a service), or when unknown. Backends hand out the same array object while it does not change.
   */
  services: string[] | null;
  // Category inputs (Options → Colours). Null where the backend cannot tell or has not looked (yet).
  /** Hosts a service: services is non-empty. */
  isService: boolean | null;
  /** Runs the .NET runtime (Windows: clr.dll/coreclr.dll loaded; Linux: libcoreclr.so mapped). Read once per process. */
  isDotNet: boolean | null;
  /** Windows: in a job object (IsProcessInJob). Linux: null (no such notion). */
  inJob: boolean | null;
  /** Windows: a debug port is set; Linux: TracerPid ≠ 0 (gdb, strace: any ptrace tracer) or state 'traced'. */
  beingDebugged: boolean | null;
  /**
   * Windows: every thread waits with reason Suspended; Linux: state 'stopped' (SIGSTOP, job control) — a process
   * stopped by a tracer is 'traced' and counts as beingDebugged instead.
   */
  suspended: boolean | null;
}

/** Fields that may change between two samples of the same process. */
export type MutableProcessFields = Omit<ProcessRow, 'key' | 'pid' | 'startTimeMs'>;

/**
 * Every field of a row but its key, in one place: the column ids (view-settings.ts) and, without the identity
 * fields, what the poller compares (process-delta.ts). The Record makes a new row field a compile error until listed.
 */
export const PROCESS_ROW_FIELD_SET = {
  pid: true,
  ppid: true,
  name: true,
  exePath: true,
  commandLine: true,
  user: true,
  state: true,
  threadCount: true,
  handleCount: true,
  startTimeMs: true,
  cpuTimeMs: true,
  cpuPercent: true,
  workingSetBytes: true,
  privateBytes: true,
  virtualBytes: true,
  priority: true,
  sessionId: true,
  elevated: true,
  integrityLevel: true,
  is32Bit: true,
  description: true,
  companyName: true,
  ioReadBytes: true,
  ioWriteBytes: true,
  ioReadOps: true,
  ioWriteOps: true,
  ioReadBytesPerSec: true,
  ioWriteBytesPerSec: true,
  services: true,
  isService: true,
  isDotNet: true,
  inJob: true,
  beingDebugged: true,
  suspended: true,
} as const satisfies Record<Exclude<keyof ProcessRow, 'key'>, true>;

export interface ProcessUpdate {
  key: ProcessKey;
  /** Only the fields that changed. */
  changes: Partial<MutableProcessFields>;
}

export interface SystemTotals {
  cpuCount: number;
  /** Sum over processes, 100 % = all cores. Null on the first sample. */
  cpuPercent: number | null;
  memoryTotalBytes: number | null;
  memoryAvailableBytes: number | null;
  processCount: number;
  /*
   * The fields below came with issue 14's system graphs; optional so that an older peer's totals (and test
   * literals) still type. Absent or null = unknown.
   */
  /** Per logical CPU over the last interval, 100 % = that core busy. Linux /proc/stat cpuN; Windows SystemProcessorPerformanceInformation. */
  perCpuPercent?: number[] | null;
  /** Committed virtual memory and its limit. Linux: Committed_AS / CommitLimit; Windows: GetPerformanceInfo. */
  commitBytes?: number | null;
  commitLimitBytes?: number | null;
  /** memoryTotalBytes − memoryAvailableBytes where both are known. */
  memoryUsedBytes?: number | null;
  /**
   * System-wide I/O over the last interval. Linux: the physical disks' bytes from /proc/diskstats (disk traffic;
   * page-cache hits are not counted); Windows: every process's transfer counts summed (file, device and network
   * I/O, as Process Explorer's I/O graph). A backend with neither: the sum of the rows' rates, while read.
   */
  ioReadBytesPerSec?: number | null;
  ioWriteBytesPerSec?: number | null;
}

export interface ProcessSnapshot {
  seq: number;
  timestampMs: number;
  /** The interval the CPU percentages were measured over; 0 for the very first sample. */
  intervalMs: number;
  rows: ProcessRow[];
  system: SystemTotals;
}

export interface ProcessDelta {
  /** Always snapshot.seq + 1, + 2, ...: a receiver that sees a gap asks for a snapshot again. */
  seq: number;
  timestampMs: number;
  intervalMs: number;
  added: ProcessRow[];
  updated: ProcessUpdate[];
  removed: ProcessKey[];
  system: SystemTotals;
}

export type ProcessStreamMessage =
  | { kind: 'snapshot'; snapshot: ProcessSnapshot }
  | { kind: 'delta'; delta: ProcessDelta };

/** Poll intervals the UI offers; 0 = paused. */
export const REFRESH_INTERVALS_MS = [500, 1000, 2000, 5000, 10000] as const;
export type RefreshIntervalMs = (typeof REFRESH_INTERVALS_MS)[number];
export const DEFAULT_REFRESH_INTERVAL_MS: RefreshIntervalMs = 1000;

export function processKey(pid: number, startTimeMs: number): ProcessKey {
  return `${pid}:${startTimeMs}`;
}

export function parseProcessKey(key: string): { pid: number; startTimeMs: number } | null {
  const m = /^(\d+):(\d+)$/.exec(key);
  if (!m) return null;
  const pid = Number(m[1]);
  const startTimeMs = Number(m[2]);
  if (!Number.isSafeInteger(pid) || !Number.isSafeInteger(startTimeMs)) return null;
  return { pid, startTimeMs };
}

/** A row with every optional field null: backends fill in what they can read. */
export function emptyProcessRow(pid: number, ppid: number, name: string, startTimeMs: number): ProcessRow {
  return {
    key: processKey(pid, startTimeMs),
    pid,
    ppid,
    name,
    exePath: null,
    commandLine: null,
    user: null,
    state: null,
    threadCount: null,
    handleCount: null,
    startTimeMs,
    cpuTimeMs: null,
    cpuPercent: null,
    workingSetBytes: null,
    privateBytes: null,
    virtualBytes: null,
    priority: null,
    sessionId: null,
    elevated: null,
    integrityLevel: null,
    is32Bit: null,
    description: null,
    companyName: null,
    ioReadBytes: null,
    ioWriteBytes: null,
    ioReadOps: null,
    ioWriteOps: null,
    ioReadBytesPerSec: null,
    ioWriteBytesPerSec: null,
    services: null,
    isService: null,
    isDotNet: null,
    inJob: null,
    beingDebugged: null,
    suspended: null,
  };
}
