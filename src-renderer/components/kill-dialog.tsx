/* Kill Process / Kill Process Tree asks first, as Process Explorer does; a refusal is shown in the dialog. */
import { useId, useState } from 'react';
import type { ProcessRow } from '../../src-shared/model/process';
import { useApi } from '../api/api-context';
import { appStore } from '../store/app-store';
import { DialogFooter } from './dialog-footer';
import { ModalDialog } from './modal-dialog';

export function KillDialog({ row, tree, onClose }: { row: ProcessRow; tree: boolean; onClose(): void }) {
  const api = useApi();
  const messageId = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const target = { pid: row.pid, startTimeMs: row.startTimeMs };
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      if (tree) {
        const result = await api.request('procscope:kill-process-tree', target);
        for (const f of result.failures) appStore.getState().notify(`PID ${f.pid} of the tree could not be killed: ${f.message}`);
      } else {
        await api.request('procscope:kill-process', target);
      }
      onClose();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };
  return (
    <ModalDialog title={tree ? 'Kill Process Tree' : 'Kill Process'} onClose={onClose} describedBy={messageId} initialFocus=".dialog-cancel">
      <p id={messageId}>
        {tree
          ? `Are you sure you want to kill ${row.name} (PID ${row.pid}) and all of its descendants?`
          : `Are you sure you want to kill ${row.name} (PID ${row.pid})?`}{' '}
        Unsaved work in {tree ? 'these processes' : 'it'} is lost.
      </p>
      <DialogFooter error={error} onCancel={onClose}>
        <button type="button" className="danger" disabled={busy} onClick={() => void confirm()}>
          {tree ? 'Kill Tree' : 'Kill'}
        </button>
      </DialogFooter>
    </ModalDialog>
  );
}
