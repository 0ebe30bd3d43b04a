/*
 * The process tree kept up to date row by row, for a view that receives deltas (the renderer's table): a delta that
 * adds 50 processes and removes 50 costs O(changes × siblings) instead of a rebuild of all 5,000 links per tick.
 * Its links are exactly buildProcessTree's (same parent rule: the row whose pid is the ppid and that started no
 * later; otherwise a root), and every list of siblings (and the roots) is kept in creation order — start time,
 * then pid, the order of the unsorted tree — so a view in that order need not sort at all.
 *
 * An add or remove that could move links other than its own answers false, and the caller rebuilds with reset():
 * a pid that two rows share (a recycled pid while the old row is still shown as exited: adding the second row or
 * removing either of them), or a new row whose pid is
 * the ppid of an existing root (that root could become its child). Both are rare; correctness never depends on
 * guessing them right. Pure: no I/O.
 */
import type { ProcessKey, ProcessRow } from '../model/process';
import { buildProcessTree, type ProcessTree } from './process-tree';

export interface LiveProcessTree<R extends ProcessRow = ProcessRow> {
  /** Mutated in place by add/remove/reset; its lists are in creation order (`inCreationOrder`). */
  readonly tree: ProcessTree<R>;
  reset(rows: Iterable<R>): void;
  /** Links a new row. False: the row may change other links; call reset() with every row. */
  add(row: R): boolean;
  /** Unlinks a row; its children become roots. False: call reset() with the remaining rows. */
  remove(row: R): boolean;
  /** Which lists changed since a given moment, for a view that redraws only those (visible-rows.ts). */
  readonly changes: TreeChangeLog;
}

/**
 * The parents whose list of children changed, in order: a view that remembers `seq` when it drew the tree can ask
 * later which lists to walk again and keep the rest of what it drew.
 */
export interface TreeChangeLog {
  /** Bumped by every change (add, remove, reset). */
  readonly seq: number;
  /**
   * The parents (null: the roots) whose children changed after `since` (an earlier `seq`), or 'all' when that is no
   * longer known: a reset since, or more changes than the log keeps.
   */
  changedSince(since: number): ReadonlySet<ProcessKey | null> | 'all';
}

/** How many changes the log keeps (a churning table makes ~100 per delta); an older `since` answers 'all'. */
const CHANGE_LOG_LIMIT = 4096;

/** The unsorted tree's order (compareRows(null) in the renderer): start time, then pid. */
export function creationOrder(a: ProcessRow, b: ProcessRow): number {
  return a.startTimeMs - b.startTimeMs || a.pid - b.pid;
}

/** Inserts `row` into `list` (in creation order) at its place; new processes land at the end, so search from there. */
function insertOrdered<R extends ProcessRow>(list: R[], row: R): void {
  let i = list.length;
  while (i > 0 && creationOrder(list[i - 1]!, row) > 0) i--;
  list.splice(i, 0, row);
}

function removeFrom<R extends ProcessRow>(list: R[], row: R): void {
  const i = list.lastIndexOf(row);
  if (i >= 0) list.splice(i, 1);
}

export function createLiveProcessTree<R extends ProcessRow>(rows: Iterable<R> = []): LiveProcessTree<R> {
  const tree: ProcessTree<R> = { roots: [], children: new Map(), parentOf: new Map(), inCreationOrder: true };
  const byPid = new Map<number, R>();
  /** Pids two or more rows shared at the last reset (add() never makes more): removing one may relink the others. */
  const sharedPids = new Set<number>();
  /** Roots by their ppid (a root's ppid is no live row's pid, or one started after it): how many of each. */
  const rootsByPpid = new Map<number, number>();
  const countRoot = (row: R, by: 1 | -1): void => {
    const n = (rootsByPpid.get(row.ppid) ?? 0) + by;
    if (n > 0) rootsByPpid.set(row.ppid, n);
    else rootsByPpid.delete(row.ppid);
  };

  let seq = 0;
  /** Changes after this seq are all in the log; a reset or a trim moves it. */
  let knownAfter = 0;
  let log: { seq: number; parent: ProcessKey | null }[] = [];
  const changed = (parent: ProcessKey | null): void => {
    log.push({ seq: ++seq, parent });
    if (log.length > CHANGE_LOG_LIMIT) {
      log = log.slice(log.length - CHANGE_LOG_LIMIT / 2);
      knownAfter = log[0]!.seq - 1;
    }
  };
  const changes: TreeChangeLog = {
    get seq() {
      return seq;
    },
    changedSince(since) {
      if (since < knownAfter) return 'all';
      const out = new Set<ProcessKey | null>();
      for (let i = log.length - 1; i >= 0 && log[i]!.seq > since; i--) out.add(log[i]!.parent);
      return out;
    },
  };

  function reset(all: Iterable<R>): void {
    knownAfter = ++seq;
    log = [];
    const list = [...all];
    const built = buildProcessTree(list);
    tree.roots = built.roots.sort(creationOrder);
    tree.children = built.children;
    for (const kids of tree.children.values()) kids.sort(creationOrder);
    tree.parentOf = built.parentOf;
    byPid.clear();
    sharedPids.clear();
    // As buildProcessTree: when two rows share a pid, the later one in the input is the one a ppid finds.
    for (const row of list) {
      if (byPid.has(row.pid)) sharedPids.add(row.pid);
      byPid.set(row.pid, row);
    }
    rootsByPpid.clear();
    for (const root of tree.roots) countRoot(root, 1);
  }

  reset(rows);

  return {
    tree,
    reset,
    changes,
    add(row) {
      if (byPid.has(row.pid) || rootsByPpid.has(row.pid)) return false;
      byPid.set(row.pid, row);
      // A new row has no children (no row names its pid as ppid: no root does, and a linked row's parent is another
      // row with that pid, which there is none), so linking it can close no cycle.
      const parent = row.ppid !== row.pid ? byPid.get(row.ppid) : undefined;
      if (parent && parent.startTimeMs <= row.startTimeMs) {
        tree.parentOf.set(row.key, parent.key);
        const kids = tree.children.get(parent.key);
        if (kids) insertOrdered(kids, row);
        else tree.children.set(parent.key, [row]);
        changed(parent.key);
      } else {
        insertOrdered(tree.roots, row);
        countRoot(row, 1);
        changed(null);
      }
      return true;
    },
    remove(row) {
      if (byPid.get(row.pid) !== row || sharedPids.has(row.pid)) return false;
      byPid.delete(row.pid);
      const parentKey = tree.parentOf.get(row.key);
      if (parentKey !== undefined) {
        tree.parentOf.delete(row.key);
        const siblings = tree.children.get(parentKey);
        if (siblings) {
          removeFrom(siblings, row);
          if (siblings.length === 0) tree.children.delete(parentKey);
        }
        changed(parentKey);
      } else {
        removeFrom(tree.roots, row);
        countRoot(row, -1);
        changed(null);
      }
      // Its children lose their parent: with no other row of that pid (byPid held this one), each becomes a root.
      const orphans = tree.children.get(row.key);
      if (orphans) {
        tree.children.delete(row.key);
        for (const child of orphans) {
          tree.parentOf.delete(child.key);
          insertOrdered(tree.roots, child);
          countRoot(child, 1);
        }
        changed(row.key);
        changed(null);
      }
      return true;
    },
  };
}

