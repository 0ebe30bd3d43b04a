/*
 * Per-process detail (issue 14): what the Properties window's tabs, the lower pane and Find Handle or DLL show.
 * Read only on demand — for an open Properties window or the lower pane's process, never in the poll — by a
 * ProcessDetailSource per OS (src-main/detail). Plain cloneable data; addresses as 0x-hex strings (64-bit values do
 * not fit a JS number); every part answers on its own, so one failing tab ("access denied — needs elevation",
 * "process exited") never blanks the others.
 */
import type { IntegrityLevel } from './process';
import type { ReportFrame } from './analysis-report';

/** The parts a Properties window or the lower pane asks for; each is read and answered on its own. */
export type DetailPart = 'image' | 'performance' | 'threads' | 'modules' | 'handles' | 'sockets' | 'services' | 'environment';
export const DETAIL_PARTS: readonly DetailPart[] = ['image', 'performance', 'threads', 'modules', 'handles', 'sockets', 'services', 'environment'];

export type DetailErrorCode = 'access-denied' | 'process-gone' | 'pid-recycled' | 'unsupported' | 'timeout' | 'failed';

/** The sentence a tab shows instead of its table ("access denied — needs elevation"), and why. */
export interface DetailError {
  code: DetailErrorCode;
  message: string;
}

export type DetailResult<T> = { ok: true; value: T } | { ok: false; error: DetailError };

export interface ImageDetail {
  exePath: string | null;
  commandLine: string | null;
  currentDirectory: string | null;
  parentPid: number;
  /** The parent's name while it runs; null when it has exited (parentExited) or there is none (parentPid 0). */
  parentName: string | null;
  /** True when parentPid's process has exited (or the pid now belongs to a newer process). */
  parentExited: boolean;
  user: string | null;
  startTimeMs: number;
  /** Windows version resource; Linux: null (no version resource). */
  description: string | null;
  companyName: string | null;
  version: string | null;
  /** Linux: the package that owns exePath where cheap to find (dpkg's list files), else null. */
  packageOwner: string | null;
  is32Bit: boolean | null;
  elevated: boolean | null;
  integrityLevel: IntegrityLevel | null;
  /** Where the process is started from when known: a Run key, a service, a systemd unit file. */
  autostartLocation: string | null;
}

/** One sample of the Performance tab; the history keeps one per poll. Null where the OS or rights do not say. */
export interface PerformanceSample {
  timestampMs: number;
  cpuPercent: number | null;
  privateBytes: number | null;
  workingSetBytes: number | null;
  /** Cumulative since the process started. */
  ioReadBytes: number | null;
  ioWriteBytes: number | null;
  ioReadOps: number | null;
  ioWriteOps: number | null;
  /** Windows handles; Linux open file descriptors. */
  handleCount: number | null;
  threadCount: number | null;
}

export interface PerformanceDetail {
  /** Now. */
  current: PerformanceSample;
  /** Oldest first: every sample the host kept since it first saw the process (bounded), ending with `current`. */
  history: PerformanceSample[];
}

export interface ThreadDetail {
  tid: number;
  /** Linux: comm; Windows: the thread description (GetThreadDescription) where set. */
  name: string | null;
  /**
   * Linux: R/S/D/T/t/Z as a word ('running', 'sleeping', ...), and 'suspended' for a thread Procscope itself holds
   * (Suspend; /proc says only 't', traced); Windows: KTHREAD_STATE ('Wait', 'Running', ...).
   */
  state: string | null;
  /** Windows: KWAIT_REASON ('Suspended', 'UserRequest', ...); Linux: wchan where readable. */
  waitReason: string | null;
  cpuTimeMs: number | null;
  /** Over the host's last two reads of this thread (100 % = one whole core); null on the first read. */
  cpuPercent: number | null;
  /** 0x-hex. */
  startAddress: string | null;
  /** 'module!symbol+0xoff' or 'module+0xoff' where known. */
  startSymbol: string | null;
  priority: number | null;
}

