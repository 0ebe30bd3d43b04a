import { describe, expect, it } from 'vitest';
import { DEFAULT_CATEGORY_STYLES, KNOWN_COLUMN_IDS } from '../../src-shared/model/view-settings';
import { COLUMN_BY_ID, COLUMNS } from '../format/columns';
import { createAppStore } from './app-store';

describe('view slice', () => {
  it('cycles a column through ascending, descending and the unsorted tree', () => {
    const store = createAppStore();
    store.getState().cycleSort('pid');
    expect([store.getState().sortColumn, store.getState().sortDirection]).toEqual(['pid', 'asc']);
    store.getState().cycleSort('pid');
    expect(store.getState().sortDirection).toBe('desc');
    store.getState().cycleSort('pid');
    expect(store.getState().sortColumn).toBeNull();
  });

  it('keeps the tree collapse state apart from the collapse state while filtering', () => {
    const store = createAppStore();
    store.getState().setCollapsed('1:1', true);
    store.getState().setFilterText('bash');
    store.getState().setCollapsed('2:2', true);
    expect([...store.getState().filterCollapsed]).toEqual(['2:2']);
    store.getState().setFilterText('bash -l');
    expect(store.getState().filterCollapsed.size).toBe(0);
    store.getState().setFilterText('');
    expect([...store.getState().collapsed]).toEqual(['1:1']);
  });

  it('never hides the Process column, adds a column at the right end and clamps widths', () => {
    const store = createAppStore();
    store.getState().setColumnVisible('name', false);
    store.getState().setColumnVisible('handleCount', true);
    store.getState().setColumnVisible('pid', false);
    store.getState().setColumnVisible('pid', true);
    expect(store.getState().visibleColumns[0]).toBe('name');
    expect(store.getState().visibleColumns.slice(-2)).toEqual(['handleCount', 'pid']);
    store.getState().setColumnWidth('pid', 3);
    expect(store.getState().columnWidthsPx.pid).toBe(40);
    store.getState().setColumnWidth('pid', 99_999);
    expect(store.getState().columnWidthsPx.pid).toBe(2000);
  });

  it('moves columns by keyboard steps and by drop, never before Process, and resets to the defaults', () => {
    const store = createAppStore();
    const cols = () => store.getState().visibleColumns.slice(0, 4);
    store.getState().moveColumn('cpuPercent', -1);
    expect(cols()).toEqual(['name', 'cpuPercent', 'pid', 'privateBytes']);
    store.getState().moveColumn('cpuPercent', -1);
    expect(cols()).toEqual(['name', 'cpuPercent', 'pid', 'privateBytes']);
    store.getState().moveColumn('name', 2);
    expect(cols()[0]).toBe('name');
    store.getState().moveColumnTo('privateBytes', 'cpuPercent');
    expect(cols()).toEqual(['name', 'privateBytes', 'cpuPercent', 'pid']);
    store.getState().moveColumnTo('pid', 'name');
    expect(cols()).toEqual(['name', 'pid', 'privateBytes', 'cpuPercent']);
    store.getState().setColumnWidth('pid', 300);
    store.getState().resetColumns();
    expect(store.getState().visibleColumns.slice(0, 3)).toEqual(['name', 'pid', 'cpuPercent']);
    expect(store.getState().columnWidthsPx.pid).toBe(70);
  });

  it('applies a saved view, dropping column ids this build does not know', () => {
    const store = createAppStore();
    store.getState().applyViewSettings({
      version: 1,
      // 'isService' is a row field the schema knows but no column of this build shows.
      columns: ['name', 'exePath', 'isService', 'pid'],
      widthsPx: { pid: 123, name: 20 },
      sort: { column: 'pid', direction: 'desc' },
      flatList: true,
      lowerPane: { visible: true, view: 'handles' },
      refreshIntervalMs: 1000,
      newHighlightMs: 0,
      keepExitedMs: 0,
      categories: { ...DEFAULT_CATEGORY_STYLES, own: { color: '#010203', enabled: false } },
    });
    const s = store.getState();
    expect(s.visibleColumns.filter((c) => COLUMN_BY_ID.has(c))).toEqual(s.visibleColumns);
    expect(s.visibleColumns[0]).toBe('name');
    expect(s.visibleColumns).toEqual(COLUMN_BY_ID.has('isService' as never) ? ['name', 'exePath', 'isService', 'pid'] : ['name', 'exePath', 'pid']);
    expect(s.columnWidthsPx.pid).toBe(123);
    // The saved 20 px is within the file's bounds but under the table's own minimum.
    expect(s.columnWidthsPx.name).toBe(40);
    expect([s.sortColumn, s.sortDirection, s.flatList]).toEqual(['pid', 'desc', true]);
    expect(s.lowerPane).toEqual({ visible: true, mode: 'handles' });
    expect(s.categoryStyles.own).toEqual({ color: '#010203', enabled: false });
  });

  it('knows every column id the persisted view may name', () => {
    for (const c of COLUMNS) expect(KNOWN_COLUMN_IDS).toContain(c.id);
  });
});
