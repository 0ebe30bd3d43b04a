/*
 * The plain tables of the Properties tabs and the lower pane (modules, handles, sockets, services, threads): a
 * caption-less <table> whose header names each column, optionally with one selectable row (click or ↑/↓), and the
 * sentence a part shows instead of or over its rows (an error, "exited", "loading").
 */
import type { ReactNode } from 'react';
import type { DetailError } from '../../../src-shared/model/process-detail';
import type { PartView } from '../../store/detail-slice';

export interface DetailColumn<T> {
  label: string;
  value(row: T): string;
  className?: string;
}

export interface DetailTableProps<T> {
  label: string;
  columns: readonly DetailColumn<T>[];
  rows: readonly T[];
  rowKey(row: T): string;
  selectedKey?: string | null;
  onSelect?(key: string): void;
  /** Shown in the body when there are no rows. */
  empty?: string;
}

export function DetailTable<T>({ label, columns, rows, rowKey, selectedKey, onSelect, empty }: DetailTableProps<T>) {
  const move = (delta: number) => {
    if (!onSelect || rows.length === 0) return;
    const at = rows.findIndex((r) => rowKey(r) === selectedKey);
    const next = Math.max(0, Math.min(rows.length - 1, at < 0 ? 0 : at + delta));
    onSelect(rowKey(rows[next]!));
  };
  return (
    <div className="detail-table-wrap">
      <table
        className="detail-table"
        aria-label={label}
        tabIndex={onSelect ? 0 : undefined}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
            e.preventDefault();
            move(e.key === 'ArrowDown' ? 1 : -1);
          }
        }}
      >
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.label} scope="col" className={c.className}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 && empty ? (
            <tr>
              <td colSpan={columns.length} className="detail-empty">
                {empty}
              </td>
            </tr>
          ) : (
            rows.map((row) => {
              const key = rowKey(row);
              const selected = selectedKey === key;
              return (
                <tr key={key} aria-selected={onSelect ? selected : undefined} className={selected ? 'selected' : undefined} onClick={onSelect ? () => onSelect(key) : undefined}>
                  {columns.map((c) => (
                    <td key={c.label} className={c.className} title={c.value(row)}>
                      {c.value(row)}
                    </td>
                  ))}
                </tr>
              );
            })
          )}
        </tbody>
      </table>
    </div>
  );
}

const ERROR_LEAD: Partial<Record<DetailError['code'], { lead: string; says: RegExp }>> = {
  'access-denied': { lead: 'Access denied — needs elevation.', says: /access denied/i },
  'process-gone': { lead: 'Process exited.', says: /exited/i },
  'pid-recycled': { lead: 'Process exited (its PID now names another process).', says: /exited/i },
  unsupported: { lead: 'Not available here.', says: /not available|not supported|unsupported/i },
  timeout: { lead: 'Timed out.', says: /timed out|timeout/i },
};

/** "Access denied — needs elevation" as PE users expect to read it, unless the host's own sentence already says so. */
export function detailErrorText(error: DetailError): string {
  const lead = ERROR_LEAD[error.code];
  if (!lead || lead.says.test(error.message)) return error.message;
  return `${lead.lead} ${error.message}`;
}

export function PartNotice({ children }: { children: ReactNode }) {
  return (
    <p role="status" className="part-notice">
      {children}
    </p>
  );
}

/** A part's error over its last value; "Reading…" until the first answer. */
export function PartState<T>({ view, children }: { view: PartView<T> | undefined; children(value: T): ReactNode }) {
  if (!view) return <PartNotice>Reading…</PartNotice>;
  return (
    <>
      {view.error && <PartNotice>{detailErrorText(view.error)}</PartNotice>}
      {view.value !== null && children(view.value)}
    </>
  );
}

