/*
 * Find Handle or DLL… (Ctrl+Shift+F; Process Explorer uses Ctrl+F, which Procscope keeps for the filter): a substring
 * of a module path or a handle / fd name, searched by main in every readable process; the results list process, PID,
 * type and name, and choosing one selects that process in the tree (its collapsed ancestors opened) and closes.
 */
import { useId, useLayoutEffect, useRef, useState } from 'react';
import type { FindMatch } from '../../src-shared/model/process-detail';
import { processKey } from '../../src-shared/model/process';
import type { ProcscopeApi } from '../api/procscope-api';
import { useApi } from '../api/api-context';
import { appStore, useAppStore } from '../store/app-store';
import { ModalDialog } from './modal-dialog';

export const MAX_FIND_QUERY = 260;

export async function runFind(api: ProcscopeApi, query: string): Promise<void> {
  const q = query.trim();
  if (!q) return;
  appStore.getState().setFind({ status: 'searching', query: q });
  try {
    const result = await api.request('procscope:find-handle-or-dll', { query: q.slice(0, MAX_FIND_QUERY) });
    // A newer search may have started meanwhile; only the current one is shown.
    const now = appStore.getState().find;
    if (now.status === 'searching' && now.query === q) appStore.getState().setFind({ status: 'done', result });
  } catch (err) {
    appStore.getState().setFind({ status: 'failed', query: q, message: err instanceof Error ? err.message : String(err) });
  }
}

/** Selects the match's process in the tree, opening the branches above it, and closes the dialog. */
export function chooseMatch(match: FindMatch): void {
  const state = appStore.getState();
  const key = processKey(match.pid, match.startTimeMs);
  const collapsed = state.filterText.trim() ? state.filterCollapsed : state.collapsed;
  const { parentOf } = state.tree.tree;
  const seen = new Set<string>();
  for (let parent = parentOf.get(key); parent && !seen.has(parent); parent = parentOf.get(parent)) {
    seen.add(parent);
    if (collapsed.has(parent)) state.setCollapsed(parent, false);
  }
  state.select(key);
  state.setFindOpen(false);
}

const KIND_LABEL: Record<string, string> = { module: 'DLL', 'anon-inode': 'Anon inode' };
const kindLabel = (kind: string) => KIND_LABEL[kind] ?? kind.charAt(0).toUpperCase() + kind.slice(1);

export function FindDialog() {
  const api = useApi();
  const find = useAppStore((s) => s.find);
  const [query, setQuery] = useState(find.status === 'done' ? find.result.query : '');
  const queryId = useId();
  const close = () => appStore.getState().setFindOpen(false);
  const matches = find.status === 'done' ? find.result.matches : [];
  return (
    <ModalDialog title="Find Handle or DLL" onClose={close} className="find-dialog" initialFocus="input">
      <form
        className="find-form"
        onSubmit={(e) => {
          e.preventDefault();
          void runFind(api, query);
        }}
      >
        <label htmlFor={queryId}>Handle or DLL substring</label>
        <input id={queryId} type="search" spellCheck={false} maxLength={MAX_FIND_QUERY} value={query} onChange={(e) => setQuery(e.target.value)} />
        <button type="submit" disabled={!query.trim() || find.status === 'searching'}>
          Search
        </button>
      </form>
      <p role="status" className="find-status">
        {find.status === 'searching' && `Searching every process for “${find.query}”…`}
        {find.status === 'failed' && `The search failed: ${find.message}`}
        {find.status === 'done' &&
          `${find.result.matches.length} match${find.result.matches.length === 1 ? '' : 'es'}${find.result.truncated ? ' (stopped at the limit)' : ''} in ${find.result.durationMs} ms` +
            (find.result.unreadableProcesses > 0 ? `; ${find.result.unreadableProcesses} processes could not be read (needs elevation).` : '.')}
      </p>
      <div className="detail-table-wrap find-results">
        <table className="detail-table" aria-label="Matches">
          <thead>
            <tr>
              <th scope="col">Process</th>
              <th scope="col">PID</th>
              <th scope="col">Type</th>
              <th scope="col">Name</th>
            </tr>
          </thead>
          <tbody>
            {matches.map((m, i) => (
              <tr
                key={`${m.pid}:${m.startTimeMs}:${m.kind}:${m.handle ?? ''}:${m.name}:${i}`}
                tabIndex={0}
                onClick={() => chooseMatch(m)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' || e.key === ' ') {
                    e.preventDefault();
                    chooseMatch(m);
                  }
                }}
              >
                <td>{m.processName}</td>
                <td className="num">{m.pid}</td>
                <td>{kindLabel(m.kind)}</td>
                <td title={m.name}>{m.name}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="dialog-buttons">
        <button type="button" className="dialog-cancel" onClick={close}>
          Close
        </button>
      </div>
    </ModalDialog>
  );
}

/**
 * The dialog while open; when it closes the focus goes back to the tree, so the tree keeps the chosen row in view
 * (it reveals the selected row while it has the focus) and the keyboard user is where the selection is.
 */
export function FindDialogHost() {
  const open = useAppStore((s) => s.findOpen);
  const wasOpen = useRef(false);
  useLayoutEffect(() => {
    if (wasOpen.current && !open) document.querySelector<HTMLElement>('[role="treegrid"]')?.focus();
    wasOpen.current = open;
  }, [open]);
  return open ? <FindDialog /> : null;
}
