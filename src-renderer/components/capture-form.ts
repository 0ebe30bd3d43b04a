/*
 * The capture dialog's fields and how they become procscope:start-capture's arguments. Checks what a user can get
 * wrong (no trigger, a relative folder, a regex that does not compile, a deadline that is not a number, a series
 * mixed with a threshold, a binary to hold at exec that is not an absolute path) and says so in one sentence; main
 * checks everything again. Pure, so the dialog's rules are tested without a DOM.
 */
import type { StartCaptureArgs } from '../../src-shared/ipc/capture-contract';
import type { CaptureMonitor, CaptureRule, CaptureTrigger } from '../../src-shared/model/capture';
import { DEFAULT_HOLD_TIMEOUT_MS, MAX_EXEC_PATHS } from '../../src-shared/model/capture';
import type { DumpKind } from '../../src-shared/model/dump';
import type { ProcessRow } from '../../src-shared/model/process';

export interface CaptureForm {
  scope: CaptureRule['scope'];
  nameGlob: string;
  cmdlineRegex: string;
  triggers: Record<CaptureTrigger, boolean>;
  exitNonZeroOnly: boolean;
  /** The sampled triggers' settings (ProcDump -c, -m, -s, -n), used only when cpu, memory or series is chosen. */
  cpuPercent: string;
  memoryMb: string;
  monitorSeconds: string;
  monitorCount: string;
  kind: DumpKind;
  folder: string;
  holdSeconds: string;
  /** Empty: no limit. */
  maxDumps: string;
  /** Empty: no limit. */
  stopAfterSeconds: string;
  elevated: boolean;
  /**
   * Linux only: fanotify exec mode (rule.execPaths) — hold a descendant at its exec of one of these binaries, the
   * watched process itself not traced. One absolute path a line.
   */
  execMode: boolean;
  execPaths: string;
}

export function initialCaptureForm(scope: CaptureRule['scope'], kind: DumpKind = 'mini'): CaptureForm {
  return {
    scope, nameGlob: '', cmdlineRegex: '', triggers: { start: false, exit: true, crash: false, cpu: false, memory: false, series: false },
    exitNonZeroOnly: false, cpuPercent: '', memoryMb: '', monitorSeconds: '10', monitorCount: '1',
    kind, folder: '', holdSeconds: String(DEFAULT_HOLD_TIMEOUT_MS / 1000), maxDumps: '', stopAfterSeconds: '', elevated: false,
    execMode: false, execPaths: '',
  };
}

export const isAbsoluteFolder = (v: string) => v.startsWith('/') || /^[A-Za-z]:[\\/]/.test(v) || v.startsWith('\\\\');

const TRIGGER_ORDER: CaptureTrigger[] = ['start', 'exit', 'crash', 'cpu', 'memory', 'series'];

/** A whole number from min to max, or null when the text is not one. */
function wholeNumber(text: string, min: number, max: number): number | null {
  if (!/^\s*\d+\s*$/.test(text)) return null;
  const value = Number(text);
  return value >= min && value <= max ? value : null;
}

/** The monitor the sampled triggers need (main wants cpu ⇔ a CPU threshold, memory ⇔ a memory one, series ⇔ neither). */
function monitorFromForm(form: CaptureForm): { ok: true; monitor: CaptureMonitor | null } | { ok: false; error: string } {
  const { cpu, memory, series } = form.triggers;
  if (!cpu && !memory && !series) return { ok: true, monitor: null };
  if (series && (cpu || memory)) return { ok: false, error: 'A series of dumps cannot be combined with a CPU or memory threshold.' };
  const cpuPercent = cpu ? wholeNumber(form.cpuPercent, 1, 100_000) : null;
  if (cpu && cpuPercent === null) return { ok: false, error: 'The CPU threshold must be a whole percentage of one core (100 is one busy core).' };
  const memoryMb = memory ? wholeNumber(form.memoryMb, 1, 16 * 1024 * 1024) : null;
  if (memory && memoryMb === null) return { ok: false, error: 'The memory threshold must be a whole number of MB.' };
  const seconds = wholeNumber(form.monitorSeconds, 1, 86_400);
  if (seconds === null) return { ok: false, error: 'The sampling seconds must be a whole number from 1 to 86400.' };
  const count = wholeNumber(form.monitorCount, 1, 10_000);
  if (count === null) return { ok: false, error: 'The dumps per process must be a whole number from 1 to 10000.' };
  return { ok: true, monitor: { cpuPercent, memoryMb, seconds, count } };
}

/** A positive number of seconds, or null when the text is not one. */
function seconds(text: string): number | null {
  if (!/^\s*\d+(\.\d+)?\s*$/.test(text)) return null;
  const value = Number(text);
  return value > 0 ? value : null;
}

