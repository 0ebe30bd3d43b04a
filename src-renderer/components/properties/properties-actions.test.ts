// The Properties page's reads over a scripted api: the shown tab's parts each round at the poller's interval, none
// while paused (but the resume is noticed), a tab switch reads at once, a gone process marks the window exited and
// stops the rounds, any other failure is a sentence and the rounds go on; thread stacks and actions by identity.
import { describe, expect, it } from 'vitest';
import type { PollerState } from '../../../src-shared/ipc/contract';
import { IpcRequestError } from '../../../src-shared/ipc/ipc-result';
import type { DetailPart } from '../../../src-shared/model/process-detail';
import type { ProcscopeApi } from '../../api/procscope-api';
import { createAppStore } from '../../store/app-store';
import { PAUSED_RECHECK_MS, readThreadStack, runThreadAction, startPropertiesRefresh } from './properties-actions';

const target = { pid: 4242, startTimeMs: 1000 };

function scripted(answer: (channel: string, args: Record<string, unknown>) => unknown) {
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

function manualTimers() {
  const pending: { fn: () => void; ms: number }[] = [];
  return {
    pending,
    setTimer: (fn: () => void, ms: number) => {
      const t = { fn, ms };
      pending.push(t);
      return t;
    },
    clearTimer: (h: unknown) => {
      const at = pending.indexOf(h as (typeof pending)[number]);
      if (at >= 0) pending.splice(at, 1);
    },
    async fire() {
      const t = pending.shift();
      if (!t) throw new Error('no timer');
      t.fn();
      await flush();
      return t.ms;
    },
  };
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

const poller = (intervalMs: number): PollerState => ({ intervalMs, lastRunningIntervalMs: 2000, includeHandleCount: false });

describe('Properties refresh', () => {
  it('reads the shown tab every interval, not while paused, and at once on a tab switch', async () => {
    const store = createAppStore();
    store.getState().openPropertiesState(target);
    let interval = 2000;
    let parts: DetailPart[] = ['image'];
    const { api, calls } = scripted((channel, args) => {
      if (channel === 'procscope:get-poller-state') return poller(interval);
      return { ...target, timestampMs: Date.now(), image: { ok: false, error: { code: 'access-denied', message: 'no' } }, ...(args.parts as string[]).includes('threads') ? { threads: { ok: true, value: [] } } : {} };
    });
    const timers = manualTimers();
    const loop = startPropertiesRefresh(api, store, { parts: () => parts, ...timers });
    await flush();
    const detailCalls = () => calls.filter(([c]) => c === 'procscope:get-process-detail').map(([, a]) => a);
    expect(detailCalls()).toEqual([{ ...target, parts: ['image'] }]);
    expect(timers.pending.map((t) => t.ms)).toEqual([2000]);

    interval = 0; // paused from the main window
    expect(await timers.fire()).toBe(2000);
    expect(detailCalls()).toHaveLength(1);
    expect(timers.pending.map((t) => t.ms)).toEqual([PAUSED_RECHECK_MS]);
    expect(store.getState().pollerState?.intervalMs).toBe(0);

    interval = 1000;
    await timers.fire();
    expect(detailCalls()).toHaveLength(2);

    parts = ['threads'];
    await loop.refresh();
    await flush();
    expect(detailCalls().at(-1)).toEqual({ ...target, parts: ['threads'] });
    expect(timers.pending).toHaveLength(1); // the old timer was replaced, not doubled
    expect(store.getState().properties!.parts.threads).toMatchObject({ value: [], error: null });
    loop.stop();
    expect(timers.pending).toHaveLength(0);
  });

  it('marks the window exited on process-gone and stops; any other failure is a sentence and goes on', async () => {
    const store = createAppStore();
    store.getState().openPropertiesState(target);
    let fail: IpcRequestError = new IpcRequestError('internal', 'host hiccup', 'procscope:get-process-detail');
    const { api, calls } = scripted((channel) => {
      if (channel === 'procscope:get-poller-state') return poller(1000);
      throw fail;
    });
    const timers = manualTimers();
    startPropertiesRefresh(api, store, { parts: () => ['modules'], ...timers });
    await flush();
    expect(store.getState().properties).toMatchObject({ exited: false, callError: 'host hiccup' });
    expect(timers.pending).toHaveLength(1);
    fail = new IpcRequestError('process-gone', 'PID 4242 has exited.', 'procscope:get-process-detail');
    await timers.fire();
    expect(store.getState().properties!.exited).toBe(true);
    expect(timers.pending).toHaveLength(0);
    const before = calls.length;
    await flush();
    expect(calls.length).toBe(before);
  });
});

describe('thread stack and actions', () => {
  it('asks by the identity and the tid, and answers the host sentence on failure', async () => {
    const store = createAppStore();
    store.getState().openPropertiesState(target);
    const stack = { tid: 4243, frames: [], pausedMs: 3, note: null };
    const ok = scripted(() => stack);
    expect(await readThreadStack(ok.api, store, 4243)).toEqual(stack);
    expect(ok.calls).toEqual([['procscope:get-thread-stack', { ...target, tid: 4243 }]]);
    expect(await runThreadAction(ok.api, store, 4243, 'suspend')).toBeNull();
    expect(ok.calls[1]).toEqual(['procscope:thread-action', { ...target, tid: 4243, action: 'suspend' }]);
    const denied = scripted(() => {
      throw new IpcRequestError('access-denied', 'ptrace: Operation not permitted', 'procscope:get-thread-stack');
    });
    expect(await readThreadStack(denied.api, store, 4243)).toBe('ptrace: Operation not permitted');
    expect(store.getState().properties!.exited).toBe(false);
  });
});
