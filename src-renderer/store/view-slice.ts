/*
 * How the user looks at the processes: sort, flat list, filter, collapsed branches, columns (which, in what order,
 * how wide), the category colours, the lower pane's flags, and the poller state mirrored from main (refresh
 * interval, pause, handle counts). Renderer-only state; changes that main must carry out go through the api, which
 * writes the confirmed state back here. What persists (view-persistence.ts) is read back with applyViewSettings().
 */
import type { StateCreator } from 'zustand';
import type { PollerState } from '../../src-shared/ipc/contract';
import type { ProcessKey } from '../../src-shared/model/process';
import type { ViewSettings } from '../../src-shared/model/view-settings';
import { COLUMN_BY_ID, COLUMNS, DEFAULT_VISIBLE_COLUMNS, type ColumnId } from '../format/columns';
import { CATEGORY_IDS, DEFAULT_CATEGORY_STYLES, type CategoryId, type CategoryStyle } from '../format/categories';
import type { SortDirection } from './visible-rows';
import type { LowerPaneMode } from './detail-slice';

export const MIN_COLUMN_WIDTH_PX = 40;
/** As the persisted view's schema allows. */
export const MAX_COLUMN_WIDTH_PX = 2000;

const defaultWidths = (): Record<ColumnId, number> =>
  Object.fromEntries(COLUMNS.map((c) => [c.id, c.defaultWidthPx])) as Record<ColumnId, number>;
const defaultCategories = (): Record<CategoryId, CategoryStyle> =>
  Object.fromEntries(CATEGORY_IDS.map((id) => [id, { ...DEFAULT_CATEGORY_STYLES[id] }])) as Record<CategoryId, CategoryStyle>;
const isColumnId = (id: string): id is ColumnId => COLUMN_BY_ID.has(id as ColumnId);

export interface ViewSlice {
  sortColumn: ColumnId | null;
  sortDirection: SortDirection;
  flatList: boolean;
  filterText: string;
  /** Branches collapsed in the unfiltered tree. */
  collapsed: Set<ProcessKey>;
  /** Branches collapsed while a filter is typed; starts empty with every new filter so matches are seen. */
  filterCollapsed: Set<ProcessKey>;
  /** Shown columns, left to right; 'name' (Process) is always first. */
  visibleColumns: ColumnId[];
  columnWidthsPx: Record<ColumnId, number>;
  categoryStyles: Record<CategoryId, CategoryStyle>;
  /** The account the host runs as (AppInfo.currentUser): whose processes are "own". */
  currentUser: string | null;
  /** The saved view has been applied (or there was none, or the host did not answer in time). */
  viewRestored: boolean;
  /** Options → Colours… / Keep Exited Processes… (one dialog, opened at either section), or closed. */
  viewOptions: 'colours' | 'highlight' | null;
  pollerState: PollerState | null;
  /** The lower pane (Ctrl+L) and what it lists of the selected process (Ctrl+D DLLs, Ctrl+H handles). */
  lowerPane: { visible: boolean; mode: LowerPaneMode };
  /** Click on a header: ascending, then descending, then back to the unsorted tree. */
  cycleSort(column: ColumnId): void;
  setFlatList(flat: boolean): void;
  setFilterText(text: string): void;
  setCollapsed(key: ProcessKey, collapsed: boolean): void;
  collapseAll(keys: Iterable<ProcessKey>): void;
  expandAll(): void;
  setColumnVisible(column: ColumnId, visible: boolean): void;
  setColumnWidth(column: ColumnId, widthPx: number): void;
  /** Moves a shown column by delta places (never before Process). */
  moveColumn(column: ColumnId, delta: number): void;
  /** Puts a shown column where another one is (drag and drop). */
  moveColumnTo(column: ColumnId, before: ColumnId): void;
  /** Process Explorer's default columns, order and widths. */
  resetColumns(): void;
  setCategoryStyle(category: CategoryId, style: Partial<CategoryStyle>): void;
  resetCategoryStyles(): void;
  setCurrentUser(user: string | null): void;
  setViewRestored(): void;
  openViewOptions(section: 'colours' | 'highlight' | null): void;
  /** The view part of a saved view (columns, widths, sort, flat list, lower pane, colours); unknown ids are dropped. */
  applyViewSettings(settings: ViewSettings): void;
  setPollerState(state: PollerState): void;
  setLowerPane(lowerPane: { visible: boolean; mode: LowerPaneMode }): void;
}

