/*
 * The lower pane (Ctrl+L, as in Process Explorer): the DLLs (Ctrl+D) or handles (Ctrl+H) of the selected process,
 * following the selection and read again with every new sample while shown — so a paused poller pauses it too, and
 * nothing is read while it is hidden. An exited process keeps its last list under a sentence.
 */
import { useEffect, useRef } from 'react';
import { IpcRequestError } from '../../src-shared/ipc/ipc-result';
import { parseProcessKey, type ProcessKey } from '../../src-shared/model/process';
import type { ProcscopeApi } from '../api/procscope-api';
import { useApi } from '../api/api-context';
import { appStore, useAppStore } from '../store/app-store';
import type { LowerPaneMode } from '../store/detail-slice';
import { DetailTable, PartState } from './properties/detail-table';
import { HANDLE_COLUMNS, MODULE_COLUMNS } from './properties/detail-columns';

export const LOWER_PANE_MODE_LABEL: Record<LowerPaneMode, string> = { dlls: 'DLLs', handles: 'Handles' };

/** One read of the pane's list for this process; never throws. */
export async function readLowerPane(api: ProcscopeApi, key: ProcessKey, mode: LowerPaneMode): Promise<void> {
  const target = parseProcessKey(key);
  if (!target) return;
  try {
    const detail = await api.request('procscope:get-process-detail', { ...target, parts: [mode === 'dlls' ? 'modules' : 'handles'] });
    appStore.getState().applyLowerPaneDetail(key, mode, detail);
  } catch (err) {
    const exited = err instanceof IpcRequestError && (err.code === 'process-gone' || err.code === 'pid-recycled');
    appStore.getState().setLowerPaneError(key, mode, exited ? 'Process exited — the last list read is shown.' : err instanceof Error ? err.message : String(err));
  }
}

export function LowerPane() {
  const api = useApi();
  const { visible, mode } = useAppStore((s) => s.lowerPane);
  const selectedKey = useAppStore((s) => s.selectedKey);
  const sampleTimestampMs = useAppStore((s) => s.sampleTimestampMs);
  const data = useAppStore((s) => s.lowerPaneData);
  const name = useAppStore((s) => (s.selectedKey ? (s.rows.get(s.selectedKey)?.name ?? null) : null));
  const inFlight = useRef<string | null>(null);

  useEffect(() => {
    if (!visible || !selectedKey) return;
    const asking = `${selectedKey}|${mode}`;
    // One read at a time per process and mode: a slow read is not queued up behind itself every tick.
    if (inFlight.current === asking) return;
    inFlight.current = asking;
    void readLowerPane(api, selectedKey, mode).finally(() => {
      if (inFlight.current === asking) inFlight.current = null;
    });
  }, [api, visible, mode, selectedKey, sampleTimestampMs]);

  if (!visible) return null;
  const shown = data && data.key === selectedKey ? data : null;
  const label = `${LOWER_PANE_MODE_LABEL[mode]}${name ? ` of ${name}` : ''}${selectedKey ? ` (PID ${selectedKey.split(':')[0]})` : ''}`;
  return (
    <section className="lower-pane" aria-label="Lower pane">
      <div className="lower-pane-bar">
        <div role="radiogroup" aria-label="Lower pane shows" className="lower-pane-modes">
          {(['dlls', 'handles'] as const).map((m) => (
            <button
              key={m}
              type="button"
              role="radio"
              aria-checked={mode === m}
              title={m === 'dlls' ? 'Ctrl+D' : 'Ctrl+H'}
              onClick={() => appStore.getState().setLowerPane({ visible: true, mode: m })}
            >
              {LOWER_PANE_MODE_LABEL[m]}
            </button>
          ))}
        </div>
        <span className="lower-pane-title">{selectedKey ? label : 'Select a process to see its DLLs or handles.'}</span>
        <button type="button" aria-label="Close the lower pane" title="Ctrl+L" onClick={() => appStore.getState().setLowerPane({ visible: false, mode })}>
          ×
        </button>
      </div>
      {selectedKey && (
        <div className="lower-pane-body">
          {shown?.callError && (
            <p role="status" className="part-notice">
              {shown.callError}
            </p>
          )}
          {mode === 'dlls' ? (
            <PartState view={shown?.modules ?? undefined}>
              {(rows) => <DetailTable label={label} columns={MODULE_COLUMNS} rows={rows} rowKey={(m) => `${m.baseAddress}:${m.path}`} empty="No DLLs." />}
            </PartState>
          ) : (
            <PartState view={shown?.handles ?? undefined}>
              {(rows) => <DetailTable label={label} columns={HANDLE_COLUMNS} rows={rows} rowKey={(h) => h.handle} empty="No handles." />}
            </PartState>
          )}
        </div>
      )}
    </section>
  );
}

/** Ctrl+L toggles the pane; Ctrl+D and Ctrl+H show it with that list (as in Process Explorer). */
export function lowerPaneKey(key: 'l' | 'd' | 'h'): void {
  const { visible, mode } = appStore.getState().lowerPane;
  if (key === 'l') appStore.getState().setLowerPane({ visible: !visible, mode });
  else appStore.getState().setLowerPane({ visible: true, mode: key === 'd' ? 'dlls' : 'handles' });
}
