/*
 * The weighted summary of a report (ANALYSIS.md §2, §7.5): a deadlock cycle and a crash are errors; threads that
 * block others, spin, wait on the network or show a message box are warnings; idle waits, sleeps and joins are
 * info, grouped into one finding each. Weights order them: errors ≥ 100, a thread blocking others ×10. Pure.
 */
import type {
  ReportDotnet, ReportFinding, ReportLock, ReportThread, ThreadState,
} from '../../../src-shared/model/analysis-report';
import type { LockAnalysis } from './lock-analysis';

const label = (t: ReportThread): string => (t.name ? `${t.tid} (${t.name})` : `${t.tid}`);
const list = (ts: readonly ReportThread[]): string => ts.map(label).join(', ');

interface GroupRule {
  states: ThreadState[];
  kind: ReportFinding['kind'];
  title: (n: number) => string;
  recommendation: string;
}

const GROUPS: readonly GroupRule[] = [
  { states: ['message-box'], kind: 'message-box', title: (n) => `${n} thread(s) showing a message box`, recommendation: 'Nobody may be there to click it (a service has no desktop): find what raised it in the frames, and log instead of showing UI.' },
  { states: ['loading-library'], kind: 'loader-lock', title: (n) => `${n} thread(s) loading a library`, recommendation: 'A library load holds the loader lock: if other threads wait for it, look at the DllMain of the module being loaded.' },
  { states: ['socket-wait'], kind: 'network-wait', title: (n) => `${n} thread(s) waiting on the network`, recommendation: 'Check that the remote end answers and that the calls have timeouts.' },
  { states: ['io-wait'], kind: 'io-wait', title: (n) => `${n} thread(s) blocked reading`, recommendation: 'Check what should write to these descriptors (a pipe whose writer is gone or stuck, a device); reading standard input is normal for a console program.' },
  { states: ['child-wait'], kind: 'child-wait', title: (n) => `${n} thread(s) waiting for a child process`, recommendation: 'Look at the child process: it may be the one that hangs.' },
  { states: ['join-wait'], kind: 'join-wait', title: (n) => `${n} thread(s) waiting for another thread to end`, recommendation: 'Look at the joined thread: if it never ends, neither does the join.' },
  { states: ['sleeping'], kind: 'sleeping', title: (n) => `${n} thread(s) sleeping`, recommendation: 'Sleeping threads are usually harmless; a sleep in a retry loop can explain slowness.' },
  { states: ['idle-poll', 'idle-pool', 'condvar-wait', 'ui-loop'], kind: 'idle', title: (n) => `${n} idle thread(s) waiting for work`, recommendation: 'Idle waits are normal.' },
];