/** The exec mode's binaries, one a line (blank lines skipped): absolute and plain, at most MAX_EXEC_PATHS, none twice. */
export function execPathsFromForm(text: string): { ok: true; paths: string[] } | { ok: false; error: string } {
  const paths = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  if (paths.length === 0) return { ok: false, error: 'Type the full path of at least one binary to hold at its exec, one a line.' };
  if (paths.length > MAX_EXEC_PATHS) return { ok: false, error: `At most ${MAX_EXEC_PATHS} binaries can be held at exec; ${paths.length} are listed.` };
  for (const p of paths) {
    const shown = p.length > 80 ? `${p.slice(0, 80)}…` : p;
    if (!p.startsWith('/')) return { ok: false, error: `${shown} is not a full path: it must start with /.` };
    if (p.length > 4096 || p.includes('\0')) return { ok: false, error: `${shown} is not a usable path.` };
    if (/\/\/|\/\.\.?(\/|$)/.test(p) || (p.length > 1 && p.endsWith('/'))) return { ok: false, error: `${shown} must be a plain path, without '.', '..', '//' or a trailing /.` };
    if (p === '/proc' || p.startsWith('/proc/')) return { ok: false, error: `${shown} is under /proc: give the binary's own path.` };
  }
  if (new Set(paths).size !== paths.length) return { ok: false, error: 'A binary is listed twice.' };
  return { ok: true, paths };
}

export type CaptureFormResult = { ok: true; args: StartCaptureArgs } | { ok: false; error: string };

export function captureArgsFromForm(row: Pick<ProcessRow, 'pid' | 'startTimeMs' | 'name'>, form: CaptureForm): CaptureFormResult {
  const fail = (error: string): CaptureFormResult => ({ ok: false, error });
  const triggers = TRIGGER_ORDER.filter((t) => form.triggers[t]);
  if (!triggers.length) return fail('Choose at least one trigger: at start, at exit, on a crash, CPU, memory or a series.');
  const monitor = monitorFromForm(form);
  if (!monitor.ok) return fail(monitor.error);
  let execPaths: string[] | null = null;
  if (form.execMode) {
    if (form.scope !== 'descendants') return fail('Holding at exec of named binaries watches the children only: the process itself is not traced in that mode.');
    const exec = execPathsFromForm(form.execPaths);
    if (!exec.ok) return fail(exec.error);
    execPaths = exec.paths;
  }
  const outDir = form.folder.trim();
  if (!isAbsoluteFolder(outDir)) return fail('Type the full path of a folder, starting with / (or a drive letter on Windows).');
  const nameGlob = form.nameGlob.trim();
  if (nameGlob.length > 255) return fail('The name pattern is longer than 255 characters.');
  const cmdlineRegex = form.cmdlineRegex.trim();
  if (cmdlineRegex.length > 1000) return fail('The command-line pattern is longer than 1000 characters.');
  if (cmdlineRegex) {
    try {
      new RegExp(cmdlineRegex);
    } catch (err) {
      return fail(`The command-line pattern is not a regular expression: ${(err as Error).message}.`);
    }
  }
  const hold = seconds(form.holdSeconds);
  if (hold === null || hold * 1000 > 3_600_000 || Math.round(hold * 1000) < 1) return fail('The hold deadline must be a number of seconds, at most 3600.');
  let maxDumps: number | null = null;
  if (form.maxDumps.trim()) {
    maxDumps = Number(form.maxDumps);
    if (!/^\s*\d+\s*$/.test(form.maxDumps) || maxDumps < 1 || maxDumps > 100_000) return fail('"Stop after N dumps" must be a whole number from 1 to 100000, or empty.');
  }
  let timeoutMs: number | null = null;
  if (form.stopAfterSeconds.trim()) {
    const t = seconds(form.stopAfterSeconds);
    if (t === null || t * 1000 > 7 * 86_400_000) return fail('"Stop after" must be a number of seconds (at most a week), or empty.');
    timeoutMs = Math.max(1, Math.round(t * 1000));
  }
  return {
    ok: true,
    args: {
      pid: row.pid,
      startTimeMs: row.startTimeMs,
      // The name only labels the watch and its files; main reads it from the OS when there is none.
      ...(row.name ? { name: row.name.slice(0, 255) } : {}),
      scope: form.scope,
      nameGlob: nameGlob || null,
      cmdlineRegex: cmdlineRegex || null,
      triggers,
      exitNonZeroOnly: form.triggers.exit && form.exitNonZeroOnly,
      kind: form.kind,
      outDir,
      holdTimeoutMs: Math.round(hold * 1000),
      maxDumps,
      timeoutMs,
      ...(monitor.monitor ? { monitor: monitor.monitor } : {}),
      ...(form.elevated ? { elevated: true } : {}),
      ...(execPaths ? { execPaths } : {}),
    },
  };
}

export function captureDialogTitle(scope: CaptureRule['scope']): string {
  return scope === 'self' ? 'Capture' : 'Capture Children';
}
