/*
 * Checks a CaptureRule from any caller (CLI, host, helper: none is trusted) and answers which processes it
 * matches. OS-independent, so every capture engine applies the same rule the same way. Bad input gets a
 * 'bad-request' DumpError with a sentence, never a crash.
 */
import { statSync } from 'node:fs';
import { isAbsolute, posix } from 'node:path';
import { MAX_EXEC_PATHS, type CaptureRule, type CaptureTrigger } from '../../src-shared/model/capture';
import { DumpError } from '../dump/dump-writer';
import { compileLinearRegex, compileNameGlob, type TextMatcher } from './capture-pattern';

export interface CompiledRule {
  rule: CaptureRule;
  name: TextMatcher | null;
  cmdline: TextMatcher | null;
}

/**
 * How much of a command line the regular expression sees: Windows caps a command line at 32,767 characters, Linux
 * at ARG_MAX (2 MiB and more). Linear time is still time — a 1,000-character pattern costs ~0.3 s on 16 KiB here —
 * and the tracer matches while a process may be held, so the match reads the first 16 KiB only.
 */
export const MATCHED_CMDLINE_CHARS = 16 * 1024;

function bad(why: string): never {
  throw new DumpError('bad-request', `Invalid capture rule: ${why}.`);
}

const ALL_TRIGGERS: readonly CaptureTrigger[] = ['start', 'exit', 'crash', 'cpu', 'memory', 'series'];
/** Bounds of the sampled triggers: 100 000 % is a thousand busy cores; a day between samples that count. */
export const MONITOR_LIMITS = { cpuPercent: 100_000, memoryMb: 16 * 1024 * 1024, seconds: 86_400, count: 10_000 } as const;

/**
 * The sampled triggers and `monitor` must agree: 'cpu' exactly when a CPU threshold is set, 'memory' exactly when a
 * memory threshold is, 'series' exactly when a monitor has neither (ProcDump: -n/-s alone is a series), never both.
 */
function checkMonitor(rule: CaptureRule): void {
  const m = rule.monitor ?? null;
  const has = (t: CaptureTrigger): boolean => rule.triggers.includes(t);
  if (m === null) {
    const sampled = rule.triggers.find((t) => t === 'cpu' || t === 'memory' || t === 'series');
    if (sampled) bad(`the ${sampled} trigger needs monitor settings`);
    return;
  }
  if (typeof m !== 'object') bad('monitor must be an object or null');
  const optionalInt = (v: unknown, max: number): boolean => v === null || (Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= max);
  if (!optionalInt(m.cpuPercent, MONITOR_LIMITS.cpuPercent)) bad(`monitor.cpuPercent must be 1-${MONITOR_LIMITS.cpuPercent} or null`);
  if (!optionalInt(m.memoryMb, MONITOR_LIMITS.memoryMb)) bad(`monitor.memoryMb must be 1-${MONITOR_LIMITS.memoryMb} or null`);
  if (!Number.isSafeInteger(m.seconds) || m.seconds < 1 || m.seconds > MONITOR_LIMITS.seconds) bad(`monitor.seconds must be 1-${MONITOR_LIMITS.seconds}`);
  if (!Number.isSafeInteger(m.count) || m.count < 1 || m.count > MONITOR_LIMITS.count) bad(`monitor.count must be 1-${MONITOR_LIMITS.count}`);
  if (has('cpu') !== (m.cpuPercent !== null)) bad('the cpu trigger and monitor.cpuPercent go together');
  if (has('memory') !== (m.memoryMb !== null)) bad('the memory trigger and monitor.memoryMb go together');
  if (has('series') !== (m.cpuPercent === null && m.memoryMb === null)) bad('the series trigger is a monitor without thresholds');
}

