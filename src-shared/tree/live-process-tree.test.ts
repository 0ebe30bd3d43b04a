import { describe, expect, it } from 'vitest';
import { emptyProcessRow, processKey, type ProcessKey, type ProcessRow } from '../model/process';
import { createSeededRandom } from '../seeded-random';
import { createLiveProcessTree, creationOrder } from './live-process-tree';
import { buildProcessTree, type ProcessTree } from './process-tree';

function row(pid: number, ppid: number, startTimeMs: number): ProcessRow {
  return { ...emptyProcessRow(pid, ppid, `p${pid}`, startTimeMs), key: processKey(pid, startTimeMs) };
}

/** Links only, order-free: what both trees must agree on. */
function links(tree: ProcessTree): { roots: ProcessKey[]; parentOf: string[]; children: string[] } {
  return {
    roots: tree.roots.map((r) => r.key).sort(),
    parentOf: [...tree.parentOf].map(([c, p]) => `${c}<${p}`).sort(),
    children: [...tree.children].map(([p, kids]) => `${p}:${kids.map((k) => k.key).sort().join(',')}`).sort(),
  };
}

function isInCreationOrder(list: readonly ProcessRow[]): boolean {
  return list.every((r, i) => i === 0 || creationOrder(list[i - 1]!, r) <= 0);
}

describe('live process tree', () => {
  it('keeps the same links as a rebuild through 8,000 random adds and removes, lists in creation order', () => {
    // A small pid space (400) and a coarse clock, so recycled pids, equal start times, orphans and pids that two rows share
    // all happen often; a live tree that answers false is reset, as the store does.
    const next = createSeededRandom(20261202);
    const rows = new Map<ProcessKey, ProcessRow>();
    let clock = 1_000;
    const live = createLiveProcessTree<ProcessRow>();
    let resets = 0;
    let incremental = 0;
    for (let step = 0; step < 8_000; step++) {
      if (next() < 0.3) clock += 1;
      const all = [...rows.values()];
      if (all.length > 0 && next() < (all.length > 120 ? 0.6 : 0.4)) {
        const victim = all[Math.floor(next() * all.length)]!;
        rows.delete(victim.key);
        if (live.remove(victim)) incremental++;
        else {
          live.reset(rows.values());
          resets++;
        }
      } else {
        const pid = 1 + Math.floor(next() * 400);
        const parent = all.length > 0 && next() < 0.85 ? all[Math.floor(next() * all.length)]! : null;
        const ppid = parent ? parent.pid : Math.floor(next() * 401);
        // Now and then a start time in the past: an existing process seen late (a poll's first sight of it).
        const start = next() < 0.1 ? clock - Math.floor(next() * 5) : clock;
        const added = row(pid, ppid, start);
        if (rows.has(added.key)) continue;
        rows.set(added.key, added);
        if (live.add(added)) incremental++;
        else {
          live.reset(rows.values());
          resets++;
        }
      }
      const rebuilt = buildProcessTree([...rows.values()]);
      expect(links(live.tree), `step ${step}`).toEqual(links(rebuilt));
      expect(isInCreationOrder(live.tree.roots), `roots at step ${step}`).toBe(true);
      for (const kids of live.tree.children.values()) expect(isInCreationOrder(kids), `children at step ${step}`).toBe(true);
    }
    // Both paths ran: most operations incrementally, some by a reset.
    expect(incremental).toBeGreaterThan(4_000);
    expect(resets).toBeGreaterThan(50);
  });

  it('makes the children of a removed row roots, and answers false for a pid two rows share', () => {
    const init = row(1, 0, 0);
    const bash = row(100, 1, 10);
    const child = row(200, 100, 20);
    const live = createLiveProcessTree([init, bash, child]);
    expect(live.tree.inCreationOrder).toBe(true);
    expect(live.remove(bash)).toBe(true);
    expect(live.tree.roots.map((r) => r.pid)).toEqual([1, 200]);
    expect(live.tree.children.has(bash.key)).toBe(false);
    // pid 200 recycled while the old row is still in the view (kept as exited): the caller must rebuild.
    expect(live.add(row(200, 1, 30))).toBe(false);
    expect(live.add(row(50, 7, 40))).toBe(true);
    // A new process whose pid a root names as its parent could adopt it: rebuild.
    const orphan = row(300, 999, 50);
    expect(live.add(orphan)).toBe(true);
    expect(live.add(row(999, 1, 60))).toBe(false);
  });
});
