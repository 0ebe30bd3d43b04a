// Integration tests of the Linux backend against the real system: spawned process trees, ps as the referee,
// and the signal actions with their identity checks.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { userInfo } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProcessRow } from '../../../src-shared/model/process';
import { buildProcessTree, collectSubtree } from '../../../src-shared/tree/process-tree';
import { ProcessActionError, type ProcessBackend } from '../backend';
import { createLinuxBackend } from './linux-backend';
import { linuxProcessName } from './process-name';

const backends: ProcessBackend[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.pid && c.exitCode === null) {
    try {
      process.kill(-c.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (const b of backends.splice(0)) b.dispose();
});

function backend(): ProcessBackend {
  const b = createLinuxBackend();
  backends.push(b);
  return b;
}

async function rowsWhere(b: ProcessBackend, pick: (rows: ProcessRow[]) => boolean, timeoutMs = 20_000): Promise<ProcessRow[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await b.takeSnapshot({ includeHandleCount: false });
    if (pick(rows)) return rows;
    if (Date.now() > deadline) throw new Error('timed out waiting for the expected processes');
    await new Promise((r) => setTimeout(r, 100));
  }
}

function spawnGroup(command: string, args: string[]): ChildProcess {
  const child = spawn(command, args, { detached: true, stdio: 'ignore' });
  children.push(child);
  return child;
}

