// Find Handle or DLL and the lower pane over a scripted api and the app's store: the query goes to the host trimmed,
// only the newest search's answer is shown, a failure is the host's sentence; choosing a match selects its process
// and opens the collapsed branches above it; the lower pane asks for the one part of its mode and keeps the last
// list under 'Process exited' when the process is gone.
import { afterEach, describe, expect, it } from 'vitest';
import { IpcRequestError } from '../../src-shared/ipc/ipc-result';
import type { FindResult } from '../../src-shared/model/process-detail';
import type { ProcscopeApi } from '../api/procscope-api';
import { appStore } from '../store/app-store';
import { testRow, testSnapshot } from '../store/test-rows';
import { chooseMatch, runFind } from './find-dialog';
import { readLowerPane } from './lower-pane';

function scripted(answer: (channel: string, args: Record<string, unknown>) => unknown | Promise<unknown>) {
  const calls: [string, Record<string, unknown>][] = [];
  const api = {
    request: async (channel: string, args: Record<string, unknown>) => {
      calls.push([channel, args]);
      return answer(channel, args);
    },
    on: () => () => {},
    onDisconnect: () => {},
  } as unknown as ProcscopeApi;
  return { api, calls };
}

const result = (query: string): FindResult => ({
  query,
  matches: [{ pid: 30, startTimeMs: 1030, processName: 'leaf', kind: 'file', name: '/tmp/held.txt', handle: '3' }],
  truncated: false,
  unreadableProcesses: 2,
  durationMs: 4,
});

afterEach(() => {
  appStore.setState({ find: { status: 'idle' }, findOpen: false, selectedKey: null, collapsed: new Set(), filterText: '', lowerPaneData: null });
});

describe('Find Handle or DLL', () => {
  it('searches for the trimmed query and shows only the newest search', async () => {
    let release: (v: FindResult) => void = () => {};
    const { api, calls } = scripted((_c, args) => (args.query === 'slow' ? new Promise((r) => (release = r)) : result(String(args.query))));
    const slow = runFind(api, 'slow');
    await runFind(api, '  held  ');
    expect(calls.map(([c, a]) => [c, a])).toEqual([
      ['procscope:find-handle-or-dll', { query: 'slow' }],
      ['procscope:find-handle-or-dll', { query: 'held' }],
    ]);
    release(result('slow'));
    await slow;
    expect(appStore.getState().find).toMatchObject({ status: 'done', result: { query: 'held' } });
    const failing = scripted(() => {
      throw new IpcRequestError('invalid-argument', 'the query is 1-260 characters', 'procscope:find-handle-or-dll');
    });
    await runFind(failing.api, 'x');
    expect(appStore.getState().find).toEqual({ status: 'failed', query: 'x', message: 'the query is 1-260 characters' });
    await runFind(failing.api, '   ');
    expect(failing.calls).toHaveLength(1);
  });

  it('selects the chosen process, opens the collapsed branches above it, and closes', () => {
    appStore.getState().applySnapshot(testSnapshot(1, [testRow(10, 0, 'root'), testRow(20, 10, 'mid'), testRow(30, 20, 'leaf'), testRow(40, 10, 'other')]));
    appStore.setState({ collapsed: new Set(['10:1010', '20:1020', '40:1040']), findOpen: true });
    chooseMatch(result('held').matches[0]!);
    expect(appStore.getState().selectedKey).toBe('30:1030');
    expect([...appStore.getState().collapsed]).toEqual(['40:1040']);
    expect(appStore.getState().findOpen).toBe(false);
  });
});

describe('lower pane reads', () => {
  it('asks for its mode’s one part and keeps the last list when the process has gone', async () => {
    const modules = [{ name: 'libz.so.1', path: '/usr/lib/libz.so.1', baseAddress: '0x7f00', sizeBytes: 1, version: null, description: null, companyName: null, buildId: null }];
    const ok = scripted(() => ({ pid: 30, startTimeMs: 1030, timestampMs: 1, modules: { ok: true, value: modules } }));
    await readLowerPane(ok.api, '30:1030', 'dlls');
    expect(ok.calls).toEqual([['procscope:get-process-detail', { pid: 30, startTimeMs: 1030, parts: ['modules'] }]]);
    const gone = scripted(() => {
      throw new IpcRequestError('process-gone', 'PID 30 has exited.', 'procscope:get-process-detail');
    });
    await readLowerPane(gone.api, '30:1030', 'handles');
    expect(gone.calls[0]![1]).toMatchObject({ parts: ['handles'] });
    expect(appStore.getState().lowerPaneData).toMatchObject({ key: '30:1030', modules: { value: modules }, callError: 'Process exited — the last list read is shown.' });
  });
});
