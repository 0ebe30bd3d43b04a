import { describe, expect, it } from 'vitest';
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

  it('never hides the Process column, keeps column order and clamps widths', () => {
    const store = createAppStore();
    store.getState().setColumnVisible('name', false);
    store.getState().setColumnVisible('handleCount', true);
    store.getState().setColumnVisible('pid', false);
    store.getState().setColumnVisible('pid', true);
    expect(store.getState().visibleColumns.slice(0, 2)).toEqual(['name', 'pid']);
    expect(store.getState().visibleColumns.at(-1)).toBe('handleCount');
    store.getState().setColumnWidth('pid', 3);
    expect(store.getState().columnWidthsPx.pid).toBe(40);
  });
});
