/*
 * The pure decisions of the Windows capture engine, tested on any OS: which processes a rule matches (image-name
 * glob, command-line regex, scope), which trigger fires on which debug event, and the checks a rule must pass
 * before anything is held. Windows image names compare case-insensitively, as the file system does, and a glob
 * without an extension also matches the `.exe` name ("hostname" matches hostname.exe).
 */
import type { CaptureRule, CaptureTrigger } from '../../../src-shared/model/capture';
import { DumpError } from '../../dump/dump-writer';

/** A `*` / `?` glob as an anchored, case-insensitive regular expression; every other character is literal. */
export function globToRegExp(glob: string): RegExp {
  const body = [...glob].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 'i');
}

export interface CompiledMatch {
  matches(name: string, cmdline: string): boolean;
}

export function compileMatch(rule: Pick<CaptureRule, 'nameGlob' | 'cmdlineRegex'>): CompiledMatch {
  const glob = rule.nameGlob === null ? null : globToRegExp(rule.nameGlob);
  const cmd = rule.cmdlineRegex === null ? null : new RegExp(rule.cmdlineRegex);
  return {
    matches(name, cmdline) {
      if (glob && !glob.test(name) && !glob.test(name.replace(/\.exe$/i, ''))) return false;
      return !cmd || cmd.test(cmdline);
    },
  };
}

/** Whether a process of the watched tree is in the rule's scope (the target itself, or one of its descendants). */
export function inScope(scope: CaptureRule['scope'], isTarget: boolean): boolean {
  if (isTarget) return scope !== 'descendants';
  return scope !== 'self';
}

/** The trigger a debug event fires for this rule, or null. Start dumps are skipped for processes that ran before the watch. */
export function triggerFor(
  rule: Pick<CaptureRule, 'triggers' | 'exitNonZeroOnly'>,
  event: { kind: 'create'; bornUnderWatch: boolean } | { kind: 'crash' } | { kind: 'exit'; exitCode: number },
): CaptureTrigger | null {
  const want = (t: CaptureTrigger): CaptureTrigger | null => (rule.triggers.includes(t) ? t : null);
  switch (event.kind) {
    case 'create':
      return event.bornUnderWatch ? want('start') : null;
    case 'crash':
      return want('crash');
    case 'exit':
      return rule.exitNonZeroOnly && event.exitCode === 0 ? null : want('exit');
  }
}

const MAX_HOLD_TIMEOUT_MS = 24 * 3600_000;

function bad(message: string): DumpError {
  return new DumpError('bad-request', message);
}

/** Refuses a rule that cannot run, with a sentence that says what to change. Windows paths: `win32.isAbsolute`. */
export function validateCaptureRule(rule: CaptureRule, isAbsolute: (p: string) => boolean): void {
  if (typeof rule !== 'object' || rule === null) throw bad('A capture rule is required.');
  const { target } = rule;
  if (!target || !Number.isSafeInteger(target.pid) || target.pid <= 4) throw bad(`${String(target?.pid)} is not a process id that can be watched.`);
  if (typeof target.startTimeMs !== 'number' || !Number.isFinite(target.startTimeMs)) throw bad('The watched process needs its start time (to refuse a reused pid).');
  if (!['self', 'descendants', 'self-and-descendants'].includes(rule.scope)) throw bad(`Unknown scope ${JSON.stringify(rule.scope)}: use self, descendants or self-and-descendants.`);
  if (!Array.isArray(rule.triggers) || rule.triggers.length === 0) throw bad('Choose at least one trigger: start, exit or crash.');
  for (const t of rule.triggers) if (t !== 'start' && t !== 'exit' && t !== 'crash') throw bad(`Unknown trigger ${JSON.stringify(t)}: use start, exit or crash.`);
  if (rule.kind !== 'full' && rule.kind !== 'mini') throw bad(`Unknown dump kind ${JSON.stringify(rule.kind)}: use full or mini.`);
  if (typeof rule.outDir !== 'string' || !isAbsolute(rule.outDir)) throw bad(`The dump folder must be an absolute path, not ${JSON.stringify(rule.outDir)}.`);
  if (rule.nameGlob !== null && (typeof rule.nameGlob !== 'string' || rule.nameGlob.length === 0 || rule.nameGlob.length > 260)) {
    throw bad('The name filter must be a glob of 1 to 260 characters, or none.');
  }
  if (rule.cmdlineRegex !== null) {
    if (typeof rule.cmdlineRegex !== 'string' || rule.cmdlineRegex.length > 1000) throw bad('The command-line filter must be a regular expression of up to 1000 characters, or none.');
    try {
      new RegExp(rule.cmdlineRegex);
    } catch (err) {
      throw bad(`The command-line filter is not a valid regular expression: ${(err as Error).message}.`);
    }
  }
  if (!Number.isFinite(rule.holdTimeoutMs) || rule.holdTimeoutMs < 100 || rule.holdTimeoutMs > MAX_HOLD_TIMEOUT_MS) {
    throw bad('The hold deadline must be between 0.1 s and 24 h.');
  }
  if (rule.maxDumps !== null && (!Number.isSafeInteger(rule.maxDumps) || rule.maxDumps < 1)) throw bad('The dump limit must be a whole number of at least 1, or none.');
  if (rule.timeoutMs !== null && (!Number.isFinite(rule.timeoutMs) || rule.timeoutMs <= 0)) throw bad('The watch timeout must be a positive number of milliseconds, or none.');
}

/**
 * Every process below `rootPid` in one process-list snapshot, children before grandchildren. A child must have been
 * created after its parent: a recycled pid whose "parent" is older than it is not adopted (and no loop can form).
 */
export function descendantPids(records: readonly { pid: number; ppid: number; createTimeMs: number }[], rootPid: number): number[] {
  const byPid = new Map(records.map((r) => [r.pid, r]));
  const children = new Map<number, number[]>();
  for (const r of records) {
    const parent = byPid.get(r.ppid);
    if (r.pid === r.ppid || !parent || (parent.createTimeMs > r.createTimeMs && r.createTimeMs !== 0)) continue;
    const list = children.get(r.ppid) ?? [];
    list.push(r.pid);
    children.set(r.ppid, list);
  }
  const out: number[] = [];
  const seen = new Set([rootPid]);
  for (let queue = [rootPid]; queue.length; ) {
    const next: number[] = [];
    for (const pid of queue) {
      for (const c of children.get(pid) ?? []) {
        if (seen.has(c)) continue;
        seen.add(c);
        out.push(c);
        next.push(c);
      }
    }
    queue = next;
  }
  return out;
}
