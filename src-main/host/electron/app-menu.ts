/*
 * The application menu as data (File, Edit, View with refresh rates and pause, Help/About), rebuilt whenever the
 * poller state changes so the radio and checkbox marks stay true. Items that change the view are forwarded to
 * the renderer as menu commands; main owns no view state. Runs in the Electron main process.
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { MenuCommand, PollerState } from '../../../src-shared/ipc/contract';
import { REFRESH_INTERVALS_MS } from '../../../src-shared/model/process';

export interface MenuActions {
  setRefreshInterval(intervalMs: number): void;
  togglePause(): void;
  refreshNow(): void;
  sendCommand(command: MenuCommand): void;
  showAbout(): void;
}

export function buildMenuTemplate(state: PollerState, actions: MenuActions): MenuItemConstructorOptions[] {
  const paused = state.intervalMs === 0;
  const rate = (ms: number): MenuItemConstructorOptions => ({
    label: ms < 1000 ? `${ms / 1000} Seconds` : ms === 1000 ? '1 Second' : `${ms / 1000} Seconds`,
    type: 'radio',
    checked: (paused ? state.lastRunningIntervalMs : state.intervalMs) === ms,
    click: () => actions.setRefreshInterval(ms),
  });
  return [
    {
      label: '&File',
      submenu: [
        { label: 'Analyze Dump…', accelerator: 'CmdOrCtrl+O', click: () => actions.sendCommand('analyze-dump') },
        { type: 'separator' },
        { label: 'Refresh Now', accelerator: 'F5', click: () => actions.refreshNow() },
        { type: 'separator' },
        { role: 'quit', label: 'E&xit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: '&View',
      submenu: [
        { label: 'Update Speed', submenu: REFRESH_INTERVALS_MS.map(rate) },
        // Space is handled in the page (it must still type spaces into the filter box), so no accelerator here.
        { label: 'Pause (Space)', type: 'checkbox', checked: paused, click: () => actions.togglePause() },
        { type: 'separator' },
        { label: 'Expand All', click: () => actions.sendCommand('expand-all') },
        { label: 'Collapse All', click: () => actions.sendCommand('collapse-all') },
        { label: 'Flat List', accelerator: 'CmdOrCtrl+T', click: () => actions.sendCommand('toggle-flat-list') },
        { label: 'Find…', accelerator: 'CmdOrCtrl+F', click: () => actions.sendCommand('focus-filter') },
        { label: 'Select Columns…', click: () => actions.sendCommand('choose-columns') },
        { type: 'separator' },
        { label: 'Show Lower Pane', accelerator: 'CmdOrCtrl+L', click: () => actions.sendCommand('toggle-lower-pane') },
        { label: 'Lower Pane: DLLs', accelerator: 'CmdOrCtrl+D', click: () => actions.sendCommand('lower-pane-dlls') },
        { label: 'Lower Pane: Handles', accelerator: 'CmdOrCtrl+H', click: () => actions.sendCommand('lower-pane-handles') },
        // Process Explorer's Ctrl+F; Ctrl+F is the filter here.
        { label: 'Find Handle or DLL…', accelerator: 'CmdOrCtrl+Shift+F', click: () => actions.sendCommand('find-handle-or-dll') },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { role: 'togglefullscreen' },
      ],
    },
    {
      label: '&Options',
      submenu: [
        { label: 'Colours…', click: () => actions.sendCommand('options-colours') },
        { label: 'Keep Exited Processes…', click: () => actions.sendCommand('options-keep-exited') },
      ],
    },
    { label: '&Help', submenu: [{ label: 'About Procscope', click: () => actions.showAbout() }] },
  ];
}
