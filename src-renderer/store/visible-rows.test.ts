import { describe, expect, it } from 'vitest';
import type { ProcessKey } from '../../src-shared/model/process';
import { computeVisibleRows, type ViewSettings } from './visible-rows';
import { testRow } from './test-rows';

const rows = [
  testRow(1, 0, 'init', { workingSetBytes: 100 }),
  testRow(20, 1, 'sshd', { workingSetBytes: 300, commandLine: '/usr/sbin/sshd -D' }),
  testRow(30, 20, 'bash', { workingSetBytes: 50 }),
  testRow(31, 30, 'sleep', { workingSetBytes: 10, commandLine: 'sleep 1000 marker-xyz' }),
  testRow(10, 1, 'cron', { workingSetBytes: 200 }),
  testRow(11, 10, 'job', { workingSetBytes: null }),
];
const view = (v: Partial<ViewSettings> = {}): ViewSettings => ({
  sortColumn: null,
  sortDirection: 'asc',
  flatList: false,
  filterText: '',
  collapsed: new Set<ProcessKey>(),
  ...v,
});
const pids = (v: Partial<ViewSettings>) => computeVisibleRows(rows, view(v)).map((r) => r.row.pid);

describe('visible rows', () => {
  it('keeps the tree and sorts siblings only', () => {
    expect(pids({})).toEqual([1, 10, 11, 20, 30, 31]);
    expect(pids({ sortColumn: 'workingSetBytes', sortDirection: 'desc' })).toEqual([1, 20, 30, 31, 10, 11]);
    expect(pids({ sortColumn: 'name' })).toEqual([1, 10, 11, 20, 30, 31]);
    expect(pids({ sortColumn: 'pid', sortDirection: 'desc' })).toEqual([1, 20, 30, 31, 10, 11]);
  });

  it('sorts a flat list by the column, unknown values last', () => {
    expect(pids({ flatList: true, sortColumn: 'workingSetBytes' })).toEqual([31, 30, 1, 10, 20, 11]);
    expect(pids({ flatList: true, sortColumn: 'workingSetBytes', sortDirection: 'desc' })).toEqual([20, 10, 1, 30, 31, 11]);
    expect(computeVisibleRows(rows, view({ flatList: true })).every((r) => r.depth === 0)).toBe(true);
  });

  it('gives depth, children, expansion and tree-line flags', () => {
    const out = computeVisibleRows(rows, view());
    const sleep = out.find((r) => r.row.pid === 31)!;
    expect(sleep.depth).toBe(3);
    // sshd (depth 1) is init's last child, so no line continues at level 1; bash is sshd's only child.
    expect(sleep.lineContinues).toEqual([false, false]);
    const job = out.find((r) => r.row.pid === 11)!;
    expect(job.lineContinues).toEqual([true]);
    expect(out.find((r) => r.row.pid === 10)!.isLastChild).toBe(false);
    expect(out[0]!.hasChildren && out[0]!.expanded).toBe(true);
  });

  it('hides a collapsed branch but keeps its row', () => {
    const out = computeVisibleRows(rows, view({ collapsed: new Set(['20:1020']) }));
    expect(out.map((r) => r.row.pid)).toEqual([1, 10, 11, 20]);
    expect(out[3]!.expanded).toBe(false);
    expect(out[3]!.hasChildren).toBe(true);
  });

  it('filters by name, command line and PID while keeping ancestors', () => {
    expect(pids({ filterText: 'MARKER-xyz' })).toEqual([1, 20, 30, 31]);
    expect(pids({ filterText: 'MARKER-xyz', collapsed: new Set(['30:1030']) })).toEqual([1, 20, 30]);
    expect(pids({ filterText: 'cron' })).toEqual([1, 10]);
    expect(pids({ filterText: '30' })).toEqual([1, 20, 30]);
    expect(pids({ filterText: 'sshd -D' })).toEqual([1, 20]);
    expect(pids({ filterText: 'nothing-matches' })).toEqual([]);
    expect(pids({ filterText: 'sleep', flatList: true })).toEqual([31]);
  });
});
