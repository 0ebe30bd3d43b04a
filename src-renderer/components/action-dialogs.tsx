/*
 * The one open row-action dialog (kill confirmation, dump, capture, properties) and the notices actions left behind.
 * Closing a dialog hands the focus back to the process tree, where the keyboard user came from.
 */
import { useLayoutEffect, useRef } from 'react';
import { appStore, useAppStore } from '../store/app-store';
import { CaptureDialog } from './capture-dialog';
import { DumpDialog } from './dump-dialog';
import { KillDialog } from './kill-dialog';
import { PropertiesDialog } from './properties-dialog';

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
  return <PropertiesDialog row={dialog.row} onClose={closeDialog} />;
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
