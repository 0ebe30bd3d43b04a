/*
 * What every dump reader hands the analysis report (issue 13): one OS-independent picture of a process at the moment
 * of its dump — its identity, its threads with their unwound stacks and the few raw facts the hang heuristics need,
 * its modules, and notes on what the dump could not say. A Linux core (elf/ + modules/ + unwind/, see
 * unwind/core-stacks.ts) and a minidump (minidump/ + the x64 .pdata unwinder) each produce one; the report
 * (report/) reads only this, so its classification, locks, redaction and rendering are written once.
 * Raw memory never leaves a reader through this interface except as the small typed facts below: the report must be
 * able to promise that it prints no memory contents.
 */
import type { FrameTrust } from './unwind/x86-64-unwinder';

export type DumpFormat = 'elf-core' | 'minidump';

export interface AnalysisFrame {
  /** rip for frame 0 and for a frame interrupted by a signal or exception, else the return address. */
  pc: bigint;
  sp: bigint;
  trust: FrameTrust;
  /** Module file name (libc.so.6, ntdll.dll), null outside any module (JIT code, a bad pointer). */
  module: string | null;
  /** pc − the module's base. */
  moduleOffset: bigint | null;
  /** Symbol of the containing function when it is known to start that function; `<fn_RVA>` style otherwise; null. */
  function: string | null;
  functionOffset: bigint | null;
}

/**
 * The syscall (Linux) or the wait the thread is blocked in, as raw numbers the heuristics read (ANALYSIS.md §7.5).
 * Linux: orig_rax and the argument registers of the PRSTATUS. Windows: none of this is reliable inside a syscall
 * stub (only non-volatile registers are), so a minidump reader leaves `syscall` null.
 */
export interface AnalysisSyscall {
  /** orig_rax (x86-64 Linux syscall number; -1 when not in a syscall). */
  number: number;
  /** rdi, rsi, rdx, r10, r8, r9. */
  args: readonly bigint[];
}

export interface AnalysisThread {
  tid: number;
  /** comm (Linux, when the dump recorded it) or the ThreadNames stream (Windows); null when the dump has none. */
  name: string | null;
  /** User and kernel CPU time, ms; null when the dump has no per-thread times. */
  userMs: number | null;
  kernelMs: number | null;
  /** Signal or exception that stopped this thread (a crash), or null. */
  stopSignal: { code: number; name: string; faultAddress: bigint | null } | null;
  syscall: AnalysisSyscall | null;
  frames: AnalysisFrame[];
  /** Why the walk stopped, and problems with unwind data, one sentence each. */
  stopReason: string;
  problems: readonly string[];
}

export interface AnalysisModule {
  name: string;
  path: string;
  base: bigint;
  sizeBytes: bigint;
  /** ELF build id (hex), or the PE's `TimeDateStamp+SizeOfImage` (hex, as symbol stores key it); null if unknown. */
  identity: string | null;
  /** Version resource (Windows), null when absent. */
  version: string | null;
  /** Where unwind data and names came from ('core'/'dump', 'file', 'folder', 'pack'), null when none. */
  unwindSource: string | null;
  symbolSource: string | null;
  notes: readonly string[];
}

export interface AnalysisInput {
  format: DumpFormat;
  /** As stored by the writer: 'full' / 'mini' when known, else a description of the flags/filter. */
  dumpKind: string;
  os: { family: 'linux' | 'windows'; version: string | null; cpuCount: number | null };
  process: {
    pid: number;
    ppid: number | null;
    /** Image name (comm / exe basename). */
    name: string;
    /** Command line as stored in the dump, UNREDACTED: only the report's redaction may print it. */
    commandLine: string | null;
    /** Epoch ms, null when the dump does not say. */
    startTimeMs: number | null;
    dumpTimeMs: number | null;
    uid: number | null;
  };
  threads: AnalysisThread[];
  modules: AnalysisModule[];
  /** Reads up to `length` bytes of the process's memory from the dump, null where the dump holds none. For the
   * structures the lock heuristics follow (a glibc mutex's owner, a CRITICAL_SECTION's OwningThread); never printed. */
  readMemory(address: bigint, length: number): Promise<Buffer | null>;
  /** What the dump lacked or what was guessed (missing streams, unmatched build ids, scanned stacks). */
  qualityNotes: readonly string[];
  close(): Promise<void>;
}
