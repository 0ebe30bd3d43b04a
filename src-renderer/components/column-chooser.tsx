/* Switch columns on and off; the Process column always stays. Handles also turns the poller's fd counting on. */
import { useEffect, useRef } from 'react';
import { useApi } from '../api/api-context';
import { COLUMNS } from '../format/columns';
import { useAppStore } from '../store/app-store';
import { setColumnVisible } from './tree-actions';

export function ColumnChooser({ onClose }: { onClose(): void }) {
  const api = useApi();
  const visible = useAppStore((s) => s.visibleColumns);
  const ref = useRef<HTMLFieldSetElement>(null);
  useEffect(() => {
    const close = (e: Event) => {
      if (e instanceof KeyboardEvent ? e.key === 'Escape' : !ref.current?.parentElement?.contains(e.target as Node)) onClose();
    };
    window.addEventListener('pointerdown', close);
    window.addEventListener('keydown', close);
    return () => {
      window.removeEventListener('pointerdown', close);
      window.removeEventListener('keydown', close);
    };
  }, [onClose]);
  return (
    <fieldset ref={ref} className="column-chooser">
      <legend>Columns</legend>
      {COLUMNS.map((c) => (
        <label key={c.id}>
          <input
            type="checkbox"
            checked={visible.includes(c.id)}
            disabled={c.id === 'name'}
            onChange={(e) => void setColumnVisible(api, c.id, e.target.checked)}
          />
          {c.label}
        </label>
      ))}
    </fieldset>
  );
}
