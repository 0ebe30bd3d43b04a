/*
 * View actions shared by the toolbar, the keyboard and the Electron menu: expand/collapse all, pause, and keeping
 * the poller's handle counting in step with the Handles column (counting fds is costly on Linux).
 */
import type { ProcscopeApi } from '../api/procscope-api';
import { appStore } from '../store/app-store';
import type { ColumnId } from '../format/columns';

export function collapseAllRows(): void {
  const state = appStore.getState();
  state.collapseAll(state.tree.tree.children.keys());
}

export function expandAllRows(): void {
  appStore.getState().expandAll();
}

export async function setRefreshInterval(api: ProcscopeApi, intervalMs: number): Promise<void> {
  appStore.getState().setPollerState(await api.request('procscope:set-refresh-interval', { intervalMs }));
}

export async function togglePause(api: ProcscopeApi): Promise<void> {
  const state = appStore.getState().pollerState;
  if (!state) return;
  await setRefreshInterval(api, state.intervalMs === 0 ? state.lastRunningIntervalMs : 0);
}

export async function setColumnVisible(api: ProcscopeApi, column: ColumnId, visible: boolean): Promise<void> {
  appStore.getState().setColumnVisible(column, visible);
  if (column === 'handleCount') {
    appStore.getState().setPollerState(await api.request('procscope:set-include-handle-count', { include: visible }));
  }
}
