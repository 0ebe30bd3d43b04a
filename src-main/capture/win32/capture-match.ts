/*
 * The pure decisions of the Windows capture engine, tested on any OS: the names an image answers the rule's glob by
 * (the rule itself is checked and matched by capture-rule.ts, as on Linux), scope, which trigger fires on which
 * debug event, and the existing descendants of the watched process in a process-list snapshot.
 */
import type { CaptureRule, CaptureTrigger } from '../../../src-shared/model/capture';

/** The names a Windows image answers a name glob by: `hostname.exe` also as `hostname`, as Linux's comm would be. */
export function windowsImageNames(name: string): string[] {
  const bare = name.replace(/\.exe$/i, '');
  return bare === name ? [name] : [name, bare];
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
