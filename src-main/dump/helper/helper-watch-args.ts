/*
 * The command line of the helper's watch job (`--job=watch`, issue 12): one capture watch, written by the app
 * (helperWatchJobToArgs) and read back by the helper (parseHelperWatchArgs) with the distrust of helper-args.ts —
 * every CaptureRule field its own `--flag=value` element, each flag once, each value checked for shape, anything
 * unknown or belonging to a dump refused with a sentence. Pure: the folder, the target's identity and the whole
 * rule (compileCaptureRule) are checked by the helper after its channel is proven (helper-watch-job.ts).
 */
import { posix } from 'node:path';
import { MAX_EXEC_PATHS, type CaptureMonitor, type CaptureRule, type CaptureTrigger } from '../../../src-shared/model/capture';
import { compileLinearRegex } from '../../capture/capture-pattern';
import {
  checkChannel, checkOutDir, collectHelperArgs, parseInteger, PERSIST_FLAGS, replyAddress, type HelperFlag, type ParsedHelperArgs,
} from './helper-args';

export interface HelperWatchJob {
  rule: CaptureRule;
  /** The requesting user's uid: the folder must belong to it. Null on Windows (no uids). */
  uid: number | null;
  channel: string;
  secret: string;
}

export type ParsedHelperWatchArgs =
  | { ok: true; job: HelperWatchJob }
  | Extract<ParsedHelperArgs, { ok: false }>;

const REQUIRED: readonly HelperFlag[] = [
  '--job', '--pid', '--start-time-ms', '--kind', '--out-dir', '--scope', '--triggers', '--exit-nonzero-only', '--hold-timeout-ms',
  '--channel', '--secret',
];
/** Absent means null in the rule (no filter, no limit); `--uid` is required off Windows. */
const OPTIONAL: readonly HelperFlag[] = ['--uid', '--name-glob', '--cmdline-regex', '--max-dumps', '--timeout-ms', '--monitor', '--exec-paths'];
const SCOPES: readonly CaptureRule['scope'][] = ['self', 'descendants', 'self-and-descendants'];
const TRIGGERS: readonly CaptureTrigger[] = ['start', 'exit', 'crash', 'cpu', 'memory', 'series'];
/** The same bounds compileCaptureRule applies, so a rule that parses here is refused there only for the OS's reasons. */
const MAX_HOLD_TIMEOUT_MS = 3_600_000;

/** True when the arguments ask for a watch job: exactly one `--job=watch` (a second one is refused by the parser). */
export function isHelperWatchJob(args: readonly string[]): boolean {
  return args.some((a) => a === '--job=watch');
}

export function helperWatchJobToArgs(job: HelperWatchJob): string[] {
  const r = job.rule;
  const args = [
    '--job=watch', `--pid=${r.target.pid}`, `--start-time-ms=${r.target.startTimeMs}`, `--kind=${r.kind}`, `--out-dir=${r.outDir}`,
    `--scope=${r.scope}`, `--triggers=${r.triggers.join(',')}`, `--exit-nonzero-only=${r.exitNonZeroOnly}`,
    `--hold-timeout-ms=${r.holdTimeoutMs}`,
  ];
  if (r.nameGlob !== null) args.push(`--name-glob=${r.nameGlob}`);
  if (r.cmdlineRegex !== null) args.push(`--cmdline-regex=${r.cmdlineRegex}`);
  if (r.maxDumps !== null) args.push(`--max-dumps=${r.maxDumps}`);
  if (r.timeoutMs !== null) args.push(`--timeout-ms=${r.timeoutMs}`);
  if (r.monitor) args.push(`--monitor=${monitorToArg(r.monitor)}`);
  if (r.execPaths) args.push(`--exec-paths=${JSON.stringify(r.execPaths)}`);
  if (job.uid !== null) args.push(`--uid=${job.uid}`);
  args.push(`--channel=${job.channel}`, `--secret=${job.secret}`);
  return args;
}

export function parseHelperWatchArgs(args: readonly string[], platform: NodeJS.Platform = process.platform): ParsedHelperWatchArgs {
  const parsed = parseWatchJob(args, platform);
  if (typeof parsed !== 'string') return { ok: true, job: parsed };
  return { ok: false, error: parsed, replyTo: replyAddress(args, platform) };
}

