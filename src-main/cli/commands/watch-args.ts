/*
 * The argument parser of `procscope watch`: argv in, a CaptureRule (without its target, whose start time the command
 * reads once it knows the pid) plus the CLI's own options out. Pure and synchronous: it touches no process and no
 * file, so bad input is refused before anything is held. It accepts ProcDump's spellings where the meaning is the
 * same (-ma, -mm, -t, -e, -c, -m, -n, -s, -w, -x) and answers everything else with one CliUsageError sentence.
 */
import { availableParallelism } from 'node:os';
import { isAbsolute } from 'node:path';
import { DEFAULT_HOLD_TIMEOUT_MS, MAX_EXEC_PATHS, type CaptureMonitor, type CaptureRule, type CaptureTrigger } from '../../../src-shared/model/capture';
import type { DumpKind } from '../../../src-shared/model/dump';
import { compileLinearRegex } from '../../capture/capture-pattern';
import { CliUsageError } from '../cli-command';

/** Where the watched process comes from: a pid, the first process whose name matches (ProcDump -w), or a launch. */
export type WatchSource =
  | { kind: 'pid'; pid: number }
  | { kind: 'wait'; nameGlob: string }
  | { kind: 'launch'; argv: string[] };

export interface WatchArgs {
  source: WatchSource;
  rule: Omit<CaptureRule, 'target'>;
  json: boolean;
  /** The sampled triggers as given (also in rule.monitor and rule.triggers), so the command can refuse them by name where no engine samples. */
  cpuPercent: number | null;
  memoryMb: number | null;
  /** -s with --cpu / --memory: seconds the threshold must hold (ProcDump's default is 10). */
  thresholdSeconds: number | null;
  /** -n / -s without a trigger: N dumps S seconds apart of the process itself (hang analysis). */
  series: { count: number; intervalSeconds: number } | null;
}

/** Limits of the numbers we accept, so an accepted rule is always in range (the fuzz test checks these). */
export const WATCH_LIMITS = {
  maxDumps: 10_000,
  /** An hour: a held child's parent blocks in waitpid / WaitForSingleObject for as long. */
  holdTimeoutS: 3_600,
  /** Below setTimeout's 2^31-1 ms ceiling (24.8 days), beyond which a timer fires at once. */
  timeoutS: 2_000_000,
  thresholdSeconds: 86_400,
  memoryMb: 16 * 1024 * 1024,
  textLength: 1_000,
  /** A file name's limit on both OSes. */
  nameLength: 255,
} as const;

/** ProcDump's -s default: a threshold must hold for 10 consecutive seconds, and a series is 10 s apart. */
const PROCDUMP_DEFAULT_SECONDS = 10;

const TRIGGERS: readonly CaptureTrigger[] = ['start', 'exit', 'crash'];

/** Options that take a value, by every spelling, with what the value is (for "--name needs a glob."). */
const VALUE_OPTIONS: Readonly<Record<string, { key: ValueKey; what: string }>> = {
  '--name': { key: 'name', what: 'an image-name glob' },
  '--cmdline': { key: 'cmdline', what: 'a regular expression' },
  '--on': { key: 'on', what: 'a trigger: start, exit or crash' },
  '--cpu': { key: 'cpu', what: 'a CPU percentage' },
  '-c': { key: 'cpu', what: 'a CPU percentage' },
  '--memory': { key: 'memory', what: 'a size in MB' },
  '-m': { key: 'memory', what: 'a size in MB' },
  '-n': { key: 'count', what: 'a number of dumps' },
  '-s': { key: 'seconds', what: 'a number of seconds' },
  '--out': { key: 'out', what: 'an absolute folder' },
  '--hold-timeout': { key: 'holdTimeout', what: 'a number of seconds' },
  '--timeout': { key: 'timeout', what: 'a number of seconds' },
  '--wait': { key: 'wait', what: 'a process name (a glob)' },
  '-w': { key: 'wait', what: 'a process name (a glob)' },
  '--exec': { key: 'exec', what: 'the absolute path of a binary' },
};
type ValueKey = 'name' | 'cmdline' | 'on' | 'cpu' | 'memory' | 'count' | 'seconds' | 'out' | 'holdTimeout' | 'timeout' | 'wait' | 'exec';

const FLAG_OPTIONS = new Set(['--children', '--exit-code-nonzero', '--full', '-ma', '--mini', '-mm', '--json', '-t', '-e', '--launch', '-x']);

