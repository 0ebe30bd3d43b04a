import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { emptyProcessRow, type ProcessSnapshot } from '../../../src-shared/model/process';
import { runCli } from '../main';
import { formatBytes, formatTable, orderRows, parseListArgs } from './list';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) }, out, err };
}

describe('procscope list', () => {
  it('rejects unknown flags and positionals with a clear message and exit code 2', async () => {
    for (const bad of [['--jsn'], ['extra'], ['--json=yes'], ['-x']]) {
      const c = capture();
      expect(await runCli(['list', ...bad], c.io)).toBe(2);
      expect(c.err.join('')).toMatch(/procscope list: .*(Unknown option|Unexpected argument|does not take an argument)/);
      expect(c.err.join('')).toContain('Usage: procscope list');
      expect(c.out).toEqual([]);
    }
    expect(() => parseListArgs(['--tree', '--json'])).not.toThrow();
    expect(parseListArgs(['--sample']).sample).toBe(true);
    expect(parseListArgs([]).sample).toBe(false);
  });

  it("gives a busy process's CPU % as its lifetime average, as ps's %CPU (scaled to all cores), from one read", { timeout: 20_000 }, async () => {
    const busy = spawn(process.execPath, ['-e', 'const end = Date.now() + 8000; while (Date.now() < end);'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => setTimeout(resolve, 2500));
      // ps just before and just after our read: ours lies between, give or take ps's rounding and a clock tick.
      const psPercent = () => Number(spawnSync('ps', ['-o', 'pcpu=', '-p', String(busy.pid)], { encoding: 'utf8' }).stdout.trim()) / availableParallelism();
      const before = psPercent();
      const c = capture();
      expect(await runCli(['list', '--json'], c.io)).toBe(0);
      const after = psPercent();
      const row = (JSON.parse(c.out.join('')) as ReturnType<typeof emptyProcessRow>[]).find((r) => r.pid === busy.pid)!;
      expect(row.cpuPercent).toBeGreaterThan(5);
      expect(row.cpuPercent).toBeGreaterThanOrEqual(Math.min(before, after) - 2);
      expect(row.cpuPercent).toBeLessThanOrEqual(Math.max(before, after) + 2);
    } finally {
      busy.kill('SIGKILL');
    }
  });

  it('--sample gives CPU % over two reads half a second apart', async () => {
    const c = capture();
    expect(await runCli(['list', '--json', '--sample'], c.io)).toBe(0);
    const me = (JSON.parse(c.out.join('')) as ReturnType<typeof emptyProcessRow>[]).find((r) => r.pid === process.pid);
    expect(me?.cpuPercent).not.toBeNull();
  });

  it('--json prints every live process as rows, with a CPU % for each', async () => {
    const c = capture();
    expect(await runCli(['list', '--json'], c.io)).toBe(0);
    const rows = JSON.parse(c.out.join('')) as ReturnType<typeof emptyProcessRow>[];
    const me = rows.find((r) => r.pid === process.pid);
    expect(me).toBeDefined();
    expect(me!.ppid).toBe(process.ppid);
    expect(me!.key).toBe(`${me!.pid}:${me!.startTimeMs}`);
    expect(me!.cpuPercent).not.toBeNull();
    expect(rows.some((r) => r.pid === 1)).toBe(true);
  });

  it('--tree indents children under their parents in the table and gives depths in JSON', async () => {
    const c = capture();
    expect(await runCli(['list', '--tree', '--json'], c.io)).toBe(0);
    const rows = JSON.parse(c.out.join('')) as { pid: number; ppid: number; depth: number; name: string }[];
    const me = rows.findIndex((r) => r.pid === process.pid);
    const parent = rows.findIndex((r) => r.pid === process.ppid);
    expect(parent).toBeGreaterThanOrEqual(0);
    expect(parent).toBeLessThan(me);
    expect(rows[me]!.depth).toBe(rows[parent]!.depth + 1);

    const t = capture();
    expect(await runCli(['list', '--tree'], t.io)).toBe(0);
    const lines = t.out.join('').trimEnd().split('\n');
    expect(lines[0]).toMatch(/^\s*PID\s+PPID\s+USER\s+CPU%\s+PRIVATE\s+WORKING SET\s+THREADS\s+NAME\s+COMMAND LINE$/);
    const mine = lines.find((l) => new RegExp(`^\\s*${process.pid}\\s+${process.ppid}\\s`).test(l));
    expect(mine).toBeDefined();
    // 'node', though Node 24 renames its main thread (and so comm) 'MainThread': the image names it (process-name.ts).
    expect(rows[me]!.name).toBe('node');
    expect(mine).toContain('  '.repeat(rows[me]!.depth) + rows[me]!.name);
  });

  it('formats sizes and trims command lines to the width', () => {
    expect(formatBytes(null)).toBe('');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 K');
    expect(formatBytes(300 * 1024 * 1024)).toBe('300 M');
    const row = { ...emptyProcessRow(7, 1, 'a', 0), commandLine: 'x'.repeat(500), user: 'root' };
    const snapshot: ProcessSnapshot = {
      seq: 1, timestampMs: 0, intervalMs: 0, rows: [row],
      system: { cpuCount: 1, cpuPercent: null, memoryTotalBytes: null, memoryAvailableBytes: null, processCount: 1 },
    };
    const lines = formatTable(orderRows(snapshot, false), 80);
    expect(lines[1]!.length).toBe(80);
    expect(lines[1]!.endsWith('x…')).toBe(true);
    expect(formatTable(orderRows(snapshot, false))[1]!.endsWith('x'.repeat(500))).toBe(true);
  });
});
