/*
 * Choose, order and reset the columns. Shown columns come first, in their order; each can be switched off, moved
 * up or down with its buttons (the keyboard's way) or dragged onto another; hidden ones follow in the default
 * order. The Process column always stays, first. Reset brings back Process Explorer's default columns, order and
 * widths. Handles also turns the poller's fd counting on (tree-actions.ts).
 */
import { useEffect, useRef, useState } from 'react';
import { useApi } from '../api/api-context';
import { COLUMNS, columnDef, DEFAULT_VISIBLE_COLUMNS, type ColumnId } from '../format/columns';
import { appStore, useAppStore } from '../store/app-store';
import { setColumnVisible } from './tree-actions';

export function ColumnChooser({ onClose }: { onClose(): void }) {
  const api = useApi();
  const visible = useAppStore((s) => s.visibleColumns);
  const ref = useRef<HTMLFieldSetElement>(null);
  const [dragged, setDragged] = useState<ColumnId | null>(null);
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
  const hidden = COLUMNS.map((c) => c.id).filter((id) => !visible.includes(id));
  const move = (id: ColumnId, delta: number) => {
    appStore.getState().moveColumn(id, delta);
    // Keep the keyboard on the button that moved, though its row moved.
    requestAnimationFrame(() => ref.current?.querySelector<HTMLButtonElement>(`[data-move="${id}:${delta}"]`)?.focus());
  };
  const reset = () => {
    const handlesShown = visible.includes('handleCount');
    appStore.getState().resetColumns();
    if (handlesShown !== DEFAULT_VISIBLE_COLUMNS.includes('handleCount')) void setColumnVisible(api, 'handleCount', !handlesShown);
  };
  return (
    <fieldset ref={ref} className="column-chooser">
      <legend>Columns</legend>
      <ol className="column-list" aria-label="Column order">
        {[...visible, ...hidden].map((id, i) => {
          const def = columnDef(id);
          const shown = i < visible.length;
          const movable = shown && id !== 'name';
          return (
            <li
              key={id}
              className={dragged === id ? 'column-item dragging' : 'column-item'}
              data-column={id}
              draggable={movable}
              onDragStart={(e) => {
                setDragged(id);
                e.dataTransfer.effectAllowed = 'move';
                e.dataTransfer.setData('text/plain', id);
              }}
              onDragEnd={() => setDragged(null)}
              onDragOver={(e) => {
                if (dragged && shown) e.preventDefault();
              }}
              onDrop={(e) => {
                e.preventDefault();
                if (dragged && shown) appStore.getState().moveColumnTo(dragged, id === 'name' ? visible[1]! : id);
                setDragged(null);
              }}
            >
              <label>
                <input type="checkbox" checked={shown} disabled={id === 'name'} onChange={(e) => void setColumnVisible(api, id, e.target.checked)} />
                {def.label}
              </label>
              {movable && (
                <span className="column-move">
                  <button type="button" data-move={`${id}:-1`} aria-label={`Move ${def.label} up`} disabled={i <= 1} onClick={() => move(id, -1)}>
                    ↑
                  </button>
                  <button type="button" data-move={`${id}:1`} aria-label={`Move ${def.label} down`} disabled={i >= visible.length - 1} onClick={() => move(id, 1)}>
                    ↓
                  </button>
                </span>
              )}
            </li>
          );
        })}
      </ol>
      <button type="button" className="column-reset" onClick={reset}>
        Reset to defaults
      </button>
    </fieldset>
  );
}