export interface ThreadStackDetail {
  tid: number;
  /** Innermost first; the same frame shape and trust vocabulary as the analysis report. */
  frames: ReportFrame[];
  /** How long the thread was held to read it. */
  pausedMs: number;
  /** A sentence when the walk stopped early (no unwind info, unreadable stack), else null. */
  note: string | null;
}

export type ThreadAction = 'kill' | 'suspend' | 'resume';

export interface ModuleDetail {
  /** File name (libc.so.6, KERNEL32.DLL). */
  name: string;
  path: string;
  /** 0x-hex. */
  baseAddress: string;
  sizeBytes: number;
  /** Windows version resource; null on Linux. */
  version: string | null;
  description: string | null;
  companyName: string | null;
  /** Linux: the GNU build id, hex; null on Windows. */
  buildId: string | null;
}

/** Linux fd kinds and the Windows object types the UI groups by; the raw type name is kept in HandleDetail.type. */
export type HandleKind = 'file' | 'directory' | 'socket' | 'pipe' | 'anon-inode' | 'device' | 'key' | 'event' | 'process' | 'thread' | 'section' | 'other';

export interface HandleDetail {
  /** Windows: the handle value as 0x-hex; Linux: the fd number in decimal. */
  handle: string;
  kind: HandleKind;
  /** As the OS names it: Windows object type name ('File', 'Key', 'ALPC Port'); Linux 'REG', 'DIR', 'socket', ... */
  type: string;
  /** File path, key path, 'TCP 127.0.0.1:80 → 10.0.0.2:5000', 'pipe:[1234]', 'anon_inode:[eventfd]'; null if unnamed or
   * not resolved (Windows names are resolved off the main thread with a timeout: the NtQueryObject hang on pipes). */
  name: string | null;
  /** Windows granted access mask as 0x-hex; Linux open flags from fdinfo as 0-octal. */
  access: string | null;
}

export type SocketProtocol = 'tcp' | 'tcp6' | 'udp' | 'udp6' | 'unix';

export interface SocketDetail {
  protocol: SocketProtocol;
  localAddress: string;
  localPort: number | null;
  remoteAddress: string | null;
  remotePort: number | null;
  /** 'LISTEN', 'ESTABLISHED', ... (TCP); null otherwise. */
  state: string | null;
}

export interface ServiceDetail {
  /** Windows service name; Linux systemd unit ('nginx.service'). */
  name: string;
  displayName: string | null;
  /** 'running', 'stopped', ... as the SCM or systemd says; null when not known cheaply. */
  state: string | null;
}

export interface EnvironmentVariable {
  name: string;
  value: string;
}

/** One answer for the parts asked; a part not asked is absent. */
export interface ProcessDetail {
  pid: number;
  startTimeMs: number;
  /** When the host read it. */
  timestampMs: number;
  image?: DetailResult<ImageDetail>;
  performance?: DetailResult<PerformanceDetail>;
  threads?: DetailResult<ThreadDetail[]>;
  modules?: DetailResult<ModuleDetail[]>;
  handles?: DetailResult<HandleDetail[]>;
  sockets?: DetailResult<SocketDetail[]>;
  services?: DetailResult<ServiceDetail[]>;
  environment?: DetailResult<EnvironmentVariable[]>;
}

/** Find Handle or DLL: one match in one process. */
export interface FindMatch {
  pid: number;
  startTimeMs: number;
  processName: string;
  /** 'module' for a DLL / shared object; otherwise the handle's kind. */
  kind: 'module' | HandleKind;
  /** The module path or the handle's name, as matched. */
  name: string;
  /** The handle value or fd, null for a module. */
  handle: string | null;
}

export interface FindResult {
  query: string;
  matches: FindMatch[];
  /** True when the search stopped at its match limit. */
  truncated: boolean;
  /** Processes it could not read (rights), so "no match" is not mistaken for "searched everywhere". */
  unreadableProcesses: number;
  durationMs: number;
}
