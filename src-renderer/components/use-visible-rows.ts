/*
 * The rows the table shows. The tree is the store's live tree, relinked row by row as deltas arrive (no rebuild of
 * 5,000 links per tick); the order is recomputed only when the structure or a view setting changes, or when sorting
 * by a value column (CPU, memory, ...). Each recomputation hands unchanged rows their previous entry objects, so
 * only the rows on screen whose entry or data changed render again.
 */
import { useMemo, useRef } from 'react';
import { appStore, useAppStore } from '../store/app-store';
import { VALUE_FIELDS } from '../store/processes-slice';
import { computeVisibleRows, isValueSort, type VisibleRow } from '../store/visible-rows';

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
  const previous = useRef<VisibleRow[]>([]);
  return useMemo(() => {
    const next = computeVisibleRows(appStore.getState().rows.values(), { sortColumn, sortDirection, flatList, filterText, collapsed }, liveTree.tree, previous.current);
    previous.current = next;
    return next;
    // structureVersion stands for the in-place mutated rows map and tree.
  }, [liveTree, structureVersion, orderVersion, sortColumn, sortDirection, flatList, filterText, collapsed]);
}