function isOption(token: string): boolean {
  return token in VALUE_OPTIONS || FLAG_OPTIONS.has(token) || (token.startsWith('--') && token.includes('='));
}

function checkText(option: string, value: string, what: string, max: number = WATCH_LIMITS.textLength): string {
  if (value === '') throw new CliUsageError(`${option} needs ${what}.`);
  if (value.includes('\0')) throw new CliUsageError(`${option} cannot contain a NUL character.`);
  if (value.length > max) throw new CliUsageError(`${option} is longer than ${max} characters.`);
  return value;
}

function wholeNumber(option: string, value: string, min: number, max: number, what: string): number {
  const n = /^\d{1,12}$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) throw new CliUsageError(`${option} takes ${what}: a whole number from ${min} to ${max} (got '${value.slice(0, 40)}').`);
  return n;
}

/** Seconds as a decimal (0.5 is fine), returned in whole milliseconds, at least 1. */
function secondsToMs(option: string, value: string, maxS: number): number {
  const s = /^\d{1,9}(\.\d{1,3})?$/.test(value) ? Number(value) : NaN;
  if (!(s > 0 && s <= maxS)) throw new CliUsageError(`${option} takes seconds: a number above 0 and at most ${maxS} (got '${value.slice(0, 40)}').`);
  return Math.max(1, Math.round(s * 1000));
}

function parsePid(token: string): number {
  if (!/^\d{1,10}$/.test(token) || Number(token) <= 0 || Number(token) > 2 ** 31 - 1) {
    throw new CliUsageError(`'${token.slice(0, 40)}' is not a process id (a positive whole number).`);
  }
  return Number(token);
}

/**
 * Parses `procscope watch` arguments. `cwd` is the default --out folder (absolute). Everything after --launch (an
 * optional `--` first) or after `-x DIR` is the command to launch, so the watch's own options come before it.
 */
