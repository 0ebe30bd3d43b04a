/* The header row: one sortable column header per visible column, each with a drag (or arrow-key) resize handle. */
import { useRef } from 'react';
import { columnDef, type ColumnId } from '../format/columns';
import { useAppStore } from '../store/app-store';

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
      className={`header-cell align-${def.align}`}
    >
      <button type="button" className="header-button" onClick={() => cycleSort(column)} title={`Sort by ${def.label}`}>
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
        tabIndex={0}
        className="column-resizer"
        onPointerDown={(e) => {
          e.currentTarget.setPointerCapture(e.pointerId);
          drag.current = { startX: e.clientX, startWidth: widthPx };
        }}
        onPointerMove={(e) => {
          if (drag.current) setColumnWidth(column, drag.current.startWidth + e.clientX - drag.current.startX);
        }}
        onPointerUp={() => (drag.current = null)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
            e.preventDefault();
            e.stopPropagation();
            setColumnWidth(column, widthPx + (e.key === 'ArrowLeft' ? -10 : 10));
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
