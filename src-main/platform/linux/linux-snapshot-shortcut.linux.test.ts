// The schedstat shortcut (linux-snapshot.ts readOne) against the real /proc: over many polls of a churning set of
// processes (10 % killed and replaced per poll, parents exiting so that their children are reparented, processes
// stopped and continued), the rows of a long-lived reader, most of them through the shortcut, equal a fresh reader's
// full read of the same moment, field for field. And the one field another process can change without the target
// running that the shortcut cannot see at once, nice, shows within the revalidation period.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProcessRow } from '../../../src-shared/model/process';
import { clockTicksPerSecond, pageSizeBytes } from './system-constants';
import { createLinuxSnapshotReader, type LinuxSnapshotReader } from './linux-snapshot';
import { startTicksToEpochMs } from './proc-start-time';

const SLEEPERS = 30;
const POLLS = 30;
const SETTLE_MS = 150;

const groups: ChildProcess[] = [];
const readers: LinuxSnapshotReader[] = [];

function reader(): LinuxSnapshotReader {
  const r = createLinuxSnapshotReader({
    clockTicksPerSecond: clockTicksPerSecond(),
    pageSizeBytes: pageSizeBytes(),
    startTicksToEpochMs,
    userName: (uid) => String(uid),
    // A minute ahead: every process is past the young-process checkpoints at once, so the shortcut applies from
    // the second poll (both readers share the clock, so their identity reads agree).
    nowMs: () => Date.now() + 60_000,
    keptDescriptorBudget: 4096,
    trustLastPid: true,
  });
  readers.push(r);
  return r;
}

/** A sleeper in its own process group (killed by group at the end, wherever it was reparented to). */
function sleeper(): ChildProcess {
  const child = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
  groups.push(child);
  return child;
}

/** A shell with two sleeping children; killing the shell reparents them. Its group holds all three. */
function family(): ChildProcess {
  const child = spawn('sh', ['-c', 'sleep 600 & sleep 600 & wait'], { detached: true, stdio: 'ignore' });
  groups.push(child);
  return child;
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(() => {
  for (const r of readers.splice(0)) r.dispose();
  for (const g of groups.splice(0)) {
    try {
      process.kill(-g.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

describe.runIf(process.platform === 'linux')('schedstat shortcut on the real /proc', () => {
  it('gives the rows of a full read over many polls of a churning set', { timeout: 60_000 }, async () => {
    let sleepers = Array.from({ length: SLEEPERS }, () => sleeper());
    // Threads take pids too: a process starting a thread every 50 ms puts thread ids among the new pids.
    const threads = spawn(process.execPath, ['-e', "const { Worker } = require('node:worker_threads'); setInterval(() => new Worker('setTimeout(() => {}, 400)', { eval: true }), 50);"], { detached: true, stdio: 'ignore' });
    groups.push(threads);
    const families = Array.from({ length: 4 }, () => family());
    const orphans = new Set<number>();
    await pause(300);
    const steady = reader();
    await steady.readRows(false);
    let compared = 0;
    let reparentedSeen = 0;
    for (let poll = 0; poll < POLLS; poll++) {
      // Churn: 10 % of the sleepers replaced, one family's shell killed (its two children reparented) and a new
      // family, one sleeper stopped and another continued (each runs to change state).
      for (const victim of sleepers.slice(0, SLEEPERS / 10)) victim.kill('SIGKILL');
      sleepers = [...sleepers.slice(SLEEPERS / 10), ...Array.from({ length: SLEEPERS / 10 }, () => sleeper())];
      const shell = families.shift()!;
      for (const pid of childrenOf(shell.pid!)) orphans.add(pid);
      shell.kill('SIGKILL');
      families.push(family());
      sleepers[poll % SLEEPERS]!.kill('SIGSTOP');
      sleepers[(poll + 7) % SLEEPERS]!.kill('SIGCONT');
      await pause(SETTLE_MS);

      const ours = new Set<number>([...sleepers, ...families].map((c) => c.pid!));
      for (const f of families) for (const pid of childrenOf(f.pid!)) ours.add(pid);
      for (const pid of orphans) ours.add(pid);
      const pick = (rows: ProcessRow[]) =>
        new Map(rows.filter((r) => ours.has(r.pid) && r.state !== 'zombie').map((r) => [r.pid, r]));
      const cheapRows = await steady.readRows(false);
      // No thread of another process poses as a process (its Tgid is another pid).
      for (const row of cheapRows) {
        let tgid: number | null = null;
        try {
          tgid = Number(/^Tgid:\s+(\d+)/m.exec(readFileSync(`/proc/${row.pid}/status`, 'latin1'))![1]);
        } catch {
          // Gone since.
        }
        if (tgid !== null) expect(tgid, `row ${row.pid} (${row.name}) is a thread`).toBe(row.pid);
      }
      const cheap = pick(cheapRows);
      const full = pick(await reader().readRows(false));
      readers.pop()!.dispose();
      expect(cheap.size).toBeGreaterThan(SLEEPERS);
      expect([...cheap.keys()].sort()).toEqual([...full.keys()].sort());
      for (const [pid, row] of full) {
        const mine = cheap.get(pid) as unknown as Record<string, unknown>;
        const differs = Object.keys(row).filter((k) => JSON.stringify(mine[k]) !== JSON.stringify((row as unknown as Record<string, unknown>)[k]));
        expect(differs.map((k) => `${k}: ${JSON.stringify(mine[k])} vs ${JSON.stringify((row as unknown as Record<string, unknown>)[k])}`), `pid ${pid} at poll ${poll}`).toEqual([]);
        compared++;
      }
      reparentedSeen += [...orphans].filter((pid) => full.has(pid)).length;
    }
    expect(compared).toBeGreaterThan(POLLS * SLEEPERS);
    expect(reparentedSeen).toBeGreaterThan(POLLS);
    // The comparison means something only if most rows came through the shortcut.
    expect(steady.schedShortcuts).toBeGreaterThan((compared * 2) / 3);
  });

  it('shows a renice by another process within the revalidation period (10 polls)', { timeout: 30_000 }, async () => {
    const target = sleeper();
    await pause(200);
    const r = reader();
    for (let i = 0; i < 3; i++) await r.readRows(false);
    const before = (await r.readRows(false)).find((row) => row.pid === target.pid)!;
    expect(before.priority).toBe(0);
    expect(spawnSync('renice', ['-n', '7', '-p', String(target.pid)]).status).toBe(0);
    let polls = 0;
    for (;;) {
      polls++;
      const row = (await r.readRows(false)).find((x) => x.pid === target.pid)!;
      if (row.priority === 7) break;
      expect(polls).toBeLessThan(10);
    }
    expect(polls).toBeLessThanOrEqual(10);
  });
});
