/*
 * Turns the live rows plus the view settings into the list the table draws: the process tree with siblings sorted
 * by the chosen column (the tree itself never reorders), or a flat sorted list; the filter keeps every ancestor of
 * a match so a match is always seen in place. Pure and DOM-free: it runs on every delta, so it stays O(n log n).
 */
import type { ProcessKey, ProcessRow } from '../../src-shared/model/process';
import { buildProcessTree, type ProcessTree } from '../../src-shared/tree/process-tree';
import { columnDef, type ColumnId } from '../format/columns';

export type SortDirection = 'asc' | 'desc';

export interface ViewSettings {
  sortColumn: ColumnId | null;
  sortDirection: SortDirection;
  flatList: boolean;
  filterText: string;
  /** While filtering, the view passes the filter's own collapsed set (see view-slice), so matches start open. */
  collapsed: ReadonlySet<ProcessKey>;
}

export interface VisibleRow {
  row: ProcessRow;
  /** 0 for roots. */
  depth: number;
  hasChildren: boolean;
  expanded: boolean;
  /** For each ancestor level 1..depth: whether a vertical tree line continues there (the branch has more rows). */
  lineContinues: boolean[];
  isLastChild: boolean;
}

export function compareRows(column: ColumnId | null, direction: SortDirection): (a: ProcessRow, b: ProcessRow) => number {
  const sign = direction === 'asc' ? 1 : -1;
  if (column === null) {
    // Unsorted tree: creation order, as Process Explorer shows it.
    return (a, b) => a.startTimeMs - b.startTimeMs || a.pid - b.pid;
  }
  const def = columnDef(column);
  return (a, b) => {
    const va = def.value(a);
    const vb = def.value(b);
    if (va === null || vb === null) {
      // Unknown values go last in either direction.
      if (va !== vb) return va === null ? 1 : -1;
      return a.pid - b.pid;
    }
    const c =
      typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb), 'en', { sensitivity: 'base' });
    return c !== 0 ? sign * c : a.pid - b.pid;
  };
}

export function rowMatchesFilter(row: ProcessRow, needleLower: string): boolean {
  if (!needleLower) return true;
  if (String(row.pid) === needleLower) return true;
  if (row.name.toLowerCase().includes(needleLower)) return true;
  return row.commandLine !== null && row.commandLine.toLowerCase().includes(needleLower);
}

/** Whether the order of rows depends on values that change with every sample (see VALUE_FIELDS). */
export function isValueSort(column: ColumnId | null, valueFields: ReadonlySet<string>): boolean {
  return column !== null && valueFields.has(column);
}

/** The guides of a root or a flat row: none. Shared, never mutated. */
const NO_LINES: boolean[] = [];
/** The children of a leaf (most rows): shared, never mutated. */
const NO_KIDS: ProcessRow[] = [];

type MakeEntry = (row: ProcessRow, depth: number, hasChildren: boolean, expanded: boolean, lineContinues: boolean[], isLastChild: boolean) => VisibleRow;

const freshEntry: MakeEntry = (row, depth, hasChildren, expanded, lineContinues, isLastChild) => ({ row, depth, hasChildren, expanded, lineContinues, isLastChild });

/**
 * How many entries each entry of a tree list stands for (itself and its visible descendants), by list: what lets
 * the next call copy a subtree that did not change instead of walking it again.
 */
const subtreeSizes = new WeakMap<readonly VisibleRow[], readonly number[]>();

interface EntryReuse {
  entry: MakeEntry;
  /**
   * Right after `entry` handed back an old entry: appends that entry's old descendants to `out` (and their sizes to
   * `sizes`) and answers true; false when there is none to copy (a new entry, or no sizes for the old list).
   */
  copyDescendants(out: VisibleRow[], sizes: number[]): boolean;
}

/**
 * Hands out the entries of the previous list again where nothing about a row's entry changed, so a row view's
 * memo() sees the same object and skips rendering. The lists are walked in step: a row is looked for a few places
 * ahead of where the last match was, which follows the rows that came and went since. A new object is made only
 * for a row whose entry changed.
 */
function createEntryReuse(previous: readonly VisibleRow[] | undefined): EntryReuse {
  if (!previous || previous.length === 0) return { entry: freshEntry, copyDescendants: () => false };
  const LOOKAHEAD = 16;
  const sizes = subtreeSizes.get(previous);
  let cursor = 0;
  /** The index of the old entry the last call handed back, or -1. */
  let matched = -1;
  return {
    entry(row, depth, hasChildren, expanded, lineContinues, isLastChild) {
      matched = -1;
      const end = Math.min(previous.length, cursor + LOOKAHEAD);
      for (let i = cursor; i < end; i++) {
        const old = previous[i]!;
        if (old.row !== row) continue;
        cursor = i + 1;
        if (old.depth === depth && old.hasChildren === hasChildren && old.expanded === expanded && old.isLastChild === isLastChild && sameLines(old.lineContinues, lineContinues)) {
          matched = i;
          return old;
        }
        break;
      }
      return freshEntry(row, depth, hasChildren, expanded, lineContinues, isLastChild);
    },
    copyDescendants(out, outSizes) {
      if (matched < 0 || !sizes) return false;
      const end = matched + sizes[matched]!;
      for (let i = matched + 1; i < end; i++) {
        out.push(previous[i]!);
        outSizes.push(sizes[i]!);
      }
      cursor = end;
      matched = -1;
      return true;
    },
  };
}

