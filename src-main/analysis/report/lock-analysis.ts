/*
 * Locks and wait chains from an AnalysisInput (ANALYSIS.md §7.5). Linux: futex waits through the futex deadlock
 * finder (a glibc mutex names its owner at word + 8), pthread_join's futex on the joined thread's tid word.
 * Windows: for a thread in RtlEnterCriticalSection, a stack word between its innermost frame and the caller of
 * RtlEnterCriticalSection that points at a plausible RTL_CRITICAL_SECTION (locked, recursion ≥ 1, OwningThread
 * another thread of the dump) — the pointer the wait path spilled — gives the owner, confidence `likely`; when no
 * such word is found the owner is reported as not determined, saying why. Reads memory only for those facts.
 */
import type { ReportLock, ReportWaitChain } from '../../../src-shared/model/analysis-report';
import type { AnalysisInput, AnalysisThread } from '../dump-analysis-input';
import { findFutexDeadlocks } from '../elf/futex-deadlock';
import type { ThreadLockFacts } from './classify-thread';

const hex = (v: bigint): string => `0x${v.toString(16)}`;
const SYS_FUTEX = 202;
const FUTEX_CMD_MASK = 0x7fn;
const CS_ENTER = /^(RtlEnterCriticalSection|RtlpEnterCriticalSectionContended|RtlpWaitOnCriticalSection|EnterCriticalSection)$/;
/** RTL_CRITICAL_SECTION on x64 (winnt.h): DebugInfo 0, LockCount 8, RecursionCount 12, OwningThread 16, LockSemaphore 24, SpinCount 32. */
const CS_BYTES = 40;
const MAX_STACK_WORDS = 512;

export interface LockAnalysis {
  facts: Map<number, ThreadLockFacts>;
  locks: ReportLock[];
  chains: ReportWaitChain[];
  /** Each cycle once, smallest tid first. */
  deadlocks: { tids: number[]; addresses: bigint[] }[];
}

function cycles(edges: ReadonlyMap<number, number>): number[][] {
  const out: number[][] = [];
  const done = new Set<number>();
  for (const start of edges.keys()) {
    const path: number[] = [];
    let at: number | undefined = start;
    while (at !== undefined && !done.has(at) && !path.includes(at)) {
      path.push(at);
      at = edges.get(at);
    }
    if (at !== undefined && path.includes(at)) {
      const cycle = path.slice(path.indexOf(at));
      const first = cycle.indexOf(Math.min(...cycle));
      out.push([...cycle.slice(first), ...cycle.slice(0, first)]);
    }
    for (const p of path) done.add(p);
  }
  return out;
}

async function linuxFacts(input: AnalysisInput, facts: Map<number, ThreadLockFacts>): Promise<{ tids: number[]; addresses: bigint[] }[]> {
  const tids = new Set(input.threads.map((t) => t.tid));
  const inFutex = input.threads.filter((t) => t.syscall?.number === SYS_FUTEX);
  // pthread_join waits on the joined thread's tid word (the kernel clears it at exit): word == val == a tid.
  const joins = new Set<number>();
  for (const t of inFutex) {
    const [addr = 0n, op = 0n, val = 0n] = t.syscall!.args;
    const cmd = op & FUTEX_CMD_MASK;
    if ((cmd !== 0n && cmd !== 9n) || !tids.has(Number(val)) || Number(val) === t.tid) continue;
    const word = await input.readMemory(addr, 4);
    if (word && word.readInt32LE(0) === Number(val)) {
      facts.set(t.tid, { joinsTid: Number(val) });
      joins.add(t.tid);
    }
  }
  const { waits, deadlocks } = await findFutexDeadlocks(
    inFutex.filter((t) => !joins.has(t.tid)).map((t) => ({ tid: t.tid, regs: { orig_rax: BigInt(SYS_FUTEX), rdi: t.syscall!.args[0] ?? 0n, rsi: t.syscall!.args[1] ?? 0n } })),
    (a, n) => input.readMemory(a, n),
  );
  for (const w of waits) {
    if (w.ownerTid !== null) facts.set(w.tid, { lock: { kind: 'mutex', address: w.futexAddress, ownerTid: w.ownerTid } });
  }
  return deadlocks.map((d) => ({ tids: d.tids, addresses: d.futexAddresses }));
}

