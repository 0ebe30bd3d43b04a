/* The right-click menu of a process row; its items come from row-menu-items.ts. */
import { useEffect, useRef } from 'react';
import type { ProcessRow } from '../../src-shared/model/process';
import { useApi } from '../api/api-context';
import { ROW_MENU_ITEMS } from './row-menu-items';

export interface RowContextMenuProps {
  row: ProcessRow;
  x: number;
  y: number;
  onClose(): void;
}

export function RowContextMenu({ row, x, y, onClose }: RowContextMenuProps) {
  const api = useApi();
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector<HTMLButtonElement>('button:not(:disabled)')?.focus();
    const close = (e: Event) => {
      if (e instanceof KeyboardEvent ? e.key === 'Escape' : !ref.current?.contains(e.target as Node)) onClose();
    };
    window.addEventListener('pointerdown', close);
    window.addEventListener('keydown', close);
    return () => {
      window.removeEventListener('pointerdown', close);
      window.removeEventListener('keydown', close);
    };
  }, [onClose]);
  return (
    <div ref={ref} role="menu" aria-label={`Actions for ${row.name}, PID ${row.pid}`} className="context-menu" style={{ left: x, top: y }}>
      {ROW_MENU_ITEMS.map((item) => (
        <button
          key={item.id}
          role="menuitem"
          type="button"
          disabled={item.isEnabled ? !item.isEnabled(row) : false}
          onClick={() => {
            onClose();
            void item.run(row, api);
          }}
        >
          {item.label}
        </button>
      ))}
    </div>
  );
}
