// computeVisibleRows with the live tree's change log (use-visible-rows.ts): in the unsorted, unfiltered tree the
// subtrees no change touched are copied from the previous list instead of walked. Checked against a full walk after
// every one of thousands of random adds and removes (orphans, recycled pids, resets), with collapsed rows; the copy
// must also really happen, or the cost it saves would not be saved.
import { describe, expect, it } from 'vitest';
import { emptyProcessRow, processKey, type ProcessKey, type ProcessRow } from '../../src-shared/model/process';
import { createSeededRandom } from '../../src-shared/seeded-random';
import { createLiveProcessTree } from '../../src-shared/tree/live-process-tree';
import { changedSubtrees, computeVisibleRows, type ViewSettings, type VisibleRow } from './visible-rows';

function row(pid: number, ppid: number, startTimeMs: number): ProcessRow {
  return { ...emptyProcessRow(pid, ppid, `p${pid}`, startTimeMs), key: processKey(pid, startTimeMs) };
}

/** Everything an entry says, with the row by identity. */
const shape = (list: readonly VisibleRow[]) => list.map((e) => [e.row, e.depth, e.hasChildren, e.expanded, e.isLastChild, e.lineContinues.join()]);

describe('visible rows from the change log', () => {
  it('equal a full walk through 6,000 random adds and removes, and copy most entries of the previous list', () => {
    const next = createSeededRandom(20261203);
    const rows = new Map<ProcessKey, ProcessRow>();
    let clock = 1_000;
    let nextPid = 1_000;
    const live = createLiveProcessTree<ProcessRow>();
    let collapsed: ReadonlySet<ProcessKey> = new Set();
    let view: ViewSettings = { sortColumn: null, sortDirection: 'asc', flatList: false, filterText: '', collapsed };
    let drawn = computeVisibleRows(rows.values(), view, live.tree);
    let drawnSeq = live.changes.seq;
    let withLog = 0;
    let kept = 0;
    let total = 0;
    for (let step = 0; step < 6_000; step++) {
      if (next() < 0.3) clock += 1;
      const all = [...rows.values()];
      // A few changes per draw, as a delta brings several.
      const ops = 1 + Math.floor(next() * 4);
      for (let op = 0; op < ops; op++) {
        if (all.length > 0 && next() < (rows.size > 300 ? 0.6 : 0.35)) {
          const victim = all[Math.floor(next() * all.length)]!;
          if (!rows.delete(victim.key)) continue;
          if (!live.remove(victim)) live.reset(rows.values());
        } else {
          // Mostly fresh pids, as a kernel hands them out; now and then a recycled one (which may force a reset).
          const pid = next() < 0.05 ? 1 + Math.floor(next() * 600) : nextPid++;
          const parent = all.length > 0 && next() < 0.9 ? all[Math.floor(next() * all.length)]! : null;
          const added = row(pid, parent ? parent.pid : Math.floor(next() * 601), next() < 0.1 ? clock - Math.floor(next() * 5) : clock);
          if (rows.has(added.key)) continue;
          rows.set(added.key, added);
          if (!live.add(added)) live.reset(rows.values());
        }
      }
      // Now and then the user collapses or expands a row: the view changes, so the next draw walks everything.
      let sameView = true;
      if (next() < 0.02 && all.length > 0) {
        const key = all[Math.floor(next() * all.length)]!.key;
        const set = new Set(collapsed);
        if (set.has(key)) set.delete(key);
        else set.add(key);
        collapsed = set;
        view = { ...view, collapsed };
        sameView = false;
      }
      const parents = live.changes.changedSince(drawnSeq);
      const changed = sameView && parents !== 'all' ? changedSubtrees(live.tree, parents) : undefined;
      if (changed) withLog++;
      const list = computeVisibleRows(rows.values(), view, live.tree, drawn, changed);
      expect(shape(list), `step ${step}`).toEqual(shape(computeVisibleRows(rows.values(), view, live.tree)));
      const before = new Set(drawn);
      kept += list.filter((e) => before.has(e)).length;
      total += list.length;
      drawn = list;
      drawnSeq = live.changes.seq;
    }
    // The log answered for most draws (not a reset or a view change), and most entries came back as they were.
    expect(withLog).toBeGreaterThan(4_500);
    expect(kept / total).toBeGreaterThan(0.8);
  });

  it('the change log names the lists that changed, and says "all" after a reset or once it has forgotten', () => {
    const init = row(1, 0, 0);
    const bash = row(100, 1, 10);
    const child = row(200, 100, 20);
    const live = createLiveProcessTree([init, bash, child]);
    const s0 = live.changes.seq;
    expect(live.changes.changedSince(s0)).toEqual(new Set());
    expect(live.changes.changedSince(s0 - 1)).toBe('all');
    live.add(row(300, 100, 30));
    expect(live.changes.changedSince(s0)).toEqual(new Set([bash.key]));
    const s1 = live.changes.seq;
    // Removing bash changes init's list, bash's own (gone) and the roots (its children become roots).
    live.remove(bash);
    expect(live.changes.changedSince(s1)).toEqual(new Set([init.key, bash.key, null]));
    expect(changedSubtrees(live.tree, live.changes.changedSince(s1) as Set<ProcessKey | null>)).toEqual(new Set([init.key, bash.key]));
    const s2 = live.changes.seq;
    live.reset([init, child]);
    expect(live.changes.changedSince(s2)).toBe('all');
    const s3 = live.changes.seq;
    for (let i = 0; i < 5_000; i++) live.add(row(1_000 + i, 1, 100 + i));
    expect(live.changes.changedSince(s3)).toBe('all');
    expect(live.changes.changedSince(live.changes.seq - 10)).toEqual(new Set([init.key]));
  });
});
