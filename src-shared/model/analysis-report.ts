/*
 * The analysis report (issue 13): what `procscope analyze`, the app and the HTML page show of one dump, as plain
 * JSON-serialisable data. Addresses and other 64-bit values are hex strings ("0x7f…"), times are ms. Field names
 * are a contract (tests and users' scripts read them): add fields, never rename. Everything in a report has been
 * through redaction already; it holds no memory contents and no environment values.
 */

export const ANALYSIS_REPORT_SCHEMA = 1;

export type ReportSeverity = 'error' | 'warning' | 'info';
/** certain: read from structures (a mutex owner); likely: from exported names or syscalls; possible: scanned frames. */
export type ReportConfidence = 'certain' | 'likely' | 'possible';
export type ReportFrameTrust = 'context' | 'cfi' | 'frame_pointer' | 'scan';

export type FindingKind =
  | 'deadlock' | 'crash' | 'lock-contention' | 'busy' | 'loader-lock' | 'message-box' | 'network-wait' | 'io-wait'
  | 'child-wait' | 'join-wait' | 'sleeping' | 'idle' | 'dotnet' | 'no-known-problem';

/** What a thread is doing, DebugDiag-style, from its syscall (Linux) or the well-known functions on its stack. */
export type ThreadState =
  | 'crashed' | 'lock-wait' | 'condvar-wait' | 'join-wait' | 'child-wait' | 'socket-wait' | 'io-wait' | 'idle-poll'
  | 'idle-pool' | 'sleeping' | 'loading-library' | 'message-box' | 'ui-loop' | 'busy' | 'running' | 'waiting'
  | 'dumper' | 'unknown';

export interface ReportFrame {
  index: number;
  pc: string;
  /** Module file name, null outside every module (JIT code). */
  module: string | null;
  /** pc − module base (Breakpad's offset), hex; null outside a module. */
  offset: string | null;
  /** Demangled (C++, Rust) for people; the symbol as the module names it is in `mangled`. */
  function: string | null;
  functionOffset: string | null;
  /** The raw symbol when `function` is its demangled form, else null. */
  mangled: string | null;
  trust: ReportFrameTrust;
}

export interface ThreadClassification {
  state: ThreadState;
  /** One sentence: "Waiting for mutex 0x… held by thread 812". */
  summary: string;
  severity: ReportSeverity;
  confidence: ReportConfidence;
  /** The thread this one waits for, when known (a lock's owner, a joined thread). */
  waitsForTid: number | null;
}

export interface ReportThread {
  tid: number;
  name: string | null;
  userMs: number | null;
  kernelMs: number | null;
  /** Linux syscall number the thread is in (-1: none), null when the dump does not say. */
  syscall: number | null;
  stopSignal: { code: number; name: string; faultAddress: string | null } | null;
  classification: ThreadClassification;
  frames: ReportFrame[];
  stopReason: string;
  problems: string[];
}

export interface ReportFinding {
  kind: FindingKind;
  severity: ReportSeverity;
  /** Higher first; errors ≥ 100, blocking others ×10 (ANALYSIS.md §2). */
  weight: number;
  title: string;
  description: string;
  /** tids involved. */
  threads: number[];
  recommendation: string;
  confidence: ReportConfidence;
}

export interface ReportCpuThread {
  tid: number;
  name: string | null;
  userMs: number;
  kernelMs: number;
  totalMs: number;
}

export interface ReportStackGroup {
  count: number;
  tids: number[];
  /** "12 threads waiting in futex ← pthread_cond_wait ← worker_main". */
  summary: string;
  /** The shared frames, innermost first, as "module!function" or "module+0xoffset". */
  frames: string[];
}

export interface ReportLock {
  kind: 'mutex' | 'critical-section';
  address: string;
  /** null: not determined (the text says why). */
  ownerTid: number | null;
  waiterTids: number[];
  confidence: ReportConfidence;
  note: string;
}

export interface ReportWaitChain {
  /** Each thread waits for the next; in a deadlock the last waits for the first (not repeated at the end). */
  tids: number[];
  deadlock: boolean;
}

export interface ReportDotnet {
  detected: boolean;
  /** 'coreclr' (.NET Core / .NET 5+), 'clr' (.NET Framework 4), 'mscorwks' (.NET Framework 2.0–3.5). */
  runtime: 'coreclr' | 'clr' | 'mscorwks' | null;
  module: string | null;
  version: string | null;
  /** Threads whose names the runtime gave them (".NET Finalizer", ".NET TP Worker"…). */
  threads: { tid: number; name: string }[];
  canSay: string[];
  cannotSay: string[];
  nextStep: string | null;
}

export interface ReportModule {
  name: string;
  path: string;
  base: string;
  sizeBytes: number;
  /** ELF build id, or the PE's TimeDateStamp+SizeOfImage. */
  identity: string | null;
  version: string | null;
  unwindSource: string | null;
  symbolSource: string | null;
  notes: string[];
}

export interface ReportRedaction {
  /** What was masked: 'option-value', 'connection-string-password', 'url-credentials', 'token:<shape>', 'profile-path'. */
  kind: string;
  /** Where: a JSON path such as "header.commandLine" or "modules[4].path". Never the value. */
  location: string;
  /** The option or key whose value was masked ("--password"), when there is one. */
  key?: string;
}

export interface ReportHeader {
  process: string;
  pid: number;
  ppid: number | null;
  uid: number | null;
  /** Redacted. */
  commandLine: string | null;
  os: { family: 'linux' | 'windows'; version: string | null; cpuCount: number | null };
  dumpFormat: 'elf-core' | 'minidump';
  dumpKind: string;
  dumpFile: string;
  dumpTimeMs: number | null;
  processStartTimeMs: number | null;
  /** Dump time − process start, null when either is unknown. */
  uptimeMs: number | null;
  threadCount: number;
  moduleCount: number;
}

export interface AnalysisReport {
  schema: typeof ANALYSIS_REPORT_SCHEMA;
  generator: string;
  header: ReportHeader;
  /** By weight, highest first. */
  findings: ReportFinding[];
  /** Top threads by user + kernel CPU time; empty when the dump has no per-thread times (cpuNote says so). */
  topCpuThreads: ReportCpuThread[];
  cpuNote: string | null;
  stackGroups: ReportStackGroup[];
  threads: ReportThread[];
  locks: ReportLock[];
  waitChains: ReportWaitChain[];
  dotnet: ReportDotnet;
  modules: ReportModule[];
  qualityNotes: string[];
  redactions: ReportRedaction[];
}

/**
 * How one frame is written for people, in the CLI's text report, the HTML page and the app alike:
 * `module!function+0xOFF` (the offset in the function) when the function is known, `module+0xOFF` (the offset in the
 * module, Breakpad's) otherwise, the bare pc outside every module.
 */
export function frameText(f: Pick<ReportFrame, 'module' | 'function' | 'functionOffset' | 'offset' | 'pc'>): string {
  if (f.function) {
    const off = f.functionOffset && f.functionOffset !== '0x0' ? `+${f.functionOffset}` : '';
    return `${f.module ? `${f.module}!` : ''}${f.function}${off}`;
  }
  if (f.module) return `${f.module}+${f.offset ?? f.pc}`;
  return f.pc;
}
