/*
 * `procscope list [--json] [--tree]`: one look at the process table, for people (a table, optionally indented as
 * Process Explorer's tree) and scripts (JSON rows). Runs under plain Node in the CLI process. One read of the process
 * table by default, with CPU % as each process's average over its lifetime (CPU time / time since it started), which
 * is what ps's %CPU is — scaled as in the app, 100 % = every core busy; --sample takes two reads 0.5 s apart through
 * the same poller the app uses and gives the CPU % of that half second (twice the cost of the table read, and the
 * half second). A CPU column that is always blank would be the one column people look for first.
 */
// Static: import('node:fs') would build its ES module facade, which reads every export (fs.promises among them,
// which loads streams and readline: ~60 internal modules, ~6 ms of a list's start-up).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ProcessRow, ProcessSnapshot } from '../../../src-shared/model/process';
import { buildProcessTree, flattenTree } from '../../../src-shared/tree/process-tree';
import { createPlatformBackend } from '../../platform/select-backend';
import { cpuPercentOf } from '../../poller/cpu-usage';
import { createPoller } from '../../poller/poller';
import { CliUsageError, type CliCommand, type CliIo } from '../cli-command';

const USAGE = `Usage: procscope list [--json] [--tree] [--sample]

Prints every process once. CPU % is each process's average since it started (as ps's %CPU), of all cores.
  --json     the rows as a JSON array (with --tree: in tree order, each with a "depth")
  --tree     children indented under their parents, as in Process Explorer
  --sample   CPU % over a 0.5 s sample instead (two reads of the process table)`;

export const CPU_SAMPLE_GAP_MS = 500;

export interface ListOptions {
  json: boolean;
  tree: boolean;
  sample: boolean;
}