async function criticalSectionOwner(input: AnalysisInput, t: AnalysisThread, tids: ReadonlySet<number>): Promise<{ address: bigint; ownerTid: number } | null> {
  const enter = t.frames.findIndex((f) => CS_ENTER.test(f.function ?? ''));
  const low = t.frames[0]?.sp;
  const high = t.frames[enter + 1]?.sp ?? (low !== undefined ? low + BigInt(MAX_STACK_WORDS * 8) : undefined);
  if (enter < 0 || low === undefined || high === undefined || high <= low) return null;
  const words = Math.min(MAX_STACK_WORDS, Number((high - low) / 8n));
  const stack = await input.readMemory(low, words * 8);
  if (!stack) return null;
  const seen = new Set<bigint>();
  for (let i = 0; i < words; i++) {
    const p = stack.readBigUInt64LE(i * 8);
    if (p < 0x10000n || p >= 0x8000_0000_0000n || (p & 7n) !== 0n || seen.has(p)) continue;
    seen.add(p);
    const cs = await input.readMemory(p, CS_BYTES);
    if (!cs) continue;
    const lockCount = cs.readInt32LE(8);
    const recursion = cs.readInt32LE(12);
    const owner = cs.readBigUInt64LE(16);
    if (lockCount === -1 || recursion < 1 || recursion > 10_000 || owner > 0xffff_ffffn) continue;
    if (tids.has(Number(owner)) && Number(owner) !== t.tid) return { address: p, ownerTid: Number(owner) };
  }
  return null;
}

async function windowsFacts(input: AnalysisInput, facts: Map<number, ThreadLockFacts>): Promise<{ tids: number[]; addresses: bigint[] }[]> {
  const tids = new Set(input.threads.map((t) => t.tid));
  for (const t of input.threads) {
    if (!t.frames.some((f) => CS_ENTER.test(f.function ?? ''))) continue;
    const found = await criticalSectionOwner(input, t, tids);
    if (found) facts.set(t.tid, { lock: { kind: 'critical-section', address: found.address, ownerTid: found.ownerTid } });
  }
  const edges = new Map([...facts].filter(([, f]) => f.lock?.ownerTid != null).map(([tid, f]) => [tid, f.lock!.ownerTid!]));
  return cycles(edges).map((c) => ({ tids: c, addresses: c.map((tid) => facts.get(tid)!.lock!.address) }));
}

export async function analyseLocks(input: AnalysisInput): Promise<LockAnalysis> {
  const facts = new Map<number, ThreadLockFacts>();
  const deadlocks = input.os.family === 'linux' ? await linuxFacts(input, facts) : await windowsFacts(input, facts);
  for (const d of deadlocks) for (const tid of d.tids) facts.get(tid)!.inDeadlock = true;

  const byAddress = new Map<string, ReportLock>();
  for (const [tid, f] of facts) {
    if (!f.lock) continue;
    const key = `${f.lock.kind}@${f.lock.address}`;
    const lock = byAddress.get(key) ?? {
      kind: f.lock.kind,
      address: hex(f.lock.address),
      ownerTid: f.lock.ownerTid,
      waiterTids: [],
      confidence: f.lock.kind === 'mutex' ? 'certain' : 'likely',
      note: f.lock.kind === 'mutex'
        ? `glibc mutex: its owner field (word + 8) names thread ${f.lock.ownerTid}.`
        : `Critical section found on the waiter's stack; its OwningThread names thread ${f.lock.ownerTid}.`,
    };
    lock.waiterTids.push(tid);
    byAddress.set(key, lock);
  }
  const locks = [...byAddress.values()];
  for (const l of locks) l.waiterTids.sort((a, b) => a - b);
  if (input.os.family === 'windows') {
    for (const t of input.threads) {
      if (facts.has(t.tid) || !t.frames.some((f) => CS_ENTER.test(f.function ?? ''))) continue;
      locks.push({
        kind: 'critical-section', address: 'unknown', ownerTid: null, waiterTids: [t.tid], confidence: 'possible',
        note: 'Owner not determined: no word on the waiting stack points at a locked critical section owned by another thread of the dump (the stack or the structure may not be in the dump).',
      });
    }
  }

  // Chains: from each waiter nobody waits for, follow waits-for edges (lock owners, joined threads).
  const edges = new Map<number, number>();
  for (const [tid, f] of facts) {
    const to = f.lock?.ownerTid ?? f.joinsTid;
    if (to !== undefined && to !== null) edges.set(tid, to);
  }
  const targets = new Set(edges.values());
  const chains: ReportWaitChain[] = deadlocks.map((d) => ({ tids: d.tids, deadlock: true }));
  for (const head of edges.keys()) {
    if (targets.has(head)) continue;
    const tids = [head];
    let at = edges.get(head);
    while (at !== undefined && !tids.includes(at)) {
      tids.push(at);
      at = edges.get(at);
    }
    chains.push({ tids, deadlock: false });
  }
  return { facts, locks, chains, deadlocks };
}
