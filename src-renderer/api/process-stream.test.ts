import { describe, expect, it } from 'vitest';
import type { ProcscopeBridge } from '../../src-shared/ipc/bridge';
import type { PushChannel, RequestChannel } from '../../src-shared/ipc/contract';
import { ipcFail, ipcOk, IpcRequestError } from '../../src-shared/ipc/ipc-result';
import type { ProcessStreamMessage } from '../../src-shared/model/process';
import { createAppStore } from '../store/app-store';
import { TEST_SYSTEM, testRow, testSnapshot } from '../store/test-rows';
import type { ConnectionState } from './connection';
import { connectProcessStream } from './process-stream';
import { createApi } from './procscope-api';

function fakeBridge() {
  const listeners = new Map<PushChannel, (p: unknown) => void>();
  const calls: RequestChannel[] = [];
  let snapshotSeq = 20;
  const bridge: ProcscopeBridge = {
    async invoke(channel) {
      calls.push(channel);
      if (channel === 'procscope:get-snapshot') return ipcOk(testSnapshot(snapshotSeq, [testRow(1, 0, 'init'), testRow(9, 1, 'fresh')])) as never;
      if (channel === 'procscope:set-refresh-interval') return ipcFail('invalid-argument', 'bad interval') as never;
      return ipcOk({ intervalMs: 1000, lastRunningIntervalMs: 1000, includeHandleCount: false }) as never;
    },
    on(channel, listener) {
      listeners.set(channel, listener as (p: unknown) => void);
      return () => listeners.delete(channel);
    },
  };
  const push = (m: ProcessStreamMessage) => listeners.get('procscope:process-stream')!(m);
  return { bridge, calls, push, setSnapshotSeq: (s: number) => (snapshotSeq = s) };
}

const delta = (seq: number): ProcessStreamMessage => ({
  kind: 'delta',
  delta: { seq, timestampMs: 0, intervalMs: 1000, added: [], updated: [], removed: [], system: TEST_SYSTEM },
});

describe('process stream', () => {
  it('subscribes, applies snapshot and deltas, and fetches a fresh snapshot on a seq gap', async () => {
    const { bridge, calls, push } = fakeBridge();
    const store = createAppStore();
    connectProcessStream(createApi(bridge), store);
    await Promise.resolve();
    expect(calls).toContain('procscope:subscribe-processes');
    push({ kind: 'snapshot', snapshot: testSnapshot(5, [testRow(1, 0, 'init')]) });
    push(delta(6));
    expect(store.getState().seq).toBe(6);
    push(delta(8));
    await new Promise((r) => setTimeout(r, 0));
    expect(calls).toContain('procscope:get-snapshot');
    expect(store.getState().seq).toBe(20);
    expect(store.getState().rows.has('9:1009')).toBe(true);
  });

  it('subscribes again and takes a fresh snapshot when a lost connection returns, and stops listening once disconnected', async () => {
    const { bridge, calls } = fakeBridge();
    const store = createAppStore();
    let tell: ((state: ConnectionState) => void) | null = null;
    const api = createApi(bridge, () => {}, (listener) => {
      tell = listener;
      return () => (tell = null);
    });
    const stop = connectProcessStream(api, store);
    await Promise.resolve();
    expect(calls.filter((c) => c === 'procscope:subscribe-processes')).toHaveLength(1);
    tell!({ connected: false, reason: 'gone', retryAtMs: null });
    await new Promise((r) => setTimeout(r, 0));
    expect(calls.filter((c) => c === 'procscope:subscribe-processes')).toHaveLength(1);
    tell!({ connected: true });
    await new Promise((r) => setTimeout(r, 0));
    expect(calls.filter((c) => c === 'procscope:subscribe-processes')).toHaveLength(2);
    expect(calls).toContain('procscope:get-snapshot');
    expect(store.getState().seq).toBe(20);
    stop();
    expect(tell).toBeNull();
  });

  it('turns an error envelope into a typed IpcRequestError', async () => {
    const api = createApi(fakeBridge().bridge);
    const err = await api.request('procscope:set-refresh-interval', { intervalMs: 7 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpcRequestError);
    expect((err as IpcRequestError).code).toBe('invalid-argument');
  });
});
