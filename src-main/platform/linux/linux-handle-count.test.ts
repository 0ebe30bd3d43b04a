// The handle count the Linux backend shows, against processes whose open descriptors we know: `sleep` started
// with N extra pipes holds exactly N more descriptors than one started without (what else it holds depends on what
// the test runner inherited, so the count is also held to /proc/PID/fd listed one by one). The fake-/proc test in
// linux-snapshot.test.ts cannot check the value: a plain folder's size is not a count.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createLinuxBackend } from './linux-backend';

const children: ChildProcess[] = [];
const backend = process.platform === 'linux' ? createLinuxBackend() : null;
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  backend?.dispose();
});

async function sleeperWithPipes(extra: number): Promise<number> {
  const child = spawn('sleep', ['300'], { stdio: ['ignore', 'ignore', 'ignore', ...Array<'pipe'>(extra).fill('pipe')] });
  children.push(child);
  await new Promise((r) => child.once('spawn', r));
  // Until exec the pid is still Node's fork, with libuv's descriptors: wait for sleep itself.
  await expect.poll(() => readFileSync(`/proc/${child.pid}/comm`, 'utf8').trim(), { timeout: 10_000 }).toBe('sleep');
  return child.pid!;
}

describe.runIf(process.platform === 'linux')('Linux handle count', () => {
  it('is what /proc/PID/fd lists, and N more for sleep with N extra pipes', async () => {
    const pids = { 0: await sleeperWithPipes(0), 1: await sleeperWithPipes(1), 5: await sleeperWithPipes(5), 20: await sleeperWithPipes(20) };
    const { rows } = await backend!.takeSnapshot({ includeHandleCount: true });
    const count = (pid: number) => {
      const row = rows.find((r) => r.pid === pid);
      expect(row?.name).toBe('sleep');
      return row?.handleCount;
    };
    const base = count(pids[0])!;
    expect(base).toBe(readdirSync(`/proc/${pids[0]}/fd`).length);
    expect(base).toBeGreaterThanOrEqual(3);
    for (const extra of [1, 5, 20] as const) {
      expect(count(pids[extra]), `${extra} extra pipes`).toBe(readdirSync(`/proc/${pids[extra]}/fd`).length);
      expect(count(pids[extra]), `${extra} extra pipes`).toBe(base + extra);
    }
    const without = await backend!.takeSnapshot({ includeHandleCount: false });
    expect(without.rows.find((r) => r.pid === pids[5])?.handleCount).toBeNull();
  });
});
