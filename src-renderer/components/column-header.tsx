/*
 * The header row: one sortable column header per visible column, each with a resize handle at its right edge
 * (drag it; or focus it and press ←/→, Shift for 1 px steps, Home for the default width). The Process header stays
 * frozen at the left edge when the table scrolls sideways, as its cells do (styles.css). A header dragged onto
 * another moves its column there, as in Process Explorer (the column chooser's ↑/↓ buttons do it by keyboard).
 */
import { useRef } from 'react';
import { columnDef, type ColumnId } from '../format/columns';
import { appStore, useAppStore } from '../store/app-store';
import { MAX_COLUMN_WIDTH_PX, MIN_COLUMN_WIDTH_PX } from '../store/view-slice';

/** The column whose header is being dragged (one drag at a time; dataTransfer is unreadable during dragover). */
let draggedColumn: ColumnId | null = null;

function HeaderCell({ column }: { column: ColumnId }) {
  const def = columnDef(column);
  const sortColumn = useAppStore((s) => s.sortColumn);
  const sortDirection = useAppStore((s) => s.sortDirection);
  const widthPx = useAppStore((s) => s.columnWidthsPx[column]);
  const cycleSort = useAppStore((s) => s.cycleSort);
  const setColumnWidth = useAppStore((s) => s.setColumnWidth);
  const drag = useRef<{ startX: number; startWidth: number } | null>(null);
  const sorted = sortColumn === column;
  return (
    <div
      role="columnheader"
      aria-sort={sorted ? (sortDirection === 'asc' ? 'ascending' : 'descending') : 'none'}
      className={`header-cell align-${def.align}${column === 'name' ? ' frozen' : ''}`}
      data-column={column}
      onDragOver={(e) => {
        if (draggedColumn && draggedColumn !== column) e.preventDefault();
      }}
      onDrop={(e) => {
        e.preventDefault();
        const moved = draggedColumn;
        draggedColumn = null;
        if (!moved) return;
        const columns = appStore.getState().visibleColumns;
        // Dropped on Process, it goes right after it: Process stays first.
        appStore.getState().moveColumnTo(moved, column === 'name' ? columns[1]! : column);
      }}
    >
      <button
        type="button"
        className="header-button"
        onClick={() => cycleSort(column)}
        title={`Sort by ${def.label}`}
        draggable={column !== 'name'}
        onDragStart={(e) => {
          draggedColumn = column;
          e.dataTransfer.effectAllowed = 'move';
          e.dataTransfer.setData('text/plain', column);
        }}
        onDragEnd={() => (draggedColumn = null)}
      >
        <span className="header-label">{def.label}</span>
        <span className="sort-arrow" aria-hidden="true">
          {sorted ? (sortDirection === 'asc' ? '▲' : '▼') : ''}
        </span>
      </button>
      <div
        role="separator"
        aria-orientation="vertical"
        aria-label={`Resize ${def.label} column`}
        aria-valuenow={widthPx}
        aria-valuemin={MIN_COLUMN_WIDTH_PX}
        aria-valuemax={MAX_COLUMN_WIDTH_PX}
        tabIndex={0}
        className="column-resizer"
        onPointerDown={(e) => {
          // No native drag (the header beside is draggable) and no text selection while resizing.
          e.preventDefault();
          e.currentTarget.setPointerCapture(e.pointerId);
          drag.current = { startX: e.clientX, startWidth: widthPx };
        }}
        onPointerMove={(e) => {
          if (drag.current) setColumnWidth(column, drag.current.startWidth + e.clientX - drag.current.startX);
        }}
        onPointerUp={() => (drag.current = null)}
        onPointerCancel={() => (drag.current = null)}
        onDoubleClick={() => setColumnWidth(column, def.defaultWidthPx)}
        onKeyDown={(e) => {
          const step = e.shiftKey ? 1 : 10;
          if (e.key === 'ArrowLeft' || e.key === 'ArrowRight' || e.key === 'Home') {
            e.preventDefault();
            e.stopPropagation();
            setColumnWidth(column, e.key === 'Home' ? def.defaultWidthPx : widthPx + (e.key === 'ArrowLeft' ? -step : step));
          }
        }}
      />
    </div>
  );
}

export function ColumnHeaderRow() {
  const columns = useAppStore((s) => s.visibleColumns);
  return (
    <div role="rowgroup" className="grid-header">
      <div role="row" aria-rowindex={1} className="grid-row header-row">
        {columns.map((c) => (
          <HeaderCell key={c} column={c} />
        ))}
      </div>
    </div>
  );
}
