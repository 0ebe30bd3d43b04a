// The futex deadlock finder on hand-made threads (a three-thread cycle, a chain into a running thread, a wait
// whose word names no thread, a condition-variable style wait) and on a real core of two threads deadlocked on
// two mutexes, written by our writer: one cycle naming exactly those two threads.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLinuxCoreWriter } from '../../dump/linux/linux-core-writer';
import { readProcessStartTimeMs } from '../../platform/linux/proc-start-time';
import { compileParkedThreadsSync, startParkedThreads } from '../unwind/__fixtures__/parked-threads';
import { openElfCore } from './elf-core-reader';
import type { UserRegs } from './elf-core-notes';
import { findFutexDeadlocks } from './futex-deadlock';

function thread(tid: number, syscall: bigint, rdi: bigint, rsi: bigint): { tid: number; regs: UserRegs } {
  return { tid, regs: { orig_rax: syscall, rdi, rsi } as UserRegs };
}

function memory(words: Record<string, [number, number]>) {
  return async (address: bigint, length: number): Promise<Buffer | null> => {
    const w = words[address.toString(16)];
    if (!w) return null;
    const b = Buffer.alloc(length);
    b.writeUInt32LE(w[0], 0);
    b.writeInt32LE(w[1], 8);
    return b;
  };
}

describe('futex deadlock finder', () => {
  it('finds a cycle of three and nothing in chains, foreign owners or other waits', async () => {
    const threads = [
      thread(10, 202n, 0xa000n, 0x80n), // waits for 11
      thread(11, 202n, 0xb000n, 0x80n), // waits for 12
      thread(12, 202n, 0xc000n, 0x89n), // FUTEX_WAIT_BITSET_PRIVATE, waits for 10
      thread(20, 202n, 0xd000n, 0x80n), // waits for 21, which runs
      thread(21, 0xffffffffffffffffn, 0n, 0n),
      thread(30, 202n, 0xe000n, 0x80n), // the word names tid 999, not a thread here
      thread(31, 202n, 0xf000n, 0x81n), // FUTEX_WAKE: not a wait
      thread(32, 202n, 0x9000n, 0x80n), // an unlocked word (a condvar sequence, say)
    ];
    const { waits, deadlocks } = await findFutexDeadlocks(threads, memory({
      a000: [2, 11], b000: [2, 12], c000: [2, 10], d000: [2, 21], e000: [2, 999], f000: [2, 10], 9000: [0, 10],
    }));
    expect(deadlocks).toEqual([{ tids: [10, 11, 12], futexAddresses: [0xa000n, 0xb000n, 0xc000n] }]);
    expect(waits.map((w) => [w.tid, w.ownerTid])).toEqual([[10, 11], [11, 12], [12, 10], [20, 21], [30, null], [32, null]]);
  });

  it("names the two deadlocked threads of a real core, each waiting for the other's mutex", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'procscope-futex-'));
    const target = await startParkedThreads(compileParkedThreadsSync(dir));
    try {
      const path = (await createLinuxCoreWriter().write({ pid: target.pid, startTimeMs: readProcessStartTimeMs(target.pid)!, kind: 'mini', outDir: dir })).path;
      const core = await openElfCore(path);
      try {
        const { waits, deadlocks } = await findFutexDeadlocks(core.threads, core.readMemory);
        const tidOf = (name: string) => [...target.names].find(([, n]) => n === name)![0];
        const [a, b] = [tidOf('deadlock-a'), tidOf('deadlock-b')];
        expect(deadlocks).toHaveLength(1);
        expect(deadlocks[0]!.tids).toEqual([a, b].sort((x, y) => x - y));
        expect(waits.find((w) => w.tid === a)).toMatchObject({ ownerTid: b, op: 0x80 });
        expect(waits.find((w) => w.tid === b)).toMatchObject({ ownerTid: a, op: 0x80 });
        expect(waits.find((w) => w.tid === tidOf('joiner'))?.ownerTid).toBeNull(); // pthread_join waits on a tid word
      } finally {
        await core.close();
      }
    } finally {
      target.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