export function parseWatchArgs(args: readonly string[], cwd: string, cores: number = availableParallelism()): WatchArgs {
  const values: Partial<Record<Exclude<ValueKey, 'on' | 'exec'>, { option: string; value: string }>> = {};
  const triggers: CaptureTrigger[] = [];
  // --exec may be given several times: fanotify exec mode's binaries (Linux).
  const execPaths: string[] = [];
  let children = false;
  let exitNonZeroOnly = false;
  let kind: { option: string; kind: DumpKind } | null = null;
  let json = false;
  let pid: number | null = null;
  let launch: { option: string; argv: string[] } | null = null;

  for (let i = 0; i < args.length; i++) {
    let token = args[i]!;
    let inlineValue: string | null = null;
    if (token.startsWith('--') && token.includes('=')) {
      inlineValue = token.slice(token.indexOf('=') + 1);
      token = token.slice(0, token.indexOf('='));
      if (!(token in VALUE_OPTIONS)) throw new CliUsageError(`unknown option '${token.slice(0, 40)}' (or it takes no value).`);
    }
    const valued = VALUE_OPTIONS[token];
    if (valued) {
      const value = inlineValue ?? args[++i];
      if (value === undefined || (inlineValue === null && isOption(value))) {
        throw new CliUsageError(`${token} needs ${valued.what}.`);
      }
      if (valued.key === 'on') {
        for (const part of value.split(',')) {
          const t = part.trim() as CaptureTrigger;
          if (!TRIGGERS.includes(t)) throw new CliUsageError(`--on takes start, exit or crash (got '${part.slice(0, 40)}').`);
          if (!triggers.includes(t)) triggers.push(t);
        }
        continue;
      }
      if (valued.key === 'exec') {
        const path = checkText('--exec', value, valued.what, 4096);
        if (!isAbsolute(path)) throw new CliUsageError(`--exec needs the absolute path of a binary (got '${path.slice(0, 40)}'): the watch may mark it from another process and folder.`);
        if (execPaths.includes(path)) throw new CliUsageError(`--exec names ${path.slice(0, 80)} twice.`);
        execPaths.push(path);
        if (execPaths.length > MAX_EXEC_PATHS) throw new CliUsageError(`--exec is given more than ${MAX_EXEC_PATHS} times.`);
        continue;
      }
      const earlier = values[valued.key];
      if (earlier) throw new CliUsageError(`${token} given twice${earlier.option !== token ? ` (also as ${earlier.option})` : ''}.`);
      values[valued.key] = { option: token, value };
      continue;
    }
    switch (token) {
      case '--children':
        children = true;
        break;
      case '--exit-code-nonzero':
        exitNonZeroOnly = true;
        break;
      case '--json':
        json = true;
        break;
      case '-t':
        if (!triggers.includes('exit')) triggers.push('exit');
        break;
      case '-e':
        if (args[i + 1] === '1') {
          throw new CliUsageError(
            "ProcDump's '-e 1' (every first-chance exception) is not taken: -e (--on crash) already dumps on the fatal first-chance codes; give -e alone (to watch pid 1, put the pid first).",
          );
        }
        if (!triggers.includes('crash')) triggers.push('crash');
        break;
      case '--full':
      case '-ma':
      case '--mini':
      case '-mm': {
        const k: DumpKind = token === '--full' || token === '-ma' ? 'full' : 'mini';
        if (kind && kind.kind !== k) throw new CliUsageError('choose one of --full (-ma) and --mini (-mm).');
        kind = { option: token, kind: k };
        break;
      }
      case '--launch':
      case '-x': {
        let rest = args.slice(i + 1);
        if (token === '-x') {
          // ProcDump: -x <Dump_Folder> <Image_File> [Argument, ...]
          const folder = rest[0];
          if (folder === undefined || folder === '') throw new CliUsageError('-x needs a dump folder, then the command to launch.');
          if (values.out) throw new CliUsageError(`-x names the dump folder, so ${values.out.option} cannot be given too.`);
          values.out = { option: '-x', value: folder };
          rest = rest.slice(1);
        } else if (rest[0] === '--') {
          rest = rest.slice(1);
        }
        if (rest.length === 0 || rest[0] === '') throw new CliUsageError(`${token} needs the command to launch${token === '--launch' ? ' (--launch -- CMD ARGS…)' : ''}.`);
        for (const a of rest) {
          if (a.includes('\0')) throw new CliUsageError('the command to launch cannot contain a NUL character.');
        }
        launch = { option: token, argv: rest };
        i = args.length;
        break;
      }
      default:
        if (token.startsWith('-')) throw new CliUsageError(`unknown option '${token.slice(0, 40)}'.`);
        if (pid !== null) throw new CliUsageError(`one pid only (got '${pid}' and '${token.slice(0, 40)}').`);
        pid = parsePid(token);
    }
  }

  const source = pickSource(pid, values.wait, launch);

  const name = values.name ? checkText('--name', values.name.value, 'an image-name glob', WATCH_LIMITS.nameLength) : null;
  const cmdline = values.cmdline ? checkText('--cmdline', values.cmdline.value, 'a regular expression') : null;
  if (cmdline !== null) {
    const compiled = compileLinearRegex(cmdline);
    if (typeof compiled === 'string') throw new CliUsageError(`--cmdline '${cmdline.slice(0, 40)}' ${compiled}.`);
  }
  if ((name !== null || cmdline !== null) && !children) {
    throw new CliUsageError(`${name !== null ? '--name' : '--cmdline'} chooses among the watched process's descendants: add --children.`);
  }
  if (execPaths.length > 0 && !children) {
    throw new CliUsageError('--exec holds the descendants that exec the named binaries, never the watched process itself: add --children.');
  }
  if (execPaths.length > 0 && launch) {
    throw new CliUsageError('--exec watches the children of a process that is already running: start the program, then watch its pid (or --wait NAME) with --children --exec.');
  }
  if (exitNonZeroOnly && !triggers.includes('exit')) {
    throw new CliUsageError('--exit-code-nonzero filters exit dumps: add --on exit (or -t).');
  }

  let outDir = cwd;
  if (values.out) {
    const out = checkText(values.out.option, values.out.value, 'an absolute folder');
    if (!isAbsolute(out)) {
      throw new CliUsageError(`${values.out.option} needs an absolute folder (got '${out.slice(0, 40)}'): the watch may write from another process and folder.`);
    }
    outDir = out;
  }

  // ProcDump for Linux: % of one core, at most 100 × the cores (MAXIMUM_CPU); more could never be reached.
  const cpuPercent = values.cpu ? wholeNumber(values.cpu.option, values.cpu.value, 1, 100 * Math.max(1, cores), 'a CPU percentage of one core (100 per busy core)') : null;
  const memoryMb = values.memory ? wholeNumber(values.memory.option, values.memory.value, 1, WATCH_LIMITS.memoryMb, 'a size in MB') : null;
  const count = values.count ? wholeNumber('-n', values.count.value, 1, WATCH_LIMITS.maxDumps, 'a number of dumps') : null;
  const seconds = values.seconds ? wholeNumber('-s', values.seconds.value, 1, WATCH_LIMITS.thresholdSeconds, 'a number of seconds') : null;
  const threshold = cpuPercent !== null || memoryMb !== null;

  let series: WatchArgs['series'] = null;
  if (triggers.length === 0 && !threshold) {
    if (count === null && seconds === null) {
      throw new CliUsageError('nothing to dump on: give --on start, exit or crash (-t, -e), --cpu / --memory, or -n N -s S for a series.');
    }
    series = { count: count ?? 1, intervalSeconds: seconds ?? PROCDUMP_DEFAULT_SECONDS };
  } else if (seconds !== null && !threshold) {
    throw new CliUsageError('-s counts the seconds a --cpu or --memory threshold must hold, or between the dumps of a series (-n without --on); it means nothing with --on alone.');
  }
  if (series && children) throw new CliUsageError('a series (-n / -s without a trigger) dumps the watched process itself: drop --children.');

  const thresholdSeconds = threshold ? (seconds ?? PROCDUMP_DEFAULT_SECONDS) : null;
  let monitor: CaptureMonitor | null = null;
  if (series) monitor = { cpuPercent: null, memoryMb: null, seconds: series.intervalSeconds, count: series.count };
  else if (threshold) monitor = { cpuPercent, memoryMb, seconds: thresholdSeconds!, count: count ?? 1 };
  // ProcDump ends after -n dumps (default 1): so does a watch of one process on thresholds alone.
  const onlySampled = triggers.length === 0 && !children;
  if (cpuPercent !== null) triggers.push('cpu');
  if (memoryMb !== null) triggers.push('memory');
  if (series) triggers.push('series');

  const holdTimeoutMs = values.holdTimeout
    ? secondsToMs('--hold-timeout', values.holdTimeout.value, WATCH_LIMITS.holdTimeoutS)
    : DEFAULT_HOLD_TIMEOUT_MS;
  const timeoutMs = values.timeout ? secondsToMs('--timeout', values.timeout.value, WATCH_LIMITS.timeoutS) : null;

  return {
    source,
    rule: {
      scope: children ? 'descendants' : 'self',
      nameGlob: name,
      cmdlineRegex: cmdline,
      triggers,
      exitNonZeroOnly,
      // ProcDump's default is a mini dump (-mm); `procscope dump` defaults to full, a watch that may fire hundreds
      // of times does not.
      kind: kind?.kind ?? 'mini',
      outDir,
      holdTimeoutMs,
      maxDumps: series ? series.count : threshold && onlySampled ? (count ?? 1) : count,
      timeoutMs,
      ...(monitor ? { monitor } : {}),
      ...(execPaths.length > 0 ? { execPaths } : {}),
    },
    json,
    cpuPercent,
    memoryMb,
    thresholdSeconds,
    series,
  };
}

