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
  });

  it('--json prints every live process as rows, with CPU % from two samples', async () => {
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
    // The name is the kernel's comm: 'node' under Node 22, 'MainThread' under Node 24, which names its main thread.
    expect(rows[me]!.name).toMatch(/^(node|MainThread)$/);
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
