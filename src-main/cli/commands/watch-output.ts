/*
 * How `procscope watch` prints a capture event: with --json the event itself, one JSON object per line (the
 * contract's field names, for scripts and fleets); otherwise one line a person reads at a terminal, e.g.
 * `dump    pid 4242 Calamari at exit → /var/dumps/Calamari-at-exit_4242_….core (12.3 MiB)`. With --launch the
 * `done` line also says how the launched program ended (JSON: a `launched` field). Pure.
 */
import type { CaptureEvent } from '../../../src-shared/model/capture';

/** How a --launch program ended: its exit code as its parent shell saw it (128 + N after signal N). */
export interface LaunchedReport {
  pid: number;
  /** 'not-started': the watch never armed, so CMD was never run; 'running': the CLI left it running (a stop). */
  state: 'exited' | 'running' | 'not-started';
  exitCode: number | null;
  /** Set when the launcher shell itself was killed, so the program's code is unknown. */
  signal: string | null;
}

function formatLaunched(r: LaunchedReport): string {
  if (r.state === 'not-started') return `; the launched program (pid ${r.pid}) was never run`;
  if (r.state === 'running') return `; the launched program (pid ${r.pid}) still runs`;
  if (r.exitCode !== null) return `; the launched program (pid ${r.pid}) exited with code ${r.exitCode}`;
  return `; the launched program's (pid ${r.pid}) launcher was killed by ${r.signal ?? 'a signal'}, its exit code is unknown`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 2 ** 20) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 2 ** 30) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${(n / 2 ** 30).toFixed(2)} GiB`;
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** HH:MM:SS in this machine's local time, as a person at its terminal reads a clock. */
export function clockTime(epochMs: number): string {
  const d = new Date(epochMs);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** Control characters of a child's name or command line must not reach the terminal (escape sequences). */
function clean(text: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const safe = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return safe.length > max ? `${safe.slice(0, max)}…` : safe;
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

export function formatCaptureEvent(event: CaptureEvent, json: boolean, launched?: LaunchedReport): string {
  if (json) return JSON.stringify(event.event === 'done' && launched ? { ...event, launched } : event);
  switch (event.event) {
    case 'armed': {
      const limits = event.limits.map((l) => `\n        limit: ${clean(l, 400)}`).join('');
      return `armed   pid ${event.pid} (${clean(event.mechanism)}): from now on nothing matching can be missed${limits}`;
    }
    case 'seen':
      return `seen    pid ${event.pid} ${clean(event.name)} (parent ${event.ppid})${event.cmdline ? `: ${clean(event.cmdline)}` : ''}`;
    case 'held':
      return `held    pid ${event.pid} ${clean(event.name)} for its ${event.trigger} dump, until ${clockTime(event.deadlineMs)}`;
    case 'exited': {
      const how = event.signal !== null ? `killed by ${clean(event.signal)}` : `exit code ${event.exitCode ?? '?'}`;
      return `exited  pid ${event.pid} ${clean(event.name)}, ${how}, after ${formatMs(event.lifetimeMs)}`;
    }
    case 'dump':
      return `dump    pid ${event.pid} ${clean(event.name)} at ${event.trigger} → ${clean(event.path, 1000)} (${formatBytes(event.fileBytes)})`;
    case 'error': {
      const where = event.pid !== null ? `pid ${event.pid}${event.trigger ? ` at ${event.trigger}` : ''}: ` : '';
      return `error   ${where}${clean(event.error.message, 1000)}`;
    }
    case 'done':
      return `done    ${event.reason}: ${plural(event.seenCount, 'process', 'processes')} seen, ${plural(event.dumpCount, 'dump', 'dumps')}${launched ? formatLaunched(launched) : ''}`;
  }
}