export const createViewSlice: StateCreator<ViewSlice, [], [], ViewSlice> = (set, get) => ({
  sortColumn: null,
  sortDirection: 'asc',
  flatList: false,
  filterText: '',
  collapsed: new Set(),
  filterCollapsed: new Set(),
  visibleColumns: [...DEFAULT_VISIBLE_COLUMNS],
  columnWidthsPx: defaultWidths(),
  categoryStyles: defaultCategories(),
  currentUser: null,
  viewRestored: false,
  viewOptions: null,
  pollerState: null,
  lowerPane: { visible: false, mode: 'dlls' },
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
    const current = get().visibleColumns;
    if (current.includes(column) === visible) return;
    // A column switched on goes to the right end, as in Process Explorer; the user moves it from there.
    set({ visibleColumns: visible ? [...current, column] : current.filter((c) => c !== column) });
  },
  setColumnWidth(column, widthPx) {
    const clamped = Math.min(MAX_COLUMN_WIDTH_PX, Math.max(MIN_COLUMN_WIDTH_PX, Math.round(widthPx)));
    if (get().columnWidthsPx[column] === clamped) return;
    set({ columnWidthsPx: { ...get().columnWidthsPx, [column]: clamped } });
  },
  moveColumn(column, delta) {
    const columns = [...get().visibleColumns];
    const from = columns.indexOf(column);
    if (from <= 0) return;
    const to = Math.max(1, Math.min(columns.length - 1, from + delta));
    if (to === from) return;
    columns.splice(from, 1);
    columns.splice(to, 0, column);
    set({ visibleColumns: columns });
  },
  moveColumnTo(column, before) {
    const columns = get().visibleColumns;
    if (column === 'name' || column === before || !columns.includes(column)) return;
    const to = columns.indexOf(before);
    if (to < 0) return;
    get().moveColumn(column, to - columns.indexOf(column));
  },
  resetColumns: () => set({ visibleColumns: [...DEFAULT_VISIBLE_COLUMNS], columnWidthsPx: defaultWidths() }),
  setCategoryStyle(category, style) {
    set({ categoryStyles: { ...get().categoryStyles, [category]: { ...get().categoryStyles[category], ...style } } });
  },
  resetCategoryStyles: () => set({ categoryStyles: defaultCategories() }),
  setCurrentUser: (currentUser) => set({ currentUser }),
  setViewRestored: () => set({ viewRestored: true }),
  openViewOptions: (viewOptions) => set({ viewOptions }),
  applyViewSettings(settings) {
    const shown = settings.columns.filter(isColumnId).filter((c) => c !== 'name');
    const widths = defaultWidths();
    for (const [id, px] of Object.entries(settings.widthsPx)) {
      if (isColumnId(id)) widths[id] = Math.min(MAX_COLUMN_WIDTH_PX, Math.max(MIN_COLUMN_WIDTH_PX, px));
    }
    const sort = settings.sort && isColumnId(settings.sort.column) ? settings.sort : null;
    set({
      visibleColumns: ['name', ...new Set(shown)],
      columnWidthsPx: widths,
      sortColumn: sort ? (sort.column as ColumnId) : null,
      sortDirection: sort ? sort.direction : 'asc',
      flatList: settings.flatList,
      lowerPane: { visible: settings.lowerPane.visible, mode: settings.lowerPane.view },
      categoryStyles: { ...defaultCategories(), ...settings.categories },
    });
  },
  setPollerState: (pollerState) => set({ pollerState }),
  setLowerPane: (lowerPane) => set({ lowerPane: { ...lowerPane } }),
});
