/*
 * The Capture panel's and jobs panel's words for a capture: a trigger ("at exit"), how a process ended, a watch's
 * title and state line, and which of a watch's processes the panel draws (the newest ones when it saw thousands).
 * Pure functions, so the components stay small and the wording is tested once.
 */
import type { CaptureProcessView, CaptureWatchView } from '../../src-shared/ipc/capture-contract';
import type { CaptureRule, CaptureTrigger } from '../../src-shared/model/capture';
import { formatDurationMs } from './dump-format';

// The sampled triggers (ProcDump -c, -m, -n/-s) are named too: a CLI watch can carry them, and a trigger union that
// grows again then fails to compile here instead of showing "undefined".
const TRIGGER_LABELS: Record<CaptureTrigger | 'cpu' | 'memory' | 'series', string> = {
  start: 'at start', exit: 'at exit', crash: 'at crash', cpu: 'at the CPU threshold', memory: 'at the memory threshold', series: 'in a series',
};

export function triggerLabel(trigger: CaptureTrigger): string {
  return TRIGGER_LABELS[trigger];
}

export function watchTitle(watch: CaptureWatchView): string {
  const { name, pid } = watch.target;
  if (watch.rule.scope === 'self') return `Capture of ${name}, PID ${pid}`;
  if (watch.rule.scope === 'descendants') return `Capture of the children of ${name}, PID ${pid}`;
  return `Capture of ${name}, PID ${pid}, and its children`;
}

const DONE_REASONS: Record<NonNullable<CaptureWatchView['doneReason']>, string> = {
  'target-exited': 'the watched process ended',
  'max-dumps': 'the dump limit was reached',
  timeout: 'its time limit passed',
  stopped: 'stopped',
  error: 'failed',
};

/** One word for the list's label ("armed"), and a sentence for the watch's status line. */
export function watchStatus(watch: CaptureWatchView): { word: string; sentence: string } {
  if (watch.state === 'arming') return { word: 'arming', sentence: 'Arming: nothing is held yet.' };
  if (watch.state === 'armed') return { word: 'armed', sentence: 'Armed: no matching process can be missed.' };
  if (watch.failure || watch.doneReason === 'error') {
    return { word: 'failed', sentence: `Failed: ${watch.failure?.message ?? 'the watch ended with an error.'}` };
  }
  return { word: 'ended', sentence: `Ended: ${DONE_REASONS[watch.doneReason ?? 'stopped']}; every held process was released.` };
}

/** What the rule asks, in one line: "at exit (non-zero only), minidumps, hold ≤ 60 s, filters". */
export function ruleSummary(rule: CaptureRule): string {
  const triggers = rule.triggers.map((t) => (t === 'exit' && rule.exitNonZeroOnly ? 'at a non-zero exit' : triggerLabel(t))).join(', ');
  const parts = [triggers, rule.kind === 'full' ? 'full dumps' : 'minidumps', `hold at most ${formatDurationMs(rule.holdTimeoutMs)}`];
  const m = rule.monitor ?? null;
  if (m) {
    if (m.cpuPercent !== null) parts.push(`CPU ≥ ${m.cpuPercent} % for ${m.seconds} s`);
    if (m.memoryMb !== null) parts.push(`memory ≥ ${m.memoryMb} MB`);
    if (m.cpuPercent === null && m.memoryMb === null) parts.push(`a dump every ${m.seconds} s`);
    parts.push(`at most ${m.count} per process`);
  }
  if (rule.nameGlob !== null) parts.push(`name ${rule.nameGlob}`);
  if (rule.cmdlineRegex !== null) parts.push(`command line /${rule.cmdlineRegex}/`);
  if (rule.maxDumps !== null) parts.push(`stop after ${rule.maxDumps} dump${rule.maxDumps === 1 ? '' : 's'}`);
  if (rule.timeoutMs !== null) parts.push(`stop after ${formatDurationMs(rule.timeoutMs)}`);
  return parts.join('; ');
}

// The dump a held process waits for, as in "held for its exit dump".
const HELD_FOR: Record<CaptureTrigger, string> = {
  start: 'start', exit: 'exit', crash: 'crash', cpu: 'CPU threshold', memory: 'memory threshold', series: 'series',
};

/** The Ended column: running, held (with the deadline at which it goes on undumped), or how it ended. */
export function exitText(p: CaptureProcessView): string {
  if (p.exitedAtMs === null && p.heldFor !== null) {
    return `held for its ${HELD_FOR[p.heldFor]} dump${p.heldUntilMs !== null ? ` (until ${formatClock(p.heldUntilMs)})` : ''}`;
  }
  if (p.exitedAtMs === null) return 'running';
  if (p.signal !== null) return `killed by ${p.signal}`;
  return p.exitCode === null ? 'ended' : `exit code ${p.exitCode}`;
}

export function dumpsText(p: CaptureProcessView): string {
  return p.dumpTriggers.length ? p.dumpTriggers.map(triggerLabel).join(', ') : 'none';
}

/** A watch may list up to MAX_CAPTURE_PROCESSES; drawing that many table rows would stall the window. */
export const CAPTURE_PANEL_MAX_ROWS = 200;

/** The rows to draw, newest last as seen, and how many older ones the panel leaves out (or main dropped). */
export function visibleCaptureProcesses(watch: CaptureWatchView, maxRows = CAPTURE_PANEL_MAX_ROWS): { rows: CaptureProcessView[]; hidden: number } {
  const over = Math.max(0, watch.processes.length - maxRows);
  return { rows: watch.processes.slice(over), hidden: over + watch.droppedProcesses };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Local wall-clock time to the second (a hold's deadline). */
export function formatClock(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '';
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Local wall-clock time with milliseconds (children living a few ms apart must be told apart). */
export function formatClockMs(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '';
  return `${formatClock(ms)}.${pad(new Date(ms).getMilliseconds(), 3)}`;
}