/**
 * The rows whose subtree changed since a list was drawn: the parents whose children changed (TreeChangeLog) and
 * every ancestor of theirs. The subtree of any other row is as it was, and computeVisibleRows may copy it.
 */
export function changedSubtrees(tree: ProcessTree, changedParents: ReadonlySet<ProcessKey | null>): Set<ProcessKey> {
  const dirty = new Set<ProcessKey>();
  for (const parent of changedParents) {
    for (let key: ProcessKey | undefined = parent ?? undefined; key !== undefined && !dirty.has(key); key = tree.parentOf.get(key)) dirty.add(key);
  }
  return dirty;
}

function sameLines(a: readonly boolean[], b: readonly boolean[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * `tree` may be passed in when the caller has one for these rows already (it is the costly part); `previous`, the
 * list this call replaces, lets unchanged rows keep their entry objects (see createEntryReuse). `changed`, given
 * when `previous` was drawn from the same tree object with the same view settings, names the rows whose subtree has
 * changed since (changedSubtrees): in the unsorted, unfiltered tree every other expanded row's descendants are
 * copied from `previous` instead of walked again — a churning table changes a few hundred of 5,000 rows per tick.
 */
export function computeVisibleRows(
  rows: Iterable<ProcessRow>,
  view: ViewSettings,
  prebuilt?: ProcessTree,
  previous?: readonly VisibleRow[],
  changed?: ReadonlySet<ProcessKey>,
): VisibleRow[] {
  const sortColumn = view.sortColumn ?? (view.flatList ? 'pid' : null);
  const compare = compareRows(sortColumn, view.sortDirection);
  const needle = view.filterText.trim().toLowerCase();

  if (view.flatList) {
    const reuse = createEntryReuse(previous).entry;
    const all = [...rows];
    const list = needle ? all.filter((r) => rowMatchesFilter(r, needle)) : all;
    list.sort(compare);
    return list.map((row) => reuse(row, 0, false, false, NO_LINES, false));
  }

  // The rows themselves are read only when there is no tree yet or a filter to run.
  const all = prebuilt && !needle ? [] : [...rows];
  const tree = prebuilt ?? buildProcessTree(all);
  // The unsorted tree's order is creation order, in which a live tree already keeps every list.
  const presorted = sortColumn === null && tree.inCreationOrder === true;
  let keep: Set<ProcessKey> | null = null;
  if (needle) {
    keep = new Set();
    for (const row of all) {
      if (!rowMatchesFilter(row, needle)) continue;
      let key: ProcessKey | undefined = row.key;
      while (key !== undefined && !keep.has(key)) {
        keep.add(key);
        key = tree.parentOf.get(key);
      }
    }
  }
  const visibleKids = (key: ProcessKey): ProcessRow[] => {
    const kids = tree.children.get(key);
    if (!kids || kids.length === 0) return NO_KIDS;
    return keep ? kids.filter((k) => keep!.has(k.key)) : kids;
  };

  const out: VisibleRow[] = [];
  const sizes: number[] = [];
  const entries = createEntryReuse(previous);
  // Copying needs a walk in the order `previous` was drawn in: the unsorted, unfiltered tree.
  const copyable = changed !== undefined && presorted && !keep ? changed : null;
  const isCollapsed = (key: ProcessKey) => view.collapsed.has(key);
  const walk = (siblings: ProcessRow[], depth: number, lines: boolean[]) => {
    const sorted = siblings.length > 1 && !presorted ? [...siblings].sort(compare) : siblings;
    for (let i = 0; i < sorted.length; i++) {
      const row = sorted[i]!;
      const kids = visibleKids(row.key);
      const isLastChild = i === sorted.length - 1;
      const expanded = kids.length > 0 && !isCollapsed(row.key);
      const at = out.length;
      out.push(entries.entry(row, depth, kids.length > 0, expanded, lines, isLastChild));
      sizes.push(1);
      // Its old entry came back (same place, depth and guides) and nothing below it changed: so did its subtree.
      if (expanded && !(copyable && !copyable.has(row.key) && entries.copyDescendants(out, sizes))) {
        walk(kids, depth + 1, depth === 0 ? NO_LINES : [...lines, !isLastChild]);
      }
      sizes[at] = out.length - at;
    }
  };
  walk(keep ? tree.roots.filter((r) => keep!.has(r.key)) : tree.roots, 0, NO_LINES);
  subtreeSizes.set(out, sizes);
  return out;
}
