/*
 * Process Explorer's keys on the selected row, for the process treegrid: Del (Kill Process, which asks first),
 * Shift+Del (Kill Process Tree), Ctrl+C (the row's visible columns, tab-separated, as PE copies a row), F5 (refresh
 * now, also while paused) and the double-click's Properties. The row actions run through the row menu's own entries,
 * so a key and the menu always do the same thing. Also how a keyboard move keeps the row clear of the sticky header.
 */
import type { ProcessRow } from '../../src-shared/model/process';
import type { ProcscopeApi } from '../api/procscope-api';
import { columnDef, type ColumnId } from '../format/columns';
import { appStore } from '../store/app-store';
import { ROW_MENU_ENTRIES, type RowMenuEntry, type RowMenuItem } from './row-menu-items';

function findItem(entries: readonly RowMenuEntry[], id: string): RowMenuItem | null {
  for (const entry of entries) {
    if (entry.kind === 'item' && entry.id === id) return entry;
    if (entry.kind === 'submenu') {
      const found = findItem(entry.items, id);
      if (found) return found;
    }
  }
  return null;
}

/** Runs a row menu entry ('kill', 'kill-tree', 'properties', …) on a row, as choosing it from the menu would. */
export function runRowMenuItem(id: string, row: ProcessRow, api: ProcscopeApi): void {
  const item = findItem(ROW_MENU_ENTRIES, id);
  const state = appStore.getState();
  const context = { api, capabilities: state.capabilities, openDialog: state.openDialog, notify: state.notify };
  if (!item || (item.isEnabled && !item.isEnabled(row, context))) return;
  void Promise.resolve(item.run(row, context)).catch((err: unknown) => state.notify(`${item.label} failed: ${err instanceof Error ? err.message : String(err)}`));
}

/** The row as Process Explorer's Ctrl+C copies it: the visible columns' texts in their order, tab-separated. */
export function rowAsTabSeparated(row: ProcessRow, columns: readonly ColumnId[]): string {
  return columns.map((c) => (c === 'name' ? row.name : columnDef(c).format(row)).replace(/[\t\r\n]+/g, ' ')).join('\t');
}

/**
 * Handles a PE key pressed in the list; true when it was one (the caller then prevents the default: F5 must not
 * reload the browser host's page). `row` is the selected row, or null.
 */
export function handleRowKey(e: { key: string; shiftKey: boolean; ctrlKey: boolean; metaKey: boolean; altKey: boolean }, row: ProcessRow | null, api: ProcscopeApi, columns: readonly ColumnId[]): boolean {
  const ctrl = e.ctrlKey || e.metaKey;
  if (e.key === 'F5' && !ctrl && !e.shiftKey && !e.altKey) {
    void api.request('procscope:refresh-now', {}).catch((err: unknown) => appStore.getState().notify(`Refresh failed: ${err instanceof Error ? err.message : String(err)}`));
    return true;
  }
  if (!row) return false;
  if (e.key === 'Delete' && !ctrl && !e.altKey) {
    runRowMenuItem(e.shiftKey ? 'kill-tree' : 'kill', row, api);
    return true;
  }
  if (ctrl && !e.shiftKey && !e.altKey && e.key.toLowerCase() === 'c') {
    const text = rowAsTabSeparated(row, columns);
    void navigator.clipboard?.writeText(`${text}\n`).catch(() => appStore.getState().notify('The row could not be copied: the clipboard refused it.'));
    return true;
  }
  return false;
}

/**
 * The scrollTop that shows row `index` whole, below a sticky header of `headerPx` (rows start under it in the
 * content), or null when it already is. react-virtual's scrollToIndex aligns to the scroll box's top, where the
 * header covers the row (Home, ↑ and PgUp left it there).
 */
export function scrollTopToReveal(index: number, scrollTop: number, clientHeight: number, rowPx: number, headerPx: number): number | null {
  const top = headerPx + index * rowPx;
  if (top < scrollTop + headerPx) return Math.max(0, top - headerPx);
  if (top + rowPx > scrollTop + clientHeight) return top + rowPx - clientHeight;
  return null;
}