describe('Linux backend on the real system', () => {
  it('sees a 3-level tree of marked processes with the right parent chain, and loses it once killed', async () => {
    const marker = `procscope-mark-${process.pid}-${Date.now()}`;
    // dash forks (rather than execs) every command that is not the last one, so each level stays a process.
    const top = spawnGroup('sh', ['-c', `sh -c "sh -c 'sleep 300; : ${marker}-L3'; : ${marker}-L2"; : ${marker}-L1`]);
    const b = backend();
    // Each level's command line holds its own marker and those of the levels it starts, so a level is the row
    // whose highest marker is its own.
    const levels = ['L1', 'L2', 'L3'];
    const find = (rows: ProcessRow[], level: string) =>
      rows.find((r) => {
        const own = levels.filter((l) => r.commandLine?.includes(`${marker}-${l}`));
        return own[0] === level;
      });
    // Wait for the sleep under L3 too: it is forked last, and must show its own (post-exec) name and arguments.
    const sleeperOf = (rs: ProcessRow[]) => rs.find((r) => r.ppid === find(rs, 'L3')?.pid && r.name === 'sleep');
    const rows = await rowsWhere(b, (rs) => levels.every((l) => find(rs, l)) && sleeperOf(rs)?.commandLine === 'sleep 300');
    const [l1, l2, l3] = ['L1', 'L2', 'L3'].map((l) => find(rows, l)!);
    expect(l1!.pid).toBe(top.pid);
    expect(l1!.ppid).toBe(process.pid);
    expect(l2!.ppid).toBe(l1!.pid);
    expect(l3!.ppid).toBe(l2!.pid);
    for (const r of [l1!, l2!, l3!]) {
      expect(r.name).toBe('sh');
      expect(r.user).toBe(userInfo().username);
      expect(r.exePath).toMatch(/\/(dash|bash|sh)$/);
      expect(Math.abs(r.startTimeMs - Date.now())).toBeLessThan(60_000);
      expect(r.key).toBe(`${r.pid}:${r.startTimeMs}`);
      expect(r.workingSetBytes).toBeGreaterThan(0);
    }
    // The shared tree builder puts them in one chain under L1.
    const subtree = collectSubtree(buildProcessTree(rows), l1!).map((r) => r.pid);
    expect(subtree.slice(0, 3)).toEqual([l1!.pid, l2!.pid, l3!.pid]);
    const sleeper = sleeperOf(rows);
    expect(sleeper?.exePath).toMatch(/\/sleep$/);

    // Kill through the backend, deepest first; a level may already have exited on its own once its child died.
    for (const r of [sleeper!, l3!, l2!, l1!]) {
      await b.terminate({ pid: r.pid, startTimeMs: r.startTimeMs }).catch((err: unknown) => {
        expect((err as ProcessActionError).code).toBe('process-gone');
      });
    }
    // Killed = no longer running. A killed process whose parent died first is re-parented to init and may linger
    // as a zombie until init reaps it; that is the kernel's bookkeeping, and the row says so with state 'zombie'.
    const alive = (r: ProcessRow) => r.state !== 'zombie';
    const killed = [sleeper!, l3!, l2!, l1!].map((r) => r.key);
    const after = await rowsWhere(b, (rs) => !rs.some((r) => alive(r) && (killed.includes(r.key) || r.commandLine?.includes(marker))), 10_000);
    expect(after.filter((r) => killed.includes(r.key)).every((r) => r.state === 'zombie')).toBe(true);
  });

  it('agrees with ps on pid, ppid, user and name for every process alive across the ps run', async () => {
    // Two fresh backends, so that both reads come from /proc rather than from the per-identity cache: a process
    // that switches user right between them is then seen either way, as ps sees it.
    const before = await backend().takeSnapshot({ includeHandleCount: false });
    const ps = spawnSync('ps', ['-eo', 'pid,ppid,user,comm'], { encoding: 'utf8' });
    const after = await backend().takeSnapshot({ includeHandleCount: false });
    expect(ps.status).toBe(0);
    const byPid = (rows: ProcessRow[]) => new Map(rows.map((r) => [r.pid, r]));
    const [b0, a0] = [byPid(before.rows), byPid(after.rows)];
    const lines = ps.stdout.trimEnd().split('\n').slice(1);
    expect(lines.length).toBeGreaterThan(5);
    const mismatches: string[] = [];
    let compared = 0;
    for (const line of lines) {
      const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s(.*)$/.exec(line);
      expect(m, line).not.toBeNull();
      const [pid, ppid, user] = [Number(m![1]), Number(m![2]), m![3]!];
      // ps marks zombies with " <defunct>" after the name.
      const name = m![4]!.trimStart().replace(/ <defunct>$/, '');
      const r0 = b0.get(pid);
      const r1 = a0.get(pid);
      // Came or went between the reads (ps itself among them), or the pid was recycled meanwhile.
      if (!r0 || !r1 || r0.key !== r1.key) continue;
      compared++;
      // ps cuts user names longer than its column to "name+" — compare the part it shows.
      const userMatches = (u: string | null) => u === user || (user.endsWith('+') && !!u?.startsWith(user.slice(0, -1)));
      // A name or parent may change while ps runs (kworkers rename themselves, orphans are re-parented).
      if (![r0, r1].some((r) => r.ppid === ppid)) mismatches.push(`${pid}: ppid ${ppid} vs ${r0.ppid}/${r1.ppid}`);
      if (![r0, r1].some((r) => userMatches(r.user))) mismatches.push(`${pid}: user ${user} vs ${r0.user}`);
      // Where the program renamed itself (Node 24: "MainThread"), the row shows the image's name (process-name.ts).
      const nameMatches = (r: ProcessRow) => r.name === name || r.name === linuxProcessName(name, r.exePath, null);
      if (![r0, r1].some(nameMatches)) mismatches.push(`${pid}: name '${name}' vs '${r0.name}'/'${r1.name}'`);
    }
    expect(mismatches, mismatches.join('\n')).toEqual([]);
    expect(compared).toBeGreaterThan(lines.length / 2);
    expect(after.cpuCount).toBeGreaterThan(0);
    expect(after.memoryTotalBytes).toBeGreaterThan(after.memoryAvailableBytes ?? 0);
  });

  it('suspends, resumes and kills by identity, and refuses a stale or recycled identity', async () => {
    const child = spawnGroup('sleep', ['300']);
    const b = backend();
    const start = b.readStartTimeMs(child.pid!);
    expect(start).not.toBeNull();
    const target = { pid: child.pid!, startTimeMs: start! };
    const stateOf = async () => (await b.takeSnapshot({ includeHandleCount: true })).rows.find((r) => r.pid === target.pid);

    await expect(b.terminate({ ...target, startTimeMs: start! - 1000 })).rejects.toMatchObject({ code: 'pid-recycled' });
    await b.suspend(target);
    expect((await stateOf())?.state).toBe('stopped');
    await b.resume(target);
    // Just continued, it may still be on its way back to sleep.
    expect(['sleeping', 'running']).toContain((await stateOf())?.state);
    expect((await stateOf())?.handleCount).toBeGreaterThanOrEqual(0);

    const exited = new Promise((r) => child.once('exit', (_code, signal) => r(signal)));
    await b.terminate(target);
    expect(await exited).toBe('SIGKILL');
    await expect(b.terminate(target)).rejects.toMatchObject({ code: 'process-gone' });
    await expect(b.suspend(target)).rejects.toBeInstanceOf(ProcessActionError);
    await expect(b.resume({ pid: -5, startTimeMs: 0 })).rejects.toMatchObject({ code: 'failed', message: /Invalid pid -5/ });
    await expect(b.terminate({ pid: 1.5, startTimeMs: 0 })).rejects.toMatchObject({ code: 'failed' });
  });

  it('reads CPU time that moves for a busy process through the kept descriptor', async () => {
    const child = spawnGroup(process.execPath, ['-e', 'const end = Date.now() + 30000; while (Date.now() < end);']);
    const b = backend();
    const first = (await rowsWhere(b, (rs) => rs.some((r) => r.pid === child.pid && (r.cpuTimeMs ?? 0) > 0))).find((r) => r.pid === child.pid)!;
    await new Promise((r) => setTimeout(r, 600));
    const second = (await b.takeSnapshot({ includeHandleCount: false })).rows.find((r) => r.pid === child.pid)!;
    expect(second.key).toBe(first.key);
    expect(second.cpuTimeMs!).toBeGreaterThan(first.cpuTimeMs!);
  });

  it('gives the same rows one-shot (no kept descriptors, as procscope list reads) as a polling backend', async () => {
    const group = spawnGroup('sh', ['-c', 'for i in 1 2 3 4 5 6 7 8; do sleep 300 & done; wait']);
    const polling = backend();
    const sleepersOf = (rows: ProcessRow[]) => rows.filter((r) => r.ppid === group.pid).sort((a, b) => a.pid - b.pid);
    await rowsWhere(polling, (rows) => sleepersOf(rows).length === 8 && sleepersOf(rows).every((r) => r.name === 'sleep'));
    const oneShot = createLinuxBackend({ oneShot: true });
    backends.push(oneShot);
    // Idle sleepers do not change between the two reads; both are cold reads of them but for the kept descriptors.
    const [a, b] = [await polling.takeSnapshot({ includeHandleCount: false }), await oneShot.takeSnapshot({ includeHandleCount: false })];
    expect(sleepersOf(b.rows)).toEqual(sleepersOf(a.rows));
    expect(b.rows.find((r) => r.pid === 1)).toEqual(expect.objectContaining({ ppid: 0, user: a.rows.find((r) => r.pid === 1)?.user }));
  });
});
