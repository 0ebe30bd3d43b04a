/* Properties: every field of the row as it was when the dialog opened (a copy; live updates do not move it). */
import type { ProcessRow } from '../../src-shared/model/process';
import { COLUMNS } from '../format/columns';
import { ModalDialog } from './modal-dialog';

export function PropertiesDialog({ row, onClose }: { row: ProcessRow; onClose(): void }) {
  const fields = COLUMNS.map((c) => [c.label, c.format(row)] as const);
  return (
    <ModalDialog title={`Properties: ${row.name} (PID ${row.pid})`} onClose={onClose} className="properties-dialog" initialFocus=".dialog-close">
      <dl className="properties-list">
        {fields.map(([label, value]) => (
          <div key={label} className="property">
            <dt>{label}</dt>
            <dd>{value === '' ? '—' : value}</dd>
          </div>
        ))}
      </dl>
      <div className="dialog-buttons">
        <button type="button" className="dialog-close" onClick={onClose}>
          Close
        </button>
      </div>
    </ModalDialog>
  );
}