export function compileCaptureRule(rule: CaptureRule, platform: NodeJS.Platform = process.platform): CompiledRule {
  if (typeof rule !== 'object' || rule === null) bad('not an object');
  const t = rule.target as CaptureRule['target'] | undefined;
  if (typeof t !== 'object' || t === null || !Number.isSafeInteger(t.pid) || t.pid <= 0) bad('target.pid must be a positive integer');
  if (typeof t.startTimeMs !== 'number' || !Number.isFinite(t.startTimeMs)) bad('target.startTimeMs must be a number');
  if (!['self', 'descendants', 'self-and-descendants'].includes(rule.scope)) bad("scope must be 'self', 'descendants' or 'self-and-descendants'");
  if (!Array.isArray(rule.triggers) || rule.triggers.length === 0) bad('triggers must list at least one of start, exit, crash, cpu, memory, series');
  for (const tr of rule.triggers) if (!ALL_TRIGGERS.includes(tr)) bad(`unknown trigger ${JSON.stringify(tr)}`);
  if (new Set(rule.triggers).size !== rule.triggers.length) bad('triggers names a trigger twice');
  checkMonitor(rule);
  if (typeof rule.exitNonZeroOnly !== 'boolean') bad('exitNonZeroOnly must be true or false');
  if (rule.kind !== 'full' && rule.kind !== 'mini') bad("kind must be 'full' or 'mini'");
  if (typeof rule.outDir !== 'string' || !isAbsolute(rule.outDir) || rule.outDir.includes('\0')) bad('outDir must be an absolute path');
  let isDir: boolean;
  try {
    isDir = statSync(rule.outDir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) bad(`the folder ${rule.outDir} does not exist`);
  if (!Number.isSafeInteger(rule.holdTimeoutMs) || rule.holdTimeoutMs < 1 || rule.holdTimeoutMs > 3_600_000) bad('holdTimeoutMs must be 1 ms to 1 hour');
  if (rule.maxDumps !== null && (!Number.isSafeInteger(rule.maxDumps) || rule.maxDumps < 1)) bad('maxDumps must be a positive integer or null');
  if (rule.timeoutMs !== null && (!Number.isSafeInteger(rule.timeoutMs) || rule.timeoutMs < 1)) bad('timeoutMs must be a positive integer or null');
  let name: TextMatcher | null = null;
  if (rule.nameGlob !== null) {
    if (typeof rule.nameGlob !== 'string' || rule.nameGlob.length === 0 || rule.nameGlob.length > 255) bad('nameGlob must be 1-255 characters or null');
    name = compileNameGlob(rule.nameGlob);
  }
  let cmdline: TextMatcher | null = null;
  if (rule.cmdlineRegex !== null) {
    if (typeof rule.cmdlineRegex !== 'string' || rule.cmdlineRegex.length > 1000) bad('cmdlineRegex must be a string of at most 1000 characters or null');
    const compiled = compileLinearRegex(rule.cmdlineRegex);
    if (typeof compiled === 'string') bad(`cmdlineRegex ${compiled}`);
    cmdline = compiled;
  }
  checkExecPaths(rule, platform);
  return { rule, name, cmdline };
}

/**
 * fanotify exec mode's binaries: absolute, normalised paths (no '.', '..' or '//', which mean nothing to check but
 * may mean something else to the process that marks them), none under /proc (/proc/self/exe names the watcher's own
 * executable there), each a regular file now. The engine opens each one once and checks the file it got again.
 */
function checkExecPaths(rule: CaptureRule, platform: NodeJS.Platform): void {
  const paths = rule.execPaths;
  if (paths === undefined) return;
  if (platform !== 'linux') {
    throw new DumpError(
      'unsupported',
      'Watching execs of named binaries (--exec, fanotify) is Linux only: on Windows the job object already sees every descendant without debugging the watched process.',
    );
  }
  if (!Array.isArray(paths) || paths.length === 0 || paths.length > MAX_EXEC_PATHS) bad(`execPaths must list 1 to ${MAX_EXEC_PATHS} binaries`);
  if (rule.scope !== 'descendants') bad("execPaths watches descendants only (scope 'descendants'): the watched process itself is not traced in this mode");
  for (const p of paths) {
    if (typeof p !== 'string' || p.length === 0 || p.length > 4096 || p.includes('\0')) bad('each execPaths entry must be a path of 1-4096 characters');
    if (!p.startsWith('/')) bad(`execPaths entry ${JSON.stringify(p.slice(0, 80))} is not an absolute path`);
    if (posix.normalize(p) !== p || (p.length > 1 && p.endsWith('/'))) bad(`execPaths entry ${JSON.stringify(p.slice(0, 80))} is not a plain absolute path (no '.', '..' or '//')`);
    if (p === '/proc' || p.startsWith('/proc/')) bad(`execPaths entry ${p.slice(0, 80)} is under /proc, which names other files in the process that watches: give the binary's own path`);
    let isFile: boolean;
    try {
      isFile = statSync(p).isFile();
    } catch {
      bad(`the binary ${p.slice(0, 200)} does not exist`);
    }
    if (!isFile) bad(`${p.slice(0, 200)} is not a regular file (a binary to exec)`);
  }
  if (new Set(paths).size !== paths.length) bad('execPaths names a binary twice');
}

/** Does the process (the target itself or a descendant) fall under the rule? `names`: its comm and exe basename. */
export function ruleMatches(c: CompiledRule, isTarget: boolean, names: string[], cmdline: string): boolean {
  const scope = c.rule.scope;
  if (isTarget ? scope === 'descendants' : scope === 'self') return false;
  if (c.name && !names.some((n) => c.name!.test(n))) return false;
  if (c.cmdline && !c.cmdline.test(cmdline.slice(0, MATCHED_CMDLINE_CHARS))) return false;
  return true;
}
