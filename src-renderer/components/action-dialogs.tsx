/*
 * The one open row-action dialog (kill confirmation, dump, capture, properties) and the notices actions left behind.
 * Closing a dialog hands the focus back to the process tree, where the keyboard user came from.
 */
import { useEffect, useLayoutEffect, useRef } from 'react';
import type { ProcessRow } from '../../src-shared/model/process';
import { useApi } from '../api/api-context';
import { appStore, useAppStore } from '../store/app-store';
import { CaptureDialog } from './capture-dialog';
import { DumpDialog } from './dump-dialog';
import { KillDialog } from './kill-dialog';
import { openProperties } from './properties/open-properties';

function closeDialog(): void {
  appStore.getState().closeDialog();
}

export function ActionDialogs() {
  const dialog = useAppStore((s) => s.dialog);
  const wasOpen = useRef(false);
  // In the commit that removes the dialog, after its <dialog> has closed (closing restores focus to where it was
  // before: a menu item now gone). Done in that same commit, not a timer later, so a key pressed right after
  // Escape already reaches the tree.
  useLayoutEffect(() => {
    if (wasOpen.current && !dialog) document.querySelector<HTMLElement>('[role="treegrid"]')?.focus();
    wasOpen.current = dialog !== null;
  }, [dialog]);
  if (!dialog) return null;
  if (dialog.type === 'confirm-kill') return <KillDialog row={dialog.row} tree={dialog.tree} onClose={closeDialog} />;
  if (dialog.type === 'dump') return <DumpDialog row={dialog.row} kind={dialog.kind} tree={dialog.tree} onClose={closeDialog} />;
  if (dialog.type === 'capture') return <CaptureDialog row={dialog.row} scope={dialog.scope} onClose={closeDialog} />;
  return <PropertiesOpener row={dialog.row} />;
}

/** Properties is a window of its own (one per process): this opens or focuses it, then the request is done. */
function PropertiesOpener({ row }: { row: ProcessRow }) {
  const api = useApi();
  useEffect(() => {
    const target = { pid: row.pid, startTimeMs: row.startTimeMs };
    // Opened in the same task as the click's render (a browser lets a window opened then through).
    openProperties(api, appStore.getState().capabilities, target).catch((err: unknown) =>
      appStore.getState().notify(`Properties of ${row.name} (PID ${row.pid}) could not be opened: ${err instanceof Error ? err.message : String(err)}`),
    );
    closeDialog();
  }, [api, row]);
  return null;
}

export function Notices() {
  const notices = useAppStore((s) => s.notices);
  if (!notices.length) return null;
  return (
    <div className="notices">
      {notices.map((n) => (
        <div key={n.id} role="alert" className="notice">
          <span>{n.text}</span>
          <button type="button" aria-label="Dismiss this message" onClick={() => appStore.getState().dismissNotice(n.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
