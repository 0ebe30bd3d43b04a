/*
 * The rows the table shows, recomputed only when the process table (version) or a view setting changes.
 */
import { useMemo } from 'react';
import { appStore, useAppStore } from '../store/app-store';
import { computeVisibleRows, type VisibleRow } from '../store/visible-rows';

export function useVisibleRows(): VisibleRow[] {
  const version = useAppStore((s) => s.version);
  const sortColumn = useAppStore((s) => s.sortColumn);
  const sortDirection = useAppStore((s) => s.sortDirection);
  const flatList = useAppStore((s) => s.flatList);
  const filterText = useAppStore((s) => s.filterText);
  const collapsed = useAppStore((s) => (s.filterText.trim() ? s.filterCollapsed : s.collapsed));
  return useMemo(
    () => computeVisibleRows(appStore.getState().rows.values(), { sortColumn, sortDirection, flatList, filterText, collapsed }),
    // version stands for the in-place mutated rows map.
    [version, sortColumn, sortDirection, flatList, filterText, collapsed],
  );
}
