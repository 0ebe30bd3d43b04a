/*
 * Linux mutex deadlocks from a core's raw registers, with no symbols (ANALYSIS.md §1.4, §7.5): a thread blocked
 * in futex(2) has orig_rax 202, rdi = the futex word and rsi = the operation; for FUTEX_WAIT(_BITSET) on a glibc
 * pthread_mutex_t the word is the mutex's __lock and the owner's tid sits 8 bytes further (__owner, nptl's
 * struct __pthread_mutex_s). Waiter → owner edges make a wait-for graph, in which each thread waits for at most
 * one other; a cycle is a deadlock. Pure over the reader's threads and a memory read.
 */
import type { UserRegs } from './elf-core-notes';

const SYS_FUTEX = 202n;
const FUTEX_CMD_MASK = 0x7fn; // without FUTEX_PRIVATE_FLAG (128) and FUTEX_CLOCK_REALTIME (256)
const FUTEX_WAIT = 0n;
const FUTEX_WAIT_BITSET = 9n;
const MUTEX_OWNER_OFFSET = 8n;

export interface FutexWait {
  tid: number;
  futexAddress: bigint;
  /** futex(2)'s op as passed (e.g. 0x80 FUTEX_WAIT_PRIVATE). */
  op: number;
  /** The tid in the word where a glibc mutex keeps its owner, when it names a thread of this process. */
  ownerTid: number | null;
}

export interface FutexDeadlock {
  /** The threads of the cycle, each waiting for the next (the last for the first), smallest tid first. */
  tids: number[];
  futexAddresses: bigint[];
}

export async function findFutexDeadlocks(
  threads: readonly { tid: number; regs: Pick<UserRegs, 'orig_rax' | 'rdi' | 'rsi'> }[],
  readMemory: (address: bigint, length: number) => Promise<Buffer | null>,
): Promise<{ waits: FutexWait[]; deadlocks: FutexDeadlock[] }> {
  const tids = new Set(threads.map((t) => t.tid));
  const waits: FutexWait[] = [];
  for (const t of threads) {
    if (t.regs.orig_rax !== SYS_FUTEX) continue;
    const cmd = t.regs.rsi & FUTEX_CMD_MASK;
    if (cmd !== FUTEX_WAIT && cmd !== FUTEX_WAIT_BITSET) continue;
    const futexAddress = t.regs.rdi;
    const words = await readMemory(futexAddress, 12);
    let ownerTid: number | null = null;
    // A locked mutex has a non-zero lock word; its owner is one of our threads (not itself) or this is no mutex.
    if (words && words.readUInt32LE(0) !== 0) {
      const owner = words.readInt32LE(Number(MUTEX_OWNER_OFFSET));
      if (tids.has(owner) && owner !== t.tid) ownerTid = owner;
    }
    waits.push({ tid: t.tid, futexAddress, op: Number(t.regs.rsi & 0xffffn), ownerTid });
  }
  const next = new Map(waits.filter((w) => w.ownerTid !== null).map((w) => [w.tid, w]));
  const deadlocks: FutexDeadlock[] = [];
  const done = new Set<number>();
  for (const start of next.keys()) {
    const path: number[] = [];
    const onPath = new Map<number, number>();
    let at: number | undefined = start;
    while (at !== undefined && !done.has(at) && !onPath.has(at)) {
      onPath.set(at, path.length);
      path.push(at);
      at = next.get(at)?.ownerTid ?? undefined;
    }
    if (at !== undefined && onPath.has(at)) {
      const cycle = path.slice(onPath.get(at)!);
      const first = cycle.indexOf(Math.min(...cycle));
      const ordered = [...cycle.slice(first), ...cycle.slice(0, first)];
      deadlocks.push({ tids: ordered, futexAddresses: ordered.map((tid) => next.get(tid)!.futexAddress) });
    }
    for (const p of path) done.add(p);
  }
  return { waits, deadlocks };
}
