import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RequestArgs, RequestChannel, RequestResult } from '../../src-shared/ipc/contract';
import { DEFAULT_CATEGORY_STYLES, type ViewSettings } from '../../src-shared/model/view-settings';
import type { ProcscopeApi } from '../api/procscope-api';
import { createAppStore } from './app-store';
import { SAVE_DELAY_MS, startView, viewSettingsOf } from './view-persistence';

const SAVED: ViewSettings = {
  version: 1,
  columns: ['name', 'exePath', 'pid', 'handleCount'],
  widthsPx: { name: 333, pid: 44 },
  sort: { column: 'pid', direction: 'desc' },
  flatList: true,
  lowerPane: { visible: true, view: 'handles' },
  refreshIntervalMs: 2000,
  newHighlightMs: 2000,
  keepExitedMs: 10_000,
  categories: { ...DEFAULT_CATEGORY_STYLES, own: { color: '#112233', enabled: false } },
};

function fakeApi(answers: Partial<{ [C in RequestChannel]: (args: RequestArgs<C>) => Promise<RequestResult<C>> }>) {
  const calls: { channel: RequestChannel; args: unknown }[] = [];
  const api: ProcscopeApi = {
    request: (async (channel: RequestChannel, args: unknown) => {
      calls.push({ channel, args });
      const answer = answers[channel] as ((a: unknown) => Promise<unknown>) | undefined;
      if (!answer) throw new Error(`no answer for ${channel}`);
      return answer(args);
    }) as ProcscopeApi['request'],
    on: () => () => {},
    onDisconnect: () => {},
  };
  return { api, calls };
}

const APP_INFO = {
  name: 'Procscope',
  version: '0',
  backendPlatform: 'fake' as const,
  handleCount: 'cheap' as const,
  capabilities: { suspend: true, dumpFormat: 'none' as const, chooseFolder: false, showInFolder: false, capture: false, openDumpDialog: false, saveReportDialog: false },
  currentUser: 'alice',
};
const POLLER = { intervalMs: 1000, lastRunningIntervalMs: 1000, includeHandleCount: false };

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('view persistence', () => {
  it('restores the saved view and the host parts, and saves only what changed after the restore', async () => {
    const store = createAppStore();
    let poller = { ...POLLER };
    const { api, calls } = fakeApi({
      'procscope:get-app-info': async () => APP_INFO,
      'procscope:get-view-settings': async () => ({ settings: SAVED, notice: null }),
      'procscope:set-refresh-interval': async ({ intervalMs }) => (poller = { ...poller, intervalMs, lastRunningIntervalMs: intervalMs }),
      'procscope:set-include-handle-count': async ({ include }) => (poller = { ...poller, includeHandleCount: include }),
      'procscope:set-view-settings': async ({ settings }) => settings,
    });
    const stop = startView(api, store);
    expect(store.getState().viewRestored).toBe(false);
    await vi.advanceTimersByTimeAsync(0);
    const s = store.getState();
    expect(s.viewRestored).toBe(true);
    expect(s.currentUser).toBe('alice');
    expect(s.visibleColumns).toEqual(['name', 'exePath', 'pid', 'handleCount']);
    expect([s.columnWidthsPx.name, s.sortColumn, s.flatList, s.keepExitedMs, s.newHighlightMs]).toEqual([333, 'pid', true, 10_000, 2000]);
    expect(s.lowerPane).toEqual({ visible: true, mode: 'handles' });
    // The poller's part waits for its state: then the saved rate and the Handles column's counting are asked for.
    store.getState().setPollerState(POLLER);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.filter((c) => c.channel !== 'procscope:get-app-info' && c.channel !== 'procscope:get-view-settings').map((c) => [c.channel, c.args])).toEqual([
      ['procscope:set-refresh-interval', { intervalMs: 2000 }],
      ['procscope:set-include-handle-count', { include: true }],
    ]);
    await vi.advanceTimersByTimeAsync(SAVE_DELAY_MS * 2);
    // Restoring writes nothing back: the host already holds this view (rate included, once the poller has it).
    expect(calls.filter((c) => c.channel === 'procscope:set-view-settings')).toHaveLength(0);
    expect(viewSettingsOf(store.getState()).refreshIntervalMs).toBe(2000);
    calls.length = 0;

    // Three quick changes: one save, of the last state.
    store.getState().setColumnWidth('pid', 90);
    store.getState().moveColumn('pid', -1);
    store.getState().setCategoryStyle('suspended', { color: '#abcdef' });
    await vi.advanceTimersByTimeAsync(SAVE_DELAY_MS - 10);
    expect(calls.filter((c) => c.channel === 'procscope:set-view-settings')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(20);
    const saves = calls.filter((c) => c.channel === 'procscope:set-view-settings');
    expect(saves).toHaveLength(1);
    expect(saves[0]!.args).toEqual({ settings: viewSettingsOf(store.getState()) });
    const saved = (saves[0]!.args as { settings: ViewSettings }).settings;
    expect(saved.columns).toEqual(['name', 'pid', 'exePath', 'handleCount']);
    expect([saved.widthsPx.pid, saved.refreshIntervalMs]).toEqual([90, 2000]);
    expect(saved.categories.suspended).toEqual({ color: '#abcdef', enabled: true });
    // Filtering and selection are not part of the view that persists.
    store.getState().setFilterText('bash');
    store.getState().select('1:1');
    await vi.advanceTimersByTimeAsync(SAVE_DELAY_MS * 2);
    expect(calls.filter((c) => c.channel === 'procscope:set-view-settings')).toHaveLength(1);
    stop();
  });

  it('shows the host\'s notice for a damaged file and keeps the defaults; a failed save says so once', async () => {
    const store = createAppStore();
    const defaults = viewSettingsOf(store.getState());
    let failures = 0;
    const { api } = fakeApi({
      'procscope:get-app-info': async () => APP_INFO,
      'procscope:get-view-settings': async () => ({ settings: null, notice: 'The saved view (/x/view-settings.json) is not valid JSON; the default view is shown.' }),
      'procscope:set-view-settings': async () => {
        failures++;
        throw new Error('disk full');
      },
    });
    const stop = startView(api, store);
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getState().viewRestored).toBe(true);
    expect(viewSettingsOf(store.getState())).toEqual(defaults);
    expect(store.getState().notices.map((n) => n.text)).toEqual(['The saved view (/x/view-settings.json) is not valid JSON; the default view is shown.']);
    store.getState().setFlatList(true);
    await vi.advanceTimersByTimeAsync(SAVE_DELAY_MS + 10);
    store.getState().setFlatList(false);
    await vi.advanceTimersByTimeAsync(SAVE_DELAY_MS + 10);
    expect(failures).toBe(2);
    expect(store.getState().notices.filter((n) => n.text.includes('could not be saved'))).toHaveLength(1);
    stop();
  });

  it('paints the defaults when the host does not answer in time', async () => {
    const store = createAppStore();
    const { api } = fakeApi({
      'procscope:get-app-info': () => new Promise(() => {}),
      'procscope:get-view-settings': () => new Promise(() => {}),
    });
    const stop = startView(api, store);
    await vi.advanceTimersByTimeAsync(1000);
    expect(store.getState().viewRestored).toBe(false);
    await vi.advanceTimersByTimeAsync(600);
    expect(store.getState().viewRestored).toBe(true);
    stop();
  });
});
