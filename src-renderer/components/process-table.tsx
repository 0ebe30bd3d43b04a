/*
 * The process treegrid: header, virtualised rows (@tanstack/react-virtual, so 5,000 processes cost only the rows
 * on screen), keyboard navigation as in Process Explorer (↑/↓ select, ← collapse or go to parent, → expand or go
 * to the first child) and the row context menu (right-click, the ContextMenu key, Shift+F10). Selection is by process key and survives every update.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useMemo, useRef, useState, type CSSProperties, type KeyboardEvent, type MouseEvent } from 'react';
import type { ProcessRow } from '../../src-shared/model/process';
import { useApi } from '../api/api-context';
import { isConnected, useConnection } from '../api/connection';
import { appStore, useAppStore } from '../store/app-store';
import type { VisibleRow } from '../store/visible-rows';
import { ColumnHeaderRow } from './column-header';
import { ProcessRowView, rowDomId } from './process-row-view';
import { RowContextMenu } from './row-context-menu';
import { handleRowKey, runRowMenuItem, scrollTopToReveal } from './row-keys';
import { useVisibleRows } from './use-visible-rows';

export const ROW_HEIGHT_PX = 20;
const HEADER_HEIGHT_PX = 24;

export function ProcessTable() {
  const rows = useVisibleRows();
  const api = useApi();
  // Disconnected (browser host gone), the list is greyed and offers no action (disconnected-banner.tsx).
  const connection = useConnection();
  const columns = useAppStore((s) => s.visibleColumns);
  const widths = useAppStore((s) => s.columnWidthsPx);
  const selectedKey = useAppStore((s) => s.selectedKey);
  const rowStatus = useAppStore((s) => s.rowStatus);
  const rowRevision = useAppStore((s) => s.rowRevision);
  useAppStore((s) => s.version); // rowStatus is mutated in place
  const categoryStyles = useAppStore((s) => s.categoryStyles);
  const currentUser = useAppStore((s) => s.currentUser);
  // The saved view (columns, widths, sort) comes first, so the table does not paint the defaults and then jump.
  const viewRestored = useAppStore((s) => s.viewRestored);
  const scrollRef = useRef<HTMLDivElement>(null);
  const [menu, setMenu] = useState<{ row: ProcessRow; x: number; y: number } | null>(null);

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT_PX,
    overscan: 12,
    scrollMargin: HEADER_HEIGHT_PX,
  });

  // One scan for one key: cheaper per tick than a 5,000-entry index that only this lookup would use.
  const selectedIndex = useMemo(() => (selectedKey === null ? -1 : rows.findIndex((r) => r.row.key === selectedKey)), [rows, selectedKey]);
  const template = columns.map((c) => `${widths[c]}px`).join(' ');
  const totalWidth = columns.reduce((sum, c) => sum + widths[c], 0);

  /** Scrolls row `index` fully into view below the sticky header (react-virtual's align would leave it under it). */
  const revealRow = useCallback((index: number) => {
    const el = scrollRef.current;
    if (!el) return;
    const top = scrollTopToReveal(index, el.scrollTop, el.clientHeight, ROW_HEIGHT_PX, HEADER_HEIGHT_PX);
    if (top !== null) el.scrollTop = top;
  }, []);
  const selectIndex = useCallback(
    (index: number) => {
      const entry = rows[Math.max(0, Math.min(rows.length - 1, index))];
      if (!entry) return;
      appStore.getState().select(entry.row.key);
      revealRow(rows.indexOf(entry));
    },
    [rows, revealRow],
  );
  /** Rows a page moves by (PageUp/PageDown), one fewer than fit, as in Windows' lists. */
  const pageRows = (): number => Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 400) / ROW_HEIGHT_PX) - 1);
  /** The row just expanded: once its children are laid out, they are scrolled into view (below). */
  const revealKey = useRef<string | null>(null);
  const toggle = useCallback((entry: VisibleRow) => {
    if (!entry.expanded) revealKey.current = entry.row.key;
    appStore.getState().setCollapsed(entry.row.key, entry.expanded);
  }, []);
  const onSelect = useCallback((entry: VisibleRow) => appStore.getState().select(entry.row.key), []);
  const onContextMenu = useCallback((entry: VisibleRow, event: MouseEvent) => {
    event.preventDefault();
    event.stopPropagation();
    if (!isConnected()) return; // every entry asks the host, which is gone
    appStore.getState().select(entry.row.key);
    setMenu({ row: entry.row, x: event.clientX, y: event.clientY });
  }, []);
  /** The keyboard's way in: the menu opens at the selected row, as it does in Windows' own lists. */
  const openMenuAtSelection = useCallback(() => {
    const entry = rows[selectedIndex];
    if (!entry || !isConnected()) return;
    const rect = document.getElementById(rowDomId(entry.row.key))?.getBoundingClientRect();
    const gridRect = scrollRef.current?.getBoundingClientRect();
    setMenu({ row: entry.row, x: (gridRect?.left ?? 0) + 40, y: rect ? rect.bottom : (gridRect?.top ?? 0) + HEADER_HEIGHT_PX });
  }, [rows, selectedIndex]);
  const closeMenu = useCallback((restoreFocus: boolean) => {
    setMenu(null);
    if (restoreFocus) scrollRef.current?.focus();
  }, []);

  useEffect(() => {
    // As Windows' tree view does on expand: bring the opened branch into view, as much of it as fits below its
    // parent, without scrolling the parent itself out at the top. Otherwise a row opened at the bottom edge seems
    // to open to nothing.
    const key = revealKey.current;
    if (key === null) return;
    revealKey.current = null;
    const parent = rows.findIndex((r) => r.row.key === key);
    if (parent < 0) return;
    let last = parent;
    while (last + 1 < rows.length && rows[last + 1]!.depth > rows[parent]!.depth) last++;
    if (last === parent) return;
    virtualizer.scrollToIndex(Math.min(last, parent + Math.max(1, pageRows() - 1)), { align: 'auto' });
  }, [rows, virtualizer]);

  useEffect(() => {
    // Keep a keyboard-selected row in view when rows above it come and go.
    if (selectedIndex >= 0 && document.activeElement === scrollRef.current) revealRow(selectedIndex);
  }, [selectedIndex, revealRow]);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey)) {
      e.preventDefault();
      return openMenuAtSelection();
    }
    const current = rows[selectedIndex];
    // Process Explorer's keys: Del, Shift+Del, Ctrl+C, F5 (row-keys.ts).
    if (isConnected() && handleRowKey(e, current?.row ?? null, api, columns)) return e.preventDefault();
    const page = pageRows();
    const moves: Record<string, () => void> = {
      ArrowDown: () => selectIndex(selectedIndex + 1),
      ArrowUp: () => selectIndex(selectedIndex <= 0 ? 0 : selectedIndex - 1),
      PageDown: () => selectIndex(selectedIndex + page),
      PageUp: () => selectIndex(selectedIndex - page),
      Home: () => selectIndex(0),
      End: () => selectIndex(rows.length - 1),
      ArrowRight: () => {
        if (!current?.hasChildren) return;
        if (!current.expanded) toggle(current);
        else selectIndex(selectedIndex + 1);
      },
      ArrowLeft: () => {
        if (!current) return;
        if (current.expanded) return toggle(current);
        for (let i = selectedIndex - 1; i >= 0; i--) if (rows[i]!.depth < current.depth) return selectIndex(i);
      },
      Enter: () => current && current.hasChildren && toggle(current),
    };
    const move = moves[e.key];
    if (!move) return;
    e.preventDefault();
    move();
  };

  const gridStyle = { '--grid-columns': template, '--grid-width': `${totalWidth}px` } as CSSProperties;
  return (
    <>
    <div
      ref={scrollRef}
      role="treegrid"
      aria-label="Processes"
      aria-rowcount={rows.length + 1}
      aria-colcount={columns.length}
      aria-activedescendant={selectedIndex >= 0 ? rowDomId(rows[selectedIndex]!.row.key) : undefined}
      aria-disabled={connection.state.connected ? undefined : true}
      tabIndex={0}
      className="process-grid"
      style={gridStyle}
      onKeyDown={onKeyDown}
      onDoubleClickCapture={(e) => {
        // Double-click opens Properties, as in Process Explorer (the twisty still folds a branch).
        const rowEl = (e.target as HTMLElement).closest('[role="row"]');
        const entry = rowEl ? rows.find((r) => rowDomId(r.row.key) === rowEl.id) : undefined;
        if (!entry) return;
        e.stopPropagation();
        if (isConnected() && !(e.target as HTMLElement).closest('.twisty')) runRowMenuItem('properties', entry.row, api);
      }}
      onContextMenu={(e) => {
        // The ContextMenu key fires contextmenu on the focused grid itself (rows stop their own).
        e.preventDefault();
        if (e.target === scrollRef.current) openMenuAtSelection();
      }}
    >
      <ColumnHeaderRow />
      <div role="rowgroup" className="grid-body" style={{ height: virtualizer.getTotalSize() }}>
        {viewRestored && virtualizer.getVirtualItems().map((item) => {
          const entry = rows[item.index]!;
          return (
            <ProcessRowView
              key={entry.row.key}
              entry={entry}
              columns={columns}
              widths={widths}
              rowIndex={item.index}
              selected={entry.row.key === selectedKey}
              status={rowStatus.get(entry.row.key)}
              revision={rowRevision.get(entry.row.key) ?? 0}
              offsetPx={item.start - HEADER_HEIGHT_PX}
              categoryStyles={categoryStyles}
              currentUser={currentUser}
              onSelect={onSelect}
              onToggle={toggle}
              onContextMenu={onContextMenu}
            />
          );
        })}
      </div>
      {(rows.length === 0 || !viewRestored) && (
        <div className="empty-note">{!viewRestored || appStore.getState().seq === null ? 'Reading processes…' : 'No process matches the filter.'}</div>
      )}
    </div>
    {menu && <RowContextMenu row={menu.row} x={menu.x} y={menu.y} onClose={closeMenu} />}
    </>
  );
}
