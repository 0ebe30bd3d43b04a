/*
 * Options (issue 14): the menu button in the toolbar (the Electron app's Options menu sends the same commands), the
 * dialog behind Options → Colours… and Options → Keep Exited Processes… (one dialog, both sections; changes apply at
 * once and persist with the view), and the colour legend under the table. Category colours resolve in
 * categories.ts, in the priority order the dialog lists them.
 */
import { useEffect, useRef, useState } from 'react';
import { CATEGORY_DESCRIPTIONS, CATEGORY_IDS, CATEGORY_LABELS } from '../format/categories';
import { appStore, useAppStore } from '../store/app-store';
import { ModalDialog } from './modal-dialog';

/** The times the Options offer for the new and exited highlights; 0 = one refresh interval (Process Explorer's). */
export const HIGHLIGHT_CHOICES_MS = [0, 2000, 5000, 10_000, 30_000, 60_000] as const;

const highlightLabel = (ms: number) => (ms === 0 ? 'One refresh interval' : `${ms / 1000} seconds`);

export function OptionsMenu() {
  const [menuOpen, setMenuOpen] = useState(false);
  const dialog = useAppStore((s) => s.viewOptions);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!menuOpen) return;
    const close = (e: Event) => {
      if (e instanceof KeyboardEvent ? e.key === 'Escape' : !ref.current?.contains(e.target as Node)) setMenuOpen(false);
    };
    window.addEventListener('pointerdown', close);
    window.addEventListener('keydown', close);
    ref.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
    return () => {
      window.removeEventListener('pointerdown', close);
      window.removeEventListener('keydown', close);
    };
  }, [menuOpen]);
  const choose = (which: 'colours' | 'highlight') => {
    setMenuOpen(false);
    appStore.getState().openViewOptions(which);
  };
  return (
    <div ref={ref} className="chooser-anchor">
      <button type="button" aria-haspopup="menu" aria-expanded={menuOpen} onClick={() => setMenuOpen(!menuOpen)}>
        Options
      </button>
      {menuOpen && (
        <div role="menu" aria-label="Options" className="context-menu options-menu">
          <button type="button" role="menuitem" onClick={() => choose('colours')}>
            Colours…
          </button>
          <button type="button" role="menuitem" onClick={() => choose('highlight')}>
            Keep Exited Processes…
          </button>
        </div>
      )}
      {dialog && <ViewOptionsDialog focus={dialog} onClose={() => appStore.getState().openViewOptions(null)} />}
    </div>
  );
}

export function ViewOptionsDialog({ focus, onClose }: { focus: 'colours' | 'highlight'; onClose(): void }) {
  const styles = useAppStore((s) => s.categoryStyles);
  const keepExitedMs = useAppStore((s) => s.keepExitedMs);
  const newHighlightMs = useAppStore((s) => s.newHighlightMs);
  const choices = (current: number) => [...new Set([...HIGHLIGHT_CHOICES_MS, current])].sort((a, b) => a - b);
  return (
    <ModalDialog
      title={focus === 'colours' ? 'Colours' : 'Highlighting'}
      onClose={onClose}
      initialFocus={focus === 'colours' ? '.category-enable' : '#keep-exited'}
      className="view-options-dialog"
    >
      <fieldset className="category-styles">
        <legend>Colours (the first that applies colours a row)</legend>
        {CATEGORY_IDS.map((id) => (
          <div key={id} className="category-style" data-category={id}>
            <label>
              <input
                type="checkbox"
                className="category-enable"
                checked={styles[id].enabled}
                onChange={(e) => appStore.getState().setCategoryStyle(id, { enabled: e.target.checked })}
              />
              {CATEGORY_LABELS[id]}
            </label>
            <input
              type="color"
              aria-label={`${CATEGORY_LABELS[id]} colour`}
              value={styles[id].color}
              onChange={(e) => appStore.getState().setCategoryStyle(id, { color: e.target.value.toLowerCase() })}
            />
            <span className="category-description">{CATEGORY_DESCRIPTIONS[id]}</span>
          </div>
        ))}
        <button type="button" onClick={() => appStore.getState().resetCategoryStyles()}>
          Default colours
        </button>
      </fieldset>
      <fieldset className="highlight-times">
        <legend>Highlighting</legend>
        <label>
          Keep exited processes
          <select id="keep-exited" value={keepExitedMs} onChange={(e) => appStore.getState().setHighlightDurations({ keepExitedMs: Number(e.target.value) })}>
            {choices(keepExitedMs).map((ms) => (
              <option key={ms} value={ms}>
                {highlightLabel(ms)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Highlight new processes
          <select value={newHighlightMs} onChange={(e) => appStore.getState().setHighlightDurations({ newHighlightMs: Number(e.target.value) })}>
            {choices(newHighlightMs).map((ms) => (
              <option key={ms} value={ms}>
                {highlightLabel(ms)}
              </option>
            ))}
          </select>
        </label>
      </fieldset>
      <div className="dialog-buttons">
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </ModalDialog>
  );
}

/** The colour legend: the categories switched on, in priority order, then the new and exited highlights. */
export function CategoryLegend() {
  const styles = useAppStore((s) => s.categoryStyles);
  return (
    <ul className="category-legend" aria-label="Colour legend">
      {CATEGORY_IDS.filter((id) => styles[id].enabled).map((id) => (
        <li key={id} data-category={id} title={CATEGORY_DESCRIPTIONS[id]}>
          <span className="legend-swatch" style={{ background: styles[id].color }} aria-hidden="true" />
          {CATEGORY_LABELS[id]}
        </li>
      ))}
      <li data-category="new">
        <span className="legend-swatch swatch-new" aria-hidden="true" />
        New
      </li>
      <li data-category="exited">
        <span className="legend-swatch swatch-exited" aria-hidden="true" />
        Exited
      </li>
    </ul>
  );
}