function parseWatchJob(args: readonly string[], platform: NodeJS.Platform): HelperWatchJob | string {
  const values = collectHelperArgs(args, (flag) =>
    REQUIRED.includes(flag) || OPTIONAL.includes(flag) ? null : `${flag} belongs to a ${(PERSIST_FLAGS as readonly string[]).includes(flag) ? 'persist' : 'dump'} job, not to a watch.`,
  );
  if (typeof values === 'string') return values;
  for (const flag of REQUIRED) if (!values.has(flag)) return `${flag} is missing.`;
  if (values.get('--job') !== 'watch') return `--job must be 'dump' or 'watch', not '${values.get('--job')!.slice(0, 20)}'.`;
  if (platform !== 'win32' && !values.has('--uid')) return '--uid is missing.';
  const int = (flag: HelperFlag, min: number, max: number): number | string => parseInteger(flag, values.get(flag)!, min, max);

  const pid = int('--pid', 1, 0xffffffff);
  if (typeof pid === 'string') return pid;
  const startTimeMs = int('--start-time-ms', 1, Number.MAX_SAFE_INTEGER);
  if (typeof startTimeMs === 'string') return startTimeMs;
  const kind = values.get('--kind')!;
  if (kind !== 'full' && kind !== 'mini') return `--kind must be 'full' or 'mini', not '${kind.slice(0, 20)}'.`;
  const outDir = values.get('--out-dir')!;
  const outDirError = checkOutDir(outDir, platform);
  if (outDirError) return outDirError;
  const scope = values.get('--scope')! as CaptureRule['scope'];
  if (!SCOPES.includes(scope)) return `--scope must be 'self', 'descendants' or 'self-and-descendants', not '${scope.slice(0, 30)}'.`;
  const triggers = values.get('--triggers')!.split(',') as CaptureTrigger[];
  for (const t of triggers) if (!TRIGGERS.includes(t)) return `--triggers must list start, exit, crash, cpu, memory or series separated by commas, not '${t.slice(0, 20)}'.`;
  if (new Set(triggers).size !== triggers.length) return '--triggers names a trigger twice.';
  const nonZero = values.get('--exit-nonzero-only')!;
  if (nonZero !== 'true' && nonZero !== 'false') return `--exit-nonzero-only must be 'true' or 'false', not '${nonZero.slice(0, 20)}'.`;
  const holdTimeoutMs = int('--hold-timeout-ms', 1, MAX_HOLD_TIMEOUT_MS);
  if (typeof holdTimeoutMs === 'string') return holdTimeoutMs;
  const optionalInt = (flag: HelperFlag): number | null | string => (values.has(flag) ? int(flag, 1, Number.MAX_SAFE_INTEGER) : null);
  const maxDumps = optionalInt('--max-dumps');
  if (typeof maxDumps === 'string') return maxDumps;
  const timeoutMs = optionalInt('--timeout-ms');
  if (typeof timeoutMs === 'string') return timeoutMs;
  const monitor = values.has('--monitor') ? parseMonitorArg(values.get('--monitor')!) : null;
  if (typeof monitor === 'string') return monitor;
  const execPaths = values.has('--exec-paths') ? parseExecPathsArg(values.get('--exec-paths')!, platform) : null;
  if (typeof execPaths === 'string') return execPaths;
  const nameGlob = values.get('--name-glob') ?? null;
  if (nameGlob !== null && (nameGlob.length === 0 || nameGlob.length > 255)) return '--name-glob must be 1 to 255 characters.';
  const cmdlineRegex = values.get('--cmdline-regex') ?? null;
  if (cmdlineRegex !== null) {
    if (cmdlineRegex.length > 1000) return '--cmdline-regex must be at most 1000 characters.';
    const compiled = compileLinearRegex(cmdlineRegex);
    if (typeof compiled === 'string') return `--cmdline-regex ${compiled}.`;
  }
  let uid: number | null = null;
  if (values.has('--uid')) {
    const parsed = int('--uid', 0, 0xfffffffe);
    if (typeof parsed === 'string') return parsed;
    uid = parsed;
  }
  const channel = values.get('--channel')!;
  const channelError = checkChannel(channel, platform);
  if (channelError) return channelError;
  const secret = values.get('--secret')!;
  if (!/^[0-9a-f]{64}$/.test(secret)) return '--secret must be 64 lowercase hex digits.';
  const rule: CaptureRule = {
    target: { pid, startTimeMs }, scope, nameGlob, cmdlineRegex, triggers, exitNonZeroOnly: nonZero === 'true', kind, outDir,
    holdTimeoutMs, maxDumps, timeoutMs, ...(monitor ? { monitor } : {}), ...(execPaths ? { execPaths } : {}),
  };
  return { rule, uid, channel, secret };
}

/**
 * `--exec-paths=["/usr/bin/pwsh",…]`: fanotify exec mode's binaries as one JSON array of strings (a path may hold
 * commas or colons). Shape only — 1 to 16 absolute paths without '.', '..' or '//' — and Linux only; the helper then
 * checks each file with compileCaptureRule and the engine opens each one once.
 */
function parseExecPathsArg(text: string, platform: NodeJS.Platform): string[] | string {
  if (platform !== 'linux') return '--exec-paths is Linux only (fanotify exec mode).';
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    return '--exec-paths must be a JSON array of absolute paths.';
  }
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_EXEC_PATHS) return `--exec-paths must list 1 to ${MAX_EXEC_PATHS} paths.`;
  for (const p of list) {
    if (typeof p !== 'string' || p.length > 4096 || !p.startsWith('/') || posix.normalize(p) !== p) {
      return '--exec-paths must hold absolute paths without \'.\', \'..\' or \'//\'.';
    }
  }
  return list as string[];
}

/** `--monitor=CPU/MEMORY/SECONDS/COUNT`, `-` for a threshold not set: the sampled triggers' settings in one element. */
function monitorToArg(m: CaptureMonitor): string {
  return [m.cpuPercent ?? '-', m.memoryMb ?? '-', m.seconds, m.count].join('/');
}

function parseMonitorArg(text: string): CaptureMonitor | string {
  const parts = text.split('/');
  if (parts.length !== 4) return '--monitor must be CPU/MEMORY/SECONDS/COUNT (a - for a threshold not set).';
  const field = (flag: string, part: string, max: number): number | null | string => (part === '-' ? null : parseInteger(flag, part, 1, max));
  const cpuPercent = field('--monitor CPU', parts[0]!, 100_000);
  if (typeof cpuPercent === 'string') return cpuPercent;
  const memoryMb = field('--monitor MEMORY', parts[1]!, Number.MAX_SAFE_INTEGER);
  if (typeof memoryMb === 'string') return memoryMb;
  const seconds = parseInteger('--monitor SECONDS', parts[2]!, 1, 86_400);
  if (typeof seconds === 'string') return seconds;
  const count = parseInteger('--monitor COUNT', parts[3]!, 1, 1_000_000);
  if (typeof count === 'string') return count;
  return { cpuPercent, memoryMb, seconds, count };
}
