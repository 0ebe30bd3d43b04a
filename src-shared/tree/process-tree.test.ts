import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { emptyProcessRow } from '../model/process';
import { buildProcessTree, collectSubtree, flattenTree } from './process-tree';

const row = (pid: number, ppid: number, start: number, name = `p${pid}`) => emptyProcessRow(pid, ppid, name, start);

describe('buildProcessTree', () => {
  it('nests children under parents and keeps orphans as roots', () => {
    const rows = [row(1, 0, 10), row(2, 1, 20), row(3, 2, 30), row(4, 99, 40)];
    const tree = buildProcessTree(rows);
    expect(tree.roots.map((r) => r.pid)).toEqual([1, 4]);
    expect(tree.children.get(rows[0]!.key)!.map((r) => r.pid)).toEqual([2]);
    expect(tree.parentOf.get(rows[2]!.key)).toBe(rows[1]!.key);
  });

  it('treats a parent that started after the child as a recycled pid', () => {
    const rows = [row(5, 0, 100), row(6, 5, 50)];
    const tree = buildProcessTree(rows);
    expect(tree.roots.map((r) => r.pid)).toEqual([5, 6]);
  });

  it('breaks a cycle made by equal start times', () => {
    const rows = [row(7, 8, 100), row(8, 7, 100)];
    const tree = buildProcessTree(rows);
    const flat = flattenTree(tree);
    expect(flat.map((e) => e.row.pid).sort()).toEqual([7, 8]);
    expect(tree.roots.length).toBeGreaterThanOrEqual(1);
  });

  it('collects a subtree parents first, and flattens with sorted siblings and collapse', () => {
    const rows = [row(1, 0, 1), row(30, 1, 2), row(20, 1, 3), row(21, 20, 4)];
    const tree = buildProcessTree(rows);
    expect(collectSubtree(tree, rows[0]!).map((r) => r.pid)).toEqual([1, 30, 20, 21]);
    const byPid = (a: { pid: number }, b: { pid: number }) => a.pid - b.pid;
    expect(flattenTree(tree, byPid).map((e) => [e.row.pid, e.depth])).toEqual([[1, 0], [20, 1], [21, 2], [30, 1]]);
    const collapsed = flattenTree(tree, byPid, (k) => k === rows[3 - 1]!.key);
    expect(collapsed.map((e) => e.row.pid)).toEqual([1, 20, 30]);
    expect(collapsed.find((e) => e.row.pid === 20)!.hasChildren).toBe(true);
  });
});

describe('buildProcessTree over random forests (property)', () => {
  it('reaches every row exactly once from the roots, with or without equal start times (the cycle check is skipped only without them)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ ppid: fc.integer({ min: 0, max: 40 }), start: fc.integer({ min: 0, max: 6 }) }), { minLength: 1, maxLength: 40 }),
        (specs) => {
          const rows = specs.map((s, i) => row(i + 1, s.ppid, s.start));
          const tree = buildProcessTree(rows);
          const seen: string[] = [];
          for (const r of tree.roots) seen.push(...collectSubtree(tree, r).map((x) => x.key));
          expect(seen.sort()).toEqual(rows.map((r) => r.key).sort());
          for (const r of rows) {
            const p = tree.parentOf.get(r.key);
            if (p === undefined) expect(tree.roots).toContain(r);
            else expect(tree.children.get(p)).toContain(r);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
