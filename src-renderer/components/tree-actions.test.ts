import { describe, expect, it } from 'vitest';
import type { ProcscopeApi } from '../api/procscope-api';
import { appStore } from '../store/app-store';
import { testRow, testSnapshot } from '../store/test-rows';
import { collapseAllRows, expandAllRows, setColumnVisible, togglePause } from './tree-actions';

function recordingApi() {
  const calls: [string, unknown][] = [];
  const api = {
    async request(channel: string, args: unknown) {
      calls.push([channel, args]);
      const a = args as { intervalMs?: number; include?: boolean };
      return { intervalMs: a.intervalMs ?? 1000, lastRunningIntervalMs: 2000, includeHandleCount: a.include ?? false };
    },
  } as unknown as ProcscopeApi;
  return { api, calls };
}

describe('tree actions', () => {
  it('switching the Handles column on or off switches the poller\'s handle counting', async () => {
    const { api, calls } = recordingApi();
    await setColumnVisible(api, 'handleCount', true);
    expect(appStore.getState().visibleColumns).toContain('handleCount');
    expect(calls).toEqual([['procscope:set-include-handle-count', { include: true }]]);
    await setColumnVisible(api, 'handleCount', false);
    expect(calls.at(-1)).toEqual(['procscope:set-include-handle-count', { include: false }]);
    await setColumnVisible(api, 'user', false);
    expect(calls).toHaveLength(2);
  });

  it('pauses with interval 0 and resumes at the last running interval', async () => {
    const { api, calls } = recordingApi();
    appStore.getState().setPollerState({ intervalMs: 2000, lastRunningIntervalMs: 2000, includeHandleCount: false });
    await togglePause(api);
    expect(calls.at(-1)).toEqual(['procscope:set-refresh-interval', { intervalMs: 0 }]);
    await togglePause(api);
    expect(calls.at(-1)).toEqual(['procscope:set-refresh-interval', { intervalMs: 2000 }]);
  });

  it('collapses every branch and expands them again', () => {
    appStore.getState().applySnapshot(testSnapshot(1, [testRow(1, 0, 'init'), testRow(2, 1, 'a'), testRow(3, 2, 'b'), testRow(4, 1, 'c')]));
    collapseAllRows();
    expect([...appStore.getState().collapsed].sort()).toEqual(['1:1001', '2:1002']);
    expandAllRows();
    expect(appStore.getState().collapsed.size).toBe(0);
  });
});