export function buildFindings(threads: readonly ReportThread[], locks: LockAnalysis, reportLocks: readonly ReportLock[], dotnet: ReportDotnet): ReportFinding[] {
  const byTid = new Map(threads.map((t) => [t.tid, t]));
  const findings: ReportFinding[] = [];
  for (const d of locks.deadlocks) {
    const ts = d.tids.map((tid) => byTid.get(tid)!);
    const steps = d.tids.map((tid, i) => `thread ${label(byTid.get(tid)!)} waits for the lock at 0x${d.addresses[i]!.toString(16)} held by thread ${d.tids[(i + 1) % d.tids.length]}`);
    findings.push({
      kind: 'deadlock', severity: 'error', weight: 1000 + 10 * d.tids.length,
      title: `Deadlock: ${d.tids.length} threads wait for each other`,
      description: `${steps.join('; ')}. None of them can continue.`,
      threads: d.tids,
      recommendation: `Take these locks in one order in every code path (or hold one at a time). The frames of threads ${list(ts)} show where each lock is taken.`,
      confidence: d.addresses.length > 0 && ts.every((t) => t.classification.confidence === 'certain') ? 'certain' : 'likely',
    });
  }
  for (const t of threads.filter((x) => x.classification.state === 'crashed')) {
    findings.push({
      kind: 'crash', severity: 'error', weight: 900, title: `Thread ${label(t)} crashed`,
      description: t.classification.summary, threads: [t.tid],
      recommendation: 'The innermost frames of this thread show where it failed; send the dump and this report to the vendor of that module.',
      confidence: t.classification.confidence,
    });
  }
  const inDeadlock = new Set(locks.deadlocks.flatMap((d) => d.tids));
  for (const l of reportLocks) {
    if (l.ownerTid === null || inDeadlock.has(l.ownerTid)) continue;
    const owner = byTid.get(l.ownerTid);
    findings.push({
      kind: 'lock-contention', severity: 'warning', weight: 10 * (l.waiterTids.length + 1),
      title: `Thread ${owner ? label(owner) : l.ownerTid} holds a ${l.kind === 'mutex' ? 'mutex' : 'critical section'} that ${l.waiterTids.length} thread(s) wait for`,
      description: `Lock ${l.address}: owner ${l.ownerTid}${owner ? ` (${owner.classification.summary})` : ''}; waiting: ${l.waiterTids.join(', ')}.`,
      threads: [l.ownerTid, ...l.waiterTids],
      recommendation: 'Find why the owner does not release the lock: its stack shows what it does while holding it.',
      confidence: l.confidence,
    });
  }
  const unowned = threads.filter((t) => t.classification.state === 'lock-wait' && t.classification.waitsForTid === null);
  if (unowned.length > 0) {
    findings.push({
      kind: 'lock-contention', severity: 'warning', weight: 10 * unowned.length, title: `${unowned.length} thread(s) waiting for a lock whose owner was not determined`,
      description: unowned.map((t) => `${label(t)}: ${t.classification.summary}`).join(' '), threads: unowned.map((t) => t.tid),
      recommendation: 'Take a second dump a few seconds later: threads still waiting on the same lock point at a hang.', confidence: 'likely',
    });
  }
  const busy = threads.filter((t) => t.classification.state === 'busy');
  if (busy.length > 0) {
    findings.push({
      kind: 'busy', severity: 'warning', weight: 20 * busy.length, title: `${busy.length} thread(s) running on the CPU`,
      description: busy.map((t) => `${label(t)}: ${((t.userMs ?? 0) + (t.kernelMs ?? 0)).toFixed(0)} ms CPU, in ${t.frames[0]?.function ?? t.frames[0]?.module ?? 'unknown code'}`).join('; ') + '.',
      threads: busy.map((t) => t.tid),
      recommendation: 'Take a second dump a few seconds later: a thread still in the same code is looping there.', confidence: 'likely',
    });
  }
  for (const g of GROUPS) {
    const ts = threads.filter((t) => g.states.includes(t.classification.state));
    if (ts.length === 0) continue;
    const severity = ts.some((t) => t.classification.severity === 'error') ? 'error' : ts.some((t) => t.classification.severity === 'warning') ? 'warning' : 'info';
    findings.push({
      kind: g.kind, severity, weight: severity === 'error' ? 100 : severity === 'warning' ? 5 * ts.length : 1,
      title: g.title(ts.length), description: ts.map((t) => `${label(t)}: ${t.classification.summary}`).join(' '), threads: ts.map((t) => t.tid),
      recommendation: g.recommendation, confidence: ts.every((t) => t.classification.confidence === 'certain') ? 'certain' : 'likely',
    });
  }
  if (dotnet.detected) {
    findings.push({
      kind: 'dotnet', severity: 'info', weight: 2, title: `.NET runtime loaded (${dotnet.module})`,
      description: 'Managed stacks, locks and exceptions are not read without the runtime\'s DAC; see the .NET section.',
      threads: dotnet.threads.map((t) => t.tid), recommendation: dotnet.nextStep ?? '', confidence: 'certain',
    });
  }
  if (!findings.some((f) => f.severity !== 'info')) {
    findings.push({
      kind: 'no-known-problem', severity: 'info', weight: 0, title: 'No known problem detected',
      description: 'No deadlock, crash, blocked lock, busy thread or blocking wait was found.', threads: [],
      recommendation: 'If the process hung, take two dumps a few seconds apart and compare the threads.', confidence: 'likely',
    });
  }
  return findings.sort((a, b) => b.weight - a.weight);
}
