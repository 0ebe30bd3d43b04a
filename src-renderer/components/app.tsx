/*
 * The window: toolbar, process treegrid, Capture and dump jobs panels, status bar, and the row actions' dialogs. Wires the
 * process stream and the dump events into the store, Space to pause (as in Process Explorer, except while typing
 * or in a dialog) and the Electron menu's commands. Transport-agnostic: it only sees
 * the ProcscopeApi from the context.
 */
import { useEffect, useRef, useState } from 'react';
import { useApi } from '../api/api-context';
import { connectCaptureEvents } from '../api/capture-events';
import { connectDumpEvents } from '../api/dump-events';
import { connectProcessStream } from '../api/process-stream';
import { markDeltaApplied, markDeltaReceived } from '../api/frame-timing';
import { appStore } from '../store/app-store';
import { ActionDialogs, Notices } from './action-dialogs';
import { CapturePanel } from './capture-panel';
import { JobsPanel } from './jobs-panel';
import { ProcessTable } from './process-table';
import { StatusBar } from './status-bar';
import { Toolbar } from './toolbar';
import { collapseAllRows, expandAllRows, togglePause } from './tree-actions';

function isTypingTarget(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'SELECT', 'TEXTAREA', 'BUTTON'].includes(target.tagName));
}

export function App() {
  const api = useApi();
  const filterRef = useRef<HTMLInputElement>(null);
  const [columnChooserOpen, setColumnChooserOpen] = useState(false);
  const [disconnected, setDisconnected] = useState<string | null>(null);

  useEffect(() => {
    api.onDisconnect(setDisconnected);
    const disconnect = connectProcessStream(api, appStore, { onDeltaReceived: markDeltaReceived, onDeltaApplied: markDeltaApplied, onError: setDisconnected });
    const disconnectDumps = connectDumpEvents(api, appStore);
    const disconnectCaptures = connectCaptureEvents(api, appStore);
    const offMenu = api.on('procscope:menu-command', ({ command }) => {
      if (command === 'expand-all') expandAllRows();
      else if (command === 'collapse-all') collapseAllRows();
      else if (command === 'toggle-flat-list') appStore.getState().setFlatList(!appStore.getState().flatList);
      else if (command === 'focus-filter') filterRef.current?.focus();
      else if (command === 'choose-columns') setColumnChooserOpen(true);
    });
    return () => {
      disconnect();
      disconnectDumps();
      disconnectCaptures();
      offMenu();
    };
  }, [api]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === ' ' && !e.ctrlKey && !e.altKey && !e.metaKey && !isTypingTarget(e.target) && !appStore.getState().dialog) {
        e.preventDefault();
        void togglePause(api);
      } else if (e.key === 'f' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        filterRef.current?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [api]);

  return (
    <div className="app">
      <Toolbar ref={filterRef} columnChooserOpen={columnChooserOpen} setColumnChooserOpen={setColumnChooserOpen} />
      <ProcessTable />
      <Notices />
      <div className="bottom-panels">
        <CapturePanel />
        <JobsPanel />
      </div>
      <StatusBar disconnected={disconnected} />
      <ActionDialogs />
    </div>
  );
}
