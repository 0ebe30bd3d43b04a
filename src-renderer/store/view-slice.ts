/*
 * How the user looks at the processes: sort, flat list, filter, collapsed branches, columns and their widths, and
 * the poller state mirrored from main (refresh interval, pause, handle counts). Renderer-only state; changes that
 * main must carry out go through the api, which writes the confirmed state back here.
 */
import type { StateCreator } from 'zustand';
import type { PollerState } from '../../src-shared/ipc/contract';
import type { ProcessKey } from '../../src-shared/model/process';
import { COLUMNS, DEFAULT_VISIBLE_COLUMNS, type ColumnId } from '../format/columns';
import type { SortDirection } from './visible-rows';

export const MIN_COLUMN_WIDTH_PX = 40;

export interface ViewSlice {
  sortColumn: ColumnId | null;
  sortDirection: SortDirection;
  flatList: boolean;
  filterText: string;
  /** Branches collapsed in the unfiltered tree. */
  collapsed: Set<ProcessKey>;
  /** Branches collapsed while a filter is typed; starts empty with every new filter so matches are seen. */
  filterCollapsed: Set<ProcessKey>;
  visibleColumns: ColumnId[];
  columnWidthsPx: Record<ColumnId, number>;
  pollerState: PollerState | null;
  /** Click on a header: ascending, then descending, then back to the unsorted tree. */
  cycleSort(column: ColumnId): void;
  setFlatList(flat: boolean): void;
  setFilterText(text: string): void;
  setCollapsed(key: ProcessKey, collapsed: boolean): void;
  collapseAll(keys: Iterable<ProcessKey>): void;
  expandAll(): void;
  setColumnVisible(column: ColumnId, visible: boolean): void;
  setColumnWidth(column: ColumnId, widthPx: number): void;
  setPollerState(state: PollerState): void;
}

export const createViewSlice: StateCreator<ViewSlice, [], [], ViewSlice> = (set, get) => ({
  sortColumn: null,
  sortDirection: 'asc',
  flatList: false,
  filterText: '',
  collapsed: new Set(),
  filterCollapsed: new Set(),
  visibleColumns: [...DEFAULT_VISIBLE_COLUMNS],
  columnWidthsPx: Object.fromEntries(COLUMNS.map((c) => [c.id, c.defaultWidthPx])) as Record<ColumnId, number>,
  pollerState: null,
  cycleSort(column) {
    const { sortColumn, sortDirection } = get();
    if (sortColumn !== column) set({ sortColumn: column, sortDirection: 'asc' });
    else if (sortDirection === 'asc') set({ sortDirection: 'desc' });
    else set({ sortColumn: null, sortDirection: 'asc' });
  },
  setFlatList: (flatList) => set({ flatList }),
  setFilterText: (filterText) => set({ filterText, filterCollapsed: new Set() }),
  setCollapsed(key, collapsed) {
    const field = get().filterText.trim() ? 'filterCollapsed' : 'collapsed';
    const next = new Set(get()[field]);
    if (collapsed) next.add(key);
    else next.delete(key);
    set({ [field]: next });
  },
  collapseAll: (keys) => set({ [get().filterText.trim() ? 'filterCollapsed' : 'collapsed']: new Set(keys) }),
  expandAll: () => set({ [get().filterText.trim() ? 'filterCollapsed' : 'collapsed']: new Set() }),
  setColumnVisible(column, visible) {
    if (column === 'name') return; // The tree column is always there.
    const current = get().visibleColumns.filter((c) => c !== column);
    if (visible) {
      const order = COLUMNS.map((c) => c.id);
      current.push(column);
      current.sort((a, b) => order.indexOf(a) - order.indexOf(b));
    }
    set({ visibleColumns: current });
  },
  setColumnWidth(column, widthPx) {
    set({ columnWidthsPx: { ...get().columnWidthsPx, [column]: Math.max(MIN_COLUMN_WIDTH_PX, Math.round(widthPx)) } });
  },
  setPollerState: (pollerState) => set({ pollerState }),
});
