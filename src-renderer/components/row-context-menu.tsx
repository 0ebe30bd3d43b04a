/*
 * The context menu of a process row (WAI-ARIA menu pattern): opened by right-click, the ContextMenu key or
 * Shift+F10; ↑/↓/Home/End move, Enter/Space run, → opens a submenu and ← or Escape closes it, Escape or a click
 * outside closes the menu. Its entries come from row-menu-items.ts; this file only renders and navigates them.
 */
import { useEffect, useLayoutEffect, useRef, useState, type CSSProperties, type KeyboardEvent } from 'react';
import type { ProcessRow } from '../../src-shared/model/process';
import { useApi } from '../api/api-context';
import { appStore, useAppStore } from '../store/app-store';
import { ROW_MENU_ENTRIES, type RowMenuContext, type RowMenuEntry, type RowMenuItem } from './row-menu-items';

export interface RowContextMenuProps {
  row: ProcessRow;
  x: number;
  y: number;
  /** restoreFocus: the menu was left without running an item, so focus goes back to the tree. */
  onClose(restoreFocus: boolean): void;
}

const ITEM_SELECTOR = ':scope > [role="menuitem"]:not(:disabled), :scope > [role="none"] > [role="menuitem"]:not(:disabled)';

function menuItems(menu: HTMLElement | null): HTMLElement[] {
  return menu ? [...menu.querySelectorAll<HTMLElement>(ITEM_SELECTOR)] : [];
}

/** ↑/↓/Home/End inside one menu level; true if the key was one of them. */
function moveFocus(menu: HTMLElement, key: string): boolean {
  const items = menuItems(menu);
  if (!items.length) return false;
  const at = items.indexOf(document.activeElement as HTMLElement);
  const next: Record<string, number> = {
    ArrowDown: at < 0 ? 0 : (at + 1) % items.length,
    ArrowUp: at < 0 ? items.length - 1 : (at - 1 + items.length) % items.length,
    Home: 0,
    End: items.length - 1,
  };
  if (!(key in next)) return false;
  items[next[key]!]!.focus();
  return true;
}

interface MenuLevelProps {
  entries: readonly RowMenuEntry[];
  label: string;
  row: ProcessRow;
  context: RowMenuContext;
  className: string;
  style?: CSSProperties;
  /** Focus the first item (on opening by keyboard or click; not when a pointer merely hovers a submenu open). */
  autoFocus: boolean;
  onRun(item: RowMenuItem): void;
  /** Escape (and ← in a submenu). */
  onBack(): void;
}

function MenuLevel({ entries, label, row, context, className, style, autoFocus, onRun, onBack }: MenuLevelProps) {
  const ref = useRef<HTMLDivElement>(null);
  const [openSub, setOpenSub] = useState<string | null>(null);
  const [focusSubOnOpen, setFocusSubOnOpen] = useState(false);

  useEffect(() => {
    if (autoFocus) menuItems(ref.current)[0]?.focus();
  }, [autoFocus]);

  const closeSub = (focusAnchor: boolean) => {
    const id = openSub;
    setOpenSub(null);
    if (focusAnchor && id) ref.current?.querySelector<HTMLElement>(`[data-entry="${id}"]`)?.focus();
  };

  const onKeyDown = (e: KeyboardEvent) => {
    e.stopPropagation();
    if (moveFocus(ref.current!, e.key)) return e.preventDefault();
    const focused = document.activeElement as HTMLElement | null;
    const entry = entries.find((x) => x.id === focused?.dataset.entry);
    if (e.key === 'Escape' || (e.key === 'ArrowLeft' && className.includes('submenu'))) {
      e.preventDefault();
      onBack();
    } else if (entry?.kind === 'submenu' && (e.key === 'ArrowRight' || e.key === 'Enter' || e.key === ' ')) {
      e.preventDefault();
      setFocusSubOnOpen(true);
      setOpenSub(entry.id);
    } else if (e.key === 'Tab') {
      e.preventDefault();
    }
  };

  return (
    <div ref={ref} role="menu" aria-label={label} className={className} style={style} onKeyDown={onKeyDown}>
      {entries.map((entry) => {
        if (entry.kind === 'separator') return <div key={entry.id} role="separator" className="menu-separator" />;
        // An exited row (kept visible) offers only what needs no live process.
        const disabled = (context.exited === true && !(entry.kind === 'item' && entry.worksWhenExited)) || (entry.isEnabled ? !entry.isEnabled(row, context) : false);
        if (entry.kind === 'item') {
          return (
            <button
              key={entry.id}
              data-entry={entry.id}
              role="menuitem"
              type="button"
              tabIndex={-1}
              disabled={disabled}
              onPointerEnter={() => setOpenSub(null)}
              onClick={() => onRun(entry)}
            >
              {entry.label}
            </button>
          );
        }
        const open = openSub === entry.id;
        return (
          <div key={entry.id} role="none" className="submenu-anchor">
            <button
              data-entry={entry.id}
              role="menuitem"
              type="button"
              tabIndex={-1}
              disabled={disabled}
              aria-haspopup="menu"
              aria-expanded={open}
              onPointerEnter={() => {
                setFocusSubOnOpen(false);
                setOpenSub(entry.id);
              }}
              onClick={() => {
                // A click after the hover already opened it must not close it again.
                setFocusSubOnOpen(true);
                setOpenSub(entry.id);
              }}
            >
              <span>{entry.label}</span>
              <span aria-hidden="true" className="submenu-arrow">
                ▸
              </span>
            </button>
            {open && (
              <MenuLevel
                entries={entry.items}
                label={entry.label}
                row={row}
                context={context}
                className="context-menu submenu"
                autoFocus={focusSubOnOpen}
                onRun={onRun}
                onBack={() => closeSub(true)}
              />
            )}
          </div>
        );
      })}
    </div>
  );
}

export function RowContextMenu({ row, x, y, onClose }: RowContextMenuProps) {
  const api = useApi();
  const capabilities = useAppStore((s) => s.capabilities);
  const wrapRef = useRef<HTMLDivElement>(null);
  const [pos, setPos] = useState({ left: x, top: y });

  useLayoutEffect(() => {
    // Keep the menu inside the window, as a native menu would.
    const menu = wrapRef.current?.firstElementChild as HTMLElement | null;
    if (!menu) return;
    const r = menu.getBoundingClientRect();
    setPos({ left: Math.max(0, Math.min(x, window.innerWidth - r.width - 4)), top: Math.max(0, Math.min(y, window.innerHeight - r.height - 4)) });
  }, [x, y]);

  useEffect(() => {
    const onPointerDown = (e: PointerEvent) => {
      if (!wrapRef.current?.contains(e.target as Node)) onClose(false);
    };
    window.addEventListener('pointerdown', onPointerDown);
    return () => window.removeEventListener('pointerdown', onPointerDown);
  }, [onClose]);

  const { openDialog, notify } = appStore.getState();
  const exited = useAppStore((s) => s.rowStatus.get(row.key) === 'exiting');
  const context: RowMenuContext = { api, capabilities, openDialog, notify, exited };
  return (
    <div ref={wrapRef} className="context-menu-layer">
      <MenuLevel
        entries={ROW_MENU_ENTRIES}
        label={`Actions for ${row.name}, PID ${row.pid}`}
        row={row}
        context={context}
        className="context-menu"
        style={{ left: pos.left, top: pos.top }}
        autoFocus
        onRun={(item) => {
          onClose(false);
          void item.run(row, context);
        }}
        onBack={() => onClose(true)}
      />
    </div>
  );
}