function pickSource(
  pid: number | null,
  wait: { option: string; value: string } | undefined,
  launch: { option: string; argv: string[] } | null,
): WatchSource {
  const given = [pid !== null ? 'a pid' : null, wait ? wait.option : null, launch ? launch.option : null].filter((g) => g !== null);
  if (given.length > 1) throw new CliUsageError(`give one of a pid, --wait NAME and --launch CMD (got ${given.join(' and ')}).`);
  if (pid !== null) return { kind: 'pid', pid };
  if (wait) {
    const glob = checkText(wait.option, wait.value, 'a process name (a glob)', WATCH_LIMITS.nameLength);
    // An image name never holds a path separator: '/opt/app/Calamari' would wait forever.
    if (/[/\\]/.test(glob)) {
      const file = glob.replace(/\\/g, '/').split('/').pop() || 'Calamari';
      throw new CliUsageError(`${wait.option} takes a process name, not a path (got '${glob.slice(0, 80)}'): give the file name only, such as '${file.slice(0, 80)}'.`);
    }
    if (/^\d+$/.test(glob)) {
      throw new CliUsageError(`${wait.option} waits for a process by name; to watch process ${glob.slice(0, 12)}, give its pid without ${wait.option}.`);
    }
    return { kind: 'wait', nameGlob: glob };
  }
  if (launch) return { kind: 'launch', argv: launch.argv };
  throw new CliUsageError('which process? Give its pid, --wait NAME or --launch -- CMD ARGS.');
}
