/*
 * The capture contract (issue 12): a watch on a process and its descendants that holds each matching process the
 * instant it exists and dumps it when a trigger fires — at start (after exec), at exit (optionally only a non-zero
 * exit), on a crash — then lets it run on. Shared by the capture engines (src-main/capture/<os>), the CLI's
 * `procscope watch`, the hosts and the renderer's Capture panel, so none of them learns which OS mechanism ran.
 * Pure data: times in ms since the epoch, units in names.
 */
import type { DumpErrorInfo, DumpKind, DumpTarget } from './dump';

/**
 * 'cpu', 'memory' and 'series' are the sampled triggers (ProcDump -c, -m, -n/-s): they need `monitor` on the rule
 * and dump a process that is running, not one stopped at an event.
 */
export type CaptureTrigger = 'start' | 'exit' | 'crash' | 'cpu' | 'memory' | 'series';

/**
 * The sampled triggers' settings (ProcDump for Linux's semantics, see src-main/capture/monitor.ts): each watched process
 * is sampled once a second. `cpuPercent` is of one core (a busy thread is 100; the most is 100 × cores), over the last
 * second, and must hold for `seconds` consecutive samples; `memoryMb` is resident + swapped MB (Linux) or commit
 * (Windows), dumped on the first sample at or above it; with neither, a series: a dump at once, then every `seconds`.
 * After each dump the process is not sampled for `seconds`; `count` dumps per process at most.
 */
export interface CaptureMonitor {
  cpuPercent: number | null;
  memoryMb: number | null;
  seconds: number;
  count: number;
}

export interface CaptureRule {
  /** The watched process; its identity is checked before anything is held. */
  target: DumpTarget;
  /** 'self': only the target; 'descendants': every later descendant (children, grandchildren…), not the target. */
  scope: 'self' | 'descendants' | 'self-and-descendants';
  /** Only processes whose image name (Linux: comm after exec, or the exe's basename) matches this glob (* and ?). */
  nameGlob: string | null;
  /**
   * Only processes whose command line (arguments joined by spaces; its first 16 KiB) matches this regular expression,
   * which must be one V8 matches in linear time (no backreference or lookahead): the watcher runs it while it holds.
   */
  cmdlineRegex: string | null;
  triggers: CaptureTrigger[];
  /** With the exit trigger: dump only when the exit code is not 0 or the process was killed by a signal. */
  exitNonZeroOnly: boolean;
  kind: DumpKind;
  /** Absolute folder; file names say the trigger (see captureFileNameHint). */
  outDir: string;
  /** How long a held process may stay stopped for one dump before it is released undumped. Default 60 s. */
  holdTimeoutMs: number;
  /** Stop after this many dumps (null: no limit). */
  maxDumps: number | null;
  /** Stop the watch after this long (null: until the watched process ends or the watch is stopped). */
  timeoutMs: number | null;
  /**
   * The caller created the target suspended and resumes it only once the watch is armed (`procscope watch --launch`
   * on Windows): it has run no instruction, so its start is under the watch and its loader will break in once.
   * Absent or false for a process that was already running.
   */
  targetHeldAtLaunch?: boolean;
  /** Settings of the 'cpu', 'memory' and 'series' triggers; absent or null when the rule has none of them. */
  monitor?: CaptureMonitor | null;
  /**
   * Linux only, fanotify exec mode (CAPTURE.md §5), for watched processes that take many signals (JVM, Go, .NET) or
   * already have a debugger: the watched process is not traced; a descendant is seized when it execs one of these
   * binaries (absolute paths, at most 16, each a regular file, opened once when the watch arms), then watched as in
   * ptrace mode. Scope 'descendants' only. Absent: ptrace follow-fork on the watched process.
   */
  execPaths?: string[];
}

export const DEFAULT_HOLD_TIMEOUT_MS = 60_000;
/** At most this many binaries in a rule's execPaths (one fanotify inode mark each). */
export const MAX_EXEC_PATHS = 16;

/** What a watch reports, in order: `armed` once, then any number of the others, then `done` once. */
export type CaptureEvent =
  /** The watch holds the tree: from now on no matching descendant can be missed. `mechanism` names what runs. */
  | { event: 'armed'; atMs: number; pid: number; mechanism: string; limits: string[] }
  /** A matching process was seen (held at birth or at exec). */
  | { event: 'seen'; atMs: number; pid: number; ppid: number; name: string; cmdline: string; startTimeMs: number }
  /**
   * The engine began holding a process for a dump by `trigger`: it stays stopped until the dump is written or, at
   * `deadlineMs` (epoch ms), it is released undumped. Not sent for a process stopped only to be let go. `name` as
   * the dump will have it (a child seen at fork has execed since).
   */
  | { event: 'held'; atMs: number; pid: number; name: string; trigger: CaptureTrigger; deadlineMs: number }
  /** A watched process ended. `exitCode` null when a signal ended it. */
  | { event: 'exited'; atMs: number; pid: number; name: string; exitCode: number | null; signal: string | null; lifetimeMs: number }
  /**
   * A dump was written. `unreadableBytes`: memory the writer could not read and left zeroed (Linux cores; minidumps
   * do not say: dbghelp skips unreadable ranges silently, so 0).
   */
  | {
      event: 'dump'; atMs: number; pid: number; name: string; trigger: CaptureTrigger; path: string; fileBytes: number; sha256: string;
      targetPauseMs: number; unreadableBytes: number;
    }
  /** Something failed for one process (the watch goes on) or for the whole watch (then `done` follows). */
  | { event: 'error'; atMs: number; pid: number | null; trigger: CaptureTrigger | null; error: DumpErrorInfo }
  /** The watch ended and released every process it held. */
  | { event: 'done'; atMs: number; reason: CaptureDoneReason; seenCount: number; dumpCount: number };

export type CaptureDoneReason = 'target-exited' | 'max-dumps' | 'timeout' | 'stopped' | 'error';

/** The name part of a capture dump's file, so the file says which trigger fired: `<name>-at-<trigger>`. */
export function captureFileNameHint(name: string, trigger: CaptureTrigger): string {
  return `${name}-at-${trigger}`;
}
