/*
 * The rows the table shows. The tree is the store's live tree, relinked row by row as deltas arrive (no rebuild of
 * 5,000 links per tick); the order is recomputed only when the structure or a view setting changes, or when sorting
 * by a value column (CPU, memory, ...). Each recomputation hands unchanged rows their previous entry objects, so
 * only the rows on screen whose entry or data changed render again, and copies the subtrees in which the tree's
 * change log names no change.
 */
import { useMemo, useRef } from 'react';
import { appStore, useAppStore } from '../store/app-store';
import { VALUE_FIELDS } from '../store/processes-slice';
import type { ProcessKey } from '../../src-shared/model/process';
import type { LiveProcessTree } from '../../src-shared/tree/live-process-tree';
import { changedSubtrees, computeVisibleRows, isValueSort, type ViewSettings, type VisibleRow } from '../store/visible-rows';

/** The list last drawn, and what it was drawn from. */
interface Drawn {
  list: VisibleRow[];
  /** The tree's change-log seq when it was drawn. */
  seq: number;
  tree: LiveProcessTree;
  view: ViewSettings;
}

function sameView(a: ViewSettings, b: ViewSettings): boolean {
  return a.sortColumn === b.sortColumn && a.sortDirection === b.sortDirection && a.flatList === b.flatList && a.filterText === b.filterText && a.collapsed === b.collapsed;
}

export function useVisibleRows(): VisibleRow[] {
  const structureVersion = useAppStore((s) => s.structureVersion);
  const sortColumn = useAppStore((s) => s.sortColumn);
  const sortDirection = useAppStore((s) => s.sortDirection);
  const flatList = useAppStore((s) => s.flatList);
  const filterText = useAppStore((s) => s.filterText);
  const collapsed = useAppStore((s) => (s.filterText.trim() ? s.filterCollapsed : s.collapsed));
  // A snapshot replaces the live tree object; deltas mutate it (structureVersion says when).
  const liveTree = useAppStore((s) => s.tree);
  const valueSorted = isValueSort(sortColumn ?? (flatList ? 'pid' : null), VALUE_FIELDS);
  // Only a value sort needs every delta; otherwise the order survives value changes.
  const orderVersion = useAppStore((s) => (valueSorted ? s.version : 0));
  const drawn = useRef<Drawn | null>(null);
  return useMemo(() => {
    const view: ViewSettings = { sortColumn, sortDirection, flatList, filterText, collapsed };
    const last = drawn.current;
    // Drawn from this very tree with the same settings: only the subtrees the tree's change log names are walked.
    let changed: Set<ProcessKey> | undefined;
    if (last && last.tree === liveTree && sameView(last.view, view)) {
      const parents = liveTree.changes.changedSince(last.seq);
      if (parents !== 'all') changed = changedSubtrees(liveTree.tree, parents);
    }
    const next = computeVisibleRows(appStore.getState().rows.values(), view, liveTree.tree, last?.list, changed);
    drawn.current = { list: next, seq: liveTree.changes.seq, tree: liveTree, view };
    return next;
    // structureVersion stands for the in-place mutated rows map and tree.
  }, [liveTree, structureVersion, orderVersion, sortColumn, sortDirection, flatList, filterText, collapsed]);
}
