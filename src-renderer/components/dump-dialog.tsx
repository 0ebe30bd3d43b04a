/*
 * The save dialog of Create Dump and Dump Process Tree, in-page for both hosts: proposes the remembered folder,
 * shows the file name the dump will get, says plainly what the file holds, and starts the job. Browse… opens the
 * native folder picker where the host has one (Electron). Main re-checks everything; this only helps the user.
 */
import { useEffect, useId, useState } from 'react';
import { DUMP_SECRETS_WARNING, dumpFileName, dumpStamp, type DumpKind } from '../../src-shared/model/dump';
import type { ProcessRow } from '../../src-shared/model/process';
import { useApi } from '../api/api-context';
import { useAppStore } from '../store/app-store';
import { DialogFooter } from './dialog-footer';
import { ModalDialog } from './modal-dialog';

export function dumpDialogTitle(kind: DumpKind, tree: boolean): string {
  if (tree) return kind === 'full' ? 'Dump Process Tree: Full Dumps' : 'Dump Process Tree: Minidumps';
  return kind === 'full' ? 'Create Full Dump' : 'Create Minidump';
}

const isAbsoluteFolder = (v: string) => v.startsWith('/') || /^[A-Za-z]:[\\/]/.test(v) || v.startsWith('\\\\');

export function DumpDialog({ row, kind, tree, onClose }: { row: ProcessRow; kind: DumpKind; tree: boolean; onClose(): void }) {
  const api = useApi();
  const capabilities = useAppStore((s) => s.capabilities);
  const folderId = useId();
  const warningId = useId();
  const [folder, setFolder] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const snapshotId = useId();
  // Off by default: a snapshot's clone doubles the memory the process writes meanwhile (copy-on-write).
  const [snapshot, setSnapshot] = useState(false);
  // The name's time follows the clock while the dialog is open, and Create sends the one on screen, so the file is
  // named exactly as shown (it used to be the time the dialog opened, and the writer took its own).
  const [at, setAt] = useState(() => new Date());
  useEffect(() => {
    const untilNextSecond = () => 1005 - (Date.now() % 1000);
    let timer = setTimeout(function tick() {
      setAt(new Date());
      timer = setTimeout(tick, untilNextSecond());
    }, untilNextSecond());
    return () => clearTimeout(timer);
  }, []);
  const ext = capabilities?.dumpFormat === 'minidump' ? 'dmp' : 'core';
  const stamp = dumpStamp(at);
  const fileName = dumpFileName(row.name, row.pid, kind, ext, stamp);

  useEffect(() => {
    let live = true;
    api.request('procscope:get-dump-settings', {}).then(
      (settings) => live && setFolder((f) => f ?? settings.dumpDir),
      (err: unknown) => {
        if (!live) return;
        setFolder((f) => f ?? '');
        setError(`The remembered folder could not be read: ${err instanceof Error ? err.message : String(err)}`);
      },
    );
    return () => {
      live = false;
    };
  }, [api]);

  const browse = async () => {
    try {
      const picked = await api.request('procscope:choose-dump-folder', folder ? { defaultPath: folder } : {});
      if (picked) setFolder(picked);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  const create = async () => {
    const outDir = (folder ?? '').trim();
    if (!isAbsoluteFolder(outDir)) return setError('Type the full path of a folder, starting with / (or a drive letter on Windows).');
    setBusy(true);
    setError(null);
    // The name only labels the file; main reads it from the OS when there is none.
    const args = {
      pid: row.pid,
      startTimeMs: row.startTimeMs,
      kind,
      outDir,
      stamp,
      ...(row.name ? { name: row.name.slice(0, 255) } : {}),
      ...(snapshot && ext === 'core' ? { snapshot: true } : {}),
    };
    try {
      if (tree) await api.request('procscope:start-tree-dump', args);
      else await api.request('procscope:start-dump', args);
      onClose();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };

  return (
    <ModalDialog title={dumpDialogTitle(kind, tree)} onClose={onClose} describedBy={warningId} className="dump-dialog">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <p>
          {tree ? `${row.name} (PID ${row.pid}) and every process below it, one file each.` : `${row.name} (PID ${row.pid})`}
        </p>
        <label htmlFor={folderId}>Folder</label>
        <div className="folder-row">
          <input
            id={folderId}
            type="text"
            spellCheck={false}
            value={folder ?? ''}
            // Read-only until the remembered folder is in: text typed before it arrived would run into it.
            readOnly={folder === null}
            placeholder={folder === null ? 'Loading the remembered folder…' : '/path/to/folder'}
            onChange={(e) => setFolder(e.target.value)}
          />
          {capabilities?.chooseFolder && (
            <button type="button" onClick={() => void browse()}>
              Browse…
            </button>
          )}
        </div>
        <p className="file-name">
          File name{tree ? ' (this process; the others alike)' : ''}: <output aria-label="File name">{fileName}</output>
        </p>
        {ext === 'core' && (
          <p className="snapshot-option">
            <input id={snapshotId} type="checkbox" checked={snapshot} onChange={(e) => setSnapshot(e.target.checked)} />
            <label htmlFor={snapshotId}>Snapshot (shortest pause)</label>
          </p>
        )}
        <p id={warningId} className="secrets-warning">
          {DUMP_SECRETS_WARNING}
        </p>
        <DialogFooter error={error} onCancel={onClose}>
          <button type="submit" disabled={busy || folder === null}>
            Create
          </button>
        </DialogFooter>
      </form>
    </ModalDialog>
  );
}