export function parseListArgs(args: string[]): ListOptions {
  try {
    const { values } = parseArgs({
      args,
      options: { json: { type: 'boolean' }, tree: { type: 'boolean' }, sample: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    });
    return { json: values.json ?? false, tree: values.tree ?? false, sample: values.sample ?? false };
  } catch (err) {
    // node:util's messages name the offending option ("Unknown option '--x'"); keep them, drop the hint about '--'.
    const message = err instanceof Error ? err.message.split('. To specify')[0]! : String(err);
    throw new CliUsageError(message);
  }
}

export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '';
  const units = ['B', 'K', 'M', 'G', 'T'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatCpu(percent: number | null): string {
  if (percent === null) return '';
  return percent === 0 ? '' : percent < 0.01 ? '< 0.01' : percent.toFixed(2);
}

interface Column {
  title: string;
  right: boolean;
  value: (row: ProcessRow, depth: number) => string;
}

const COLUMNS: Column[] = [
  { title: 'PID', right: true, value: (r) => String(r.pid) },
  { title: 'PPID', right: true, value: (r) => String(r.ppid) },
  { title: 'USER', right: false, value: (r) => r.user ?? '' },
  { title: 'CPU%', right: true, value: (r) => formatCpu(r.cpuPercent) },
  { title: 'PRIVATE', right: true, value: (r) => formatBytes(r.privateBytes) },
  { title: 'WORKING SET', right: true, value: (r) => formatBytes(r.workingSetBytes) },
  { title: 'THREADS', right: true, value: (r) => (r.threadCount === null ? '' : String(r.threadCount)) },
  { title: 'NAME', right: false, value: (r, depth) => '  '.repeat(depth) + r.name },
];

/** The table as lines; the command line fills what is left of `widthColumns` (no limit when undefined). */
export function formatTable(entries: { row: ProcessRow; depth: number }[], widthColumns?: number): string[] {
  const cells = entries.map(({ row, depth }) => COLUMNS.map((c) => c.value(row, depth)));
  const widths = COLUMNS.map((c, i) => Math.max(c.title.length, ...cells.map((line) => line[i]!.length)));
  const pad = (text: string, i: number) => (COLUMNS[i]!.right ? text.padStart(widths[i]!) : text.padEnd(widths[i]!));
  const fixedWidth = widths.reduce((sum, w) => sum + w + 2, 0);
  const fit = (line: string) => {
    if (widthColumns === undefined || line.length <= widthColumns) return line.trimEnd();
    return line.slice(0, Math.max(fixedWidth, widthColumns - 1)) + '…';
  };
  const header = fit([...COLUMNS.map((c, i) => pad(c.title, i)), 'COMMAND LINE'].join('  '));
  return [
    header,
    ...entries.map(({ row }, n) => fit([...cells[n]!.map((text, i) => pad(text, i)), row.commandLine ?? ''].join('  '))),
  ];
}

export function orderRows(snapshot: Pick<ProcessSnapshot, 'rows'>, tree: boolean): { row: ProcessRow; depth: number }[] {
  const byPid = (a: ProcessRow, b: ProcessRow) => a.pid - b.pid;
  if (!tree) return [...snapshot.rows].sort(byPid).map((row) => ({ row, depth: 0 }));
  return flattenTree(buildProcessTree(snapshot.rows), byPid).map(({ row, depth }) => ({ row, depth }));
}

/**
 * Each row's CPU % as its lifetime average (ps's %CPU, scaled to all cores as the app's column is). nowMs must be on
 * the clock the rows' start times are on: on Linux those are btime (whole seconds) + start ticks, so up to a second
 * early, which would make a young process's average far too low; see linuxNowMs.
 */
export function withLifetimeCpu(rows: readonly ProcessRow[], cpuCount: number, nowMs: number): ProcessRow[] {
  return rows.map((row) => ({ ...row, cpuPercent: cpuPercentOf(0, row.cpuTimeMs, nowMs - row.startTimeMs, cpuCount) }));
}

/** Now on the Linux rows' clock: the same btime plus the time since boot (/proc/uptime, 10 ms), as ps computes it. */
async function linuxNowMs(): Promise<number | undefined> {
  try {
    const { bootTimeMsSync } = await import('../../platform/linux/proc-start-time');
    const uptimeSeconds = Number(readFileSync('/proc/uptime', 'latin1').split(' ')[0]);
    return Number.isFinite(uptimeSeconds) ? bootTimeMsSync() + uptimeSeconds * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** Two reads through the poller the app uses, and its CPU % of the gap between them. */
async function sampledRows(): Promise<ProcessRow[]> {
  const backend = await createPlatformBackend();
  const poller = createPoller(backend, { intervalMs: 0 });
  try {
    await poller.refreshNow();
    await new Promise((resolve) => setTimeout(resolve, CPU_SAMPLE_GAP_MS));
    await poller.refreshNow();
    const snapshot = poller.getSnapshot();
    if (!snapshot) throw new Error('no snapshot was taken');
    return snapshot.rows;
  } finally {
    poller.dispose();
    backend.dispose();
  }
}

/**
 * One read straight from the backend: the poller would add nothing but a copy of every row and a delta against
 * nothing (its first poll has no CPU or I/O baseline, so its rates are null, as the backend's rows already are).
 */
async function oneReadRows(): Promise<ProcessRow[]> {
  const backend = await createPlatformBackend(process.platform, { oneShot: true });
  try {
    const sample = await backend.takeSnapshot({ includeHandleCount: false });
    const nowMs = (process.platform === 'linux' ? await linuxNowMs() : undefined) ?? sample.timestampMs;
    return withLifetimeCpu(sample.rows, sample.cpuCount, nowMs);
  } finally {
    backend.dispose();
  }
}

export async function runList(args: string[], io: CliIo, widthColumns?: number): Promise<number> {
  const options = parseListArgs(args);
  const rows = options.sample ? await sampledRows() : await oneReadRows();
  const entries = orderRows({ rows }, options.tree);
  if (options.json) {
    const ordered = options.tree ? entries.map(({ row, depth }) => ({ ...row, depth })) : entries.map((e) => e.row);
    io.stdout(JSON.stringify(ordered, null, 2) + '\n');
  } else {
    io.stdout(formatTable(entries, widthColumns).join('\n') + '\n');
  }
  return 0;
}

export const listCommand: CliCommand = {
  name: 'list',
  summary: 'Print the process list (a table, a tree, or JSON)',
  usage: USAGE,
  run: (args, io) => runList(args, io, process.stdout.isTTY ? process.stdout.columns : undefined),
};
