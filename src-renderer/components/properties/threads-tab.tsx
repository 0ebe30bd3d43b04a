/*
 * The Threads tab: every thread, and for the selected one its stack on demand (main holds only that thread while it
 * unwinds) written with the analysis report's frameText, and Kill / Suspend / Resume of that one thread — Kill asks
 * first, as killing a process does.
 */
import { useState } from 'react';
import { frameText } from '../../../src-shared/model/analysis-report';
import type { ThreadAction, ThreadDetail, ThreadStackDetail } from '../../../src-shared/model/process-detail';
import { useApi } from '../../api/api-context';
import { appStore } from '../../store/app-store';
import type { PartView } from '../../store/detail-slice';
import { DialogFooter } from '../dialog-footer';
import { ModalDialog } from '../modal-dialog';
import { DetailTable, PartState } from './detail-table';
import { THREAD_COLUMNS } from './detail-columns';
import { readThreadStack, runThreadAction } from './properties-actions';

type StackView = { tid: number; status: 'reading' } | { tid: number; status: 'done'; stack: ThreadStackDetail } | { tid: number; status: 'failed'; message: string };

export function ThreadsTab({ view, exited }: { view: PartView<ThreadDetail[]> | undefined; exited: boolean }) {
  const api = useApi();
  const [selected, setSelected] = useState<number | null>(null);
  const [stack, setStack] = useState<StackView | null>(null);
  const [confirmKill, setConfirmKill] = useState<number | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const threads = view?.value ?? [];
  const current = threads.find((t) => t.tid === selected) ?? null;
  const enabled = current !== null && !exited;

  const showStack = async (tid: number) => {
    setStack({ tid, status: 'reading' });
    const answer = await readThreadStack(api, appStore, tid);
    setStack(typeof answer === 'string' ? { tid, status: 'failed', message: answer } : { tid, status: 'done', stack: answer });
  };
  const act = async (tid: number, action: ThreadAction) => {
    const failed = await runThreadAction(api, appStore, tid, action);
    const verb = action === 'kill' ? 'killed' : action === 'suspend' ? 'suspended' : 'resumed';
    setMessage(failed ? `Thread ${tid} could not be ${verb}: ${failed}` : `Thread ${tid} ${verb}.`);
  };

  return (
    <div className="threads-tab">
      <PartState view={view}>
        {(rows) => (
          <DetailTable
            label="Threads"
            columns={THREAD_COLUMNS}
            rows={rows}
            rowKey={(t) => String(t.tid)}
            selectedKey={selected === null ? null : String(selected)}
            onSelect={(key) => setSelected(Number(key))}
            empty="No threads."
          />
        )}
      </PartState>
      <div className="thread-actions">
        <button type="button" disabled={!enabled} onClick={() => current && void showStack(current.tid)}>
          Stack
        </button>
        <button type="button" disabled={!enabled} onClick={() => current && void act(current.tid, 'suspend')}>
          Suspend
        </button>
        <button type="button" disabled={!enabled} onClick={() => current && void act(current.tid, 'resume')}>
          Resume
        </button>
        <button type="button" className="danger" disabled={!enabled} onClick={() => current && setConfirmKill(current.tid)}>
          Kill
        </button>
        {message && (
          <span role="status" className="thread-message">
            {message}
          </span>
        )}
      </div>
      {stack && (
        <section className="thread-stack" aria-label={`Stack of thread ${stack.tid}`}>
          <h2>Stack of thread {stack.tid}</h2>
          {stack.status === 'reading' && <p role="status">Reading the stack…</p>}
          {stack.status === 'failed' && <p role="alert">{stack.message}</p>}
          {stack.status === 'done' && (
            <>
              <ol className="stack-frames">
                {stack.stack.frames.map((f) => (
                  <li key={f.index} className={`frame trust-${f.trust}`} title={`${f.pc} (${f.trust})`}>
                    {frameText(f)}
                  </li>
                ))}
              </ol>
              <p className="stack-meta">
                Thread held {stack.stack.pausedMs} ms.{stack.stack.note ? ` ${stack.stack.note}` : ''}
              </p>
            </>
          )}
        </section>
      )}
      {confirmKill !== null && (
        <ModalDialog title="Kill Thread" onClose={() => setConfirmKill(null)} initialFocus=".dialog-cancel">
          <p>Are you sure you want to kill thread {confirmKill}? The process may crash or hang: other threads can wait for it forever.</p>
          <DialogFooter error={null} onCancel={() => setConfirmKill(null)}>
            <button
              type="button"
              className="danger"
              onClick={() => {
                const tid = confirmKill;
                setConfirmKill(null);
                void act(tid, 'kill');
              }}
            >
              Kill
            </button>
          </DialogFooter>
        </ModalDialog>
      )}
    </div>
  );
}
