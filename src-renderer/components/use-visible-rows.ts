/*
 * The rows the table shows. The tree is rebuilt only when its structure changes (rows come or go, a parent or
 * name changes), and the order only when that or a view setting changes, or when sorting by a value column
 * (CPU, memory, ...). A value-only delta therefore costs just the repaint of the rows on screen.
 */
import { useMemo } from 'react';
import { buildProcessTree } from '../../src-shared/tree/process-tree';
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
  const valueSorted = isValueSort(sortColumn ?? (flatList ? 'pid' : null), VALUE_FIELDS);
  // Only a value sort needs every delta; otherwise the order survives value changes.
  const orderVersion = useAppStore((s) => (valueSorted ? s.version : 0));
  // structureVersion stands for the in-place mutated rows map.
  const tree = useMemo(() => buildProcessTree([...appStore.getState().rows.values()]), [structureVersion]);
  return useMemo(
    () => computeVisibleRows(appStore.getState().rows.values(), { sortColumn, sortDirection, flatList, filterText, collapsed }, tree),
    [tree, orderVersion, sortColumn, sortDirection, flatList, filterText, collapsed],
  );
}
