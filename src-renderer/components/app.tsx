/*
 * The window: toolbar, process treegrid, Capture and dump jobs panels, the analysis report view, status bar, and the row actions' dialogs. Wires the
 * process stream and the dump events into the store, Space to pause (as in Process Explorer, except while typing
 * or in a dialog) and the Electron menu's commands. Transport-agnostic: it only sees
 * the ProcscopeApi from the context.
 */
import { useEffect, useRef, useState } from 'react';
import { useApi } from '../api/api-context';
import { connectCaptureEvents } from '../api/capture-events';
import { connectDumpEvents } from '../api/dump-events';
import { isConnected, useConnection } from '../api/connection';
import { connectProcessStream } from '../api/process-stream';
import { markDeltaApplied, markDeltaReceived } from '../api/frame-timing';
import { startView } from '../store/view-persistence';
import { appStore } from '../store/app-store';
import { ActionDialogs, Notices } from './action-dialogs';
import { startAnalyzeDump } from './analysis-actions';
import { AnalysisPanel, AnalyzePathDialog } from './analysis-panel';
import { CapturePanel } from './capture-panel';
import { ConnectionGate, DisconnectedBanner } from './disconnected-banner';
import { FindDialogHost } from './find-dialog';
import { LowerPane, lowerPaneKey } from './lower-pane';
import { JobsPanel } from './jobs-panel';
import { ProcessTable } from './process-table';
import { StatusBar } from './status-bar';
import { Toolbar } from './toolbar';
import { CategoryLegend } from './view-options';
import { collapseAllRows, expandAllRows, togglePause } from './tree-actions';

function isTypingTarget(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'SELECT', 'TEXTAREA', 'BUTTON'].includes(target.tagName));
}

export function App() {
  const api = useApi();
  const filterRef = useRef<HTMLInputElement>(null);
  const [columnChooserOpen, setColumnChooserOpen] = useState(false);
  const [disconnected, setDisconnected] = useState<string | null>(null);
  const { epoch } = useConnection();
  useEffect(() => setDisconnected(null), [epoch]);

  useEffect(() => {
    // A lost connection is the banner's (DisconnectedBanner); the status bar says what else went wrong.
    const onError = (message: string) => {
      if (isConnected()) setDisconnected(message);
    };
    const disconnect = connectProcessStream(api, appStore, { onDeltaReceived: markDeltaReceived, onDeltaApplied: markDeltaApplied, onError });
    const disconnectDumps = connectDumpEvents(api, appStore);
    const disconnectCaptures = connectCaptureEvents(api, appStore);
    const stopView = startView(api, appStore);
    const offMenu = api.on('procscope:menu-command', ({ command }) => {
      if (command === 'expand-all') expandAllRows();
      else if (command === 'collapse-all') collapseAllRows();
      else if (command === 'toggle-flat-list') appStore.getState().setFlatList(!appStore.getState().flatList);
      else if (command === 'focus-filter') filterRef.current?.focus();
      else if (command === 'choose-columns') setColumnChooserOpen(true);
      else if (command === 'analyze-dump') startAnalyzeDump(api);
      else if (command === 'toggle-lower-pane') lowerPaneKey('l');
      else if (command === 'lower-pane-dlls') lowerPaneKey('d');
      else if (command === 'lower-pane-handles') lowerPaneKey('h');
      else if (command === 'find-handle-or-dll') appStore.getState().setFindOpen(true);
      else if (command === 'options-colours') appStore.getState().openViewOptions('colours');
      else if (command === 'options-keep-exited') appStore.getState().openViewOptions('highlight');
    });
    return () => {
      disconnect();
      disconnectDumps();
      disconnectCaptures();
      stopView();
      offMenu();
    };
  }, [api]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === ' ' && !e.ctrlKey && !e.altKey && !e.metaKey && !isTypingTarget(e.target) && !appStore.getState().dialog) {
        e.preventDefault();
        // Disconnected, Space does nothing (it used to throw an unhandled rejection).
        if (isConnected()) void togglePause(api).catch((err: unknown) => appStore.getState().notify(`Pause failed: ${err instanceof Error ? err.message : String(err)}`));
      } else if (e.key.toLowerCase() === 'f' && e.shiftKey && (e.ctrlKey || e.metaKey) && !appStore.getState().dialog) {
        // Find Handle or DLL: Process Explorer's Ctrl+F, moved to Ctrl+Shift+F (Ctrl+F stays the filter).
        e.preventDefault();
        appStore.getState().setFindOpen(true);
      } else if (['l', 'd', 'h'].includes(e.key.toLowerCase()) && e.ctrlKey && !e.shiftKey && !e.altKey && !appStore.getState().dialog && !appStore.getState().findOpen) {
        // Lower pane, as in Process Explorer: Ctrl+L toggles it, Ctrl+D DLLs, Ctrl+H handles.
        e.preventDefault();
        lowerPaneKey(e.key.toLowerCase() as 'l' | 'd' | 'h');
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
      <DisconnectedBanner />
      <ConnectionGate>
        <Toolbar ref={filterRef} columnChooserOpen={columnChooserOpen} setColumnChooserOpen={setColumnChooserOpen} />
      </ConnectionGate>
      <ProcessTable />
      <CategoryLegend />
      <LowerPane />
      <Notices />
      <ConnectionGate>
        <div className="bottom-panels">
          <CapturePanel />
          <JobsPanel />
        </div>
      </ConnectionGate>
      <AnalysisPanel />
      <StatusBar disconnected={disconnected} />
      <ActionDialogs />
      <AnalyzePathDialog />
      <FindDialogHost />
    </div>
  );
}
