import { describe, expect, it } from 'vitest';
import type { CaptureEventPayload, CaptureWatchView } from '../../src-shared/ipc/capture-contract';
import type { HostCapabilities } from '../../src-shared/ipc/contract';
import type { CaptureRule } from '../../src-shared/model/capture';
import { newCaptureWatchView } from '../../src-shared/model/capture-watch';
import { createAppStore } from '../store/app-store';
import { connectCaptureEvents } from './capture-events';
import type { ProcscopeApi } from './procscope-api';

const CAPS: HostCapabilities = { suspend: true, dumpFormat: 'elf-core', chooseFolder: false, showInFolder: false, capture: true, openDumpDialog: false, saveReportDialog: false };
const rule: CaptureRule = {
  target: { pid: 10, startTimeMs: 1 }, scope: 'descendants', nameGlob: null, cmdlineRegex: null, triggers: ['exit'],
  exitNonZeroOnly: false, kind: 'mini', outDir: '/d', holdTimeoutMs: 60_000, maxDumps: null, timeoutMs: null,
};
const watch = (id: string): CaptureWatchView =>
  newCaptureWatchView({ id, target: { pid: 10, startTimeMs: 1, name: 'Tentacle' }, rule, elevated: false, createdAtMs: 1 });

function fakeApi(list: () => Promise<CaptureWatchView[]>) {
  const requests: string[] = [];
  let push: ((e: CaptureEventPayload) => void) | null = null;
  const api = {
    request: (channel: string) => {
      requests.push(channel);
      return list();
    },
    on: (channel: string, listener: (e: CaptureEventPayload) => void) => {
      if (channel === 'procscope:capture-event') push = listener;
      return () => {
        push = null;
      };
    },
    onDisconnect: () => {},
  } as unknown as ProcscopeApi;
  return { api, requests, push: (e: CaptureEventPayload) => push?.(e), subscribed: () => push !== null };
}

describe('connectCaptureEvents', () => {
  it('listens before it lists, once the host says it can capture, and keeps what events brought first', async () => {
    let answer!: (w: CaptureWatchView[]) => void;
    const fake = fakeApi(() => new Promise((r) => (answer = r)));
    const store = createAppStore();
    const off = connectCaptureEvents(fake.api, store);
    expect(fake.subscribed()).toBe(true);
    expect(fake.requests).toEqual([]);
    store.getState().setCapabilities(CAPS);
    expect(fake.requests).toEqual(['procscope:list-captures']);
    fake.push({ type: 'watch-added', watch: watch('live') });
    answer([watch('listed'), watch('live')]);
    await new Promise((r) => setTimeout(r, 0));
    expect(store.getState().captureOrder.sort()).toEqual(['listed', 'live']);
    off();
    expect(fake.subscribed()).toBe(false);
  });

  it('does not ask a host that cannot capture, and reports a failed list as a notice', async () => {
    const none = fakeApi(async () => []);
    const store = createAppStore();
    store.getState().setCapabilities({ ...CAPS, capture: false });
    connectCaptureEvents(none.api, store)();
    expect(none.requests).toEqual([]);

    const failing = fakeApi(() => Promise.reject(new Error('The host stopped.')));
    const store2 = createAppStore();
    store2.getState().setCapabilities(CAPS);
    connectCaptureEvents(failing.api, store2);
    await new Promise((r) => setTimeout(r, 0));
    expect(store2.getState().notices.map((n) => n.text)).toEqual(['The capture watches could not be listed: The host stopped.']);
  });
});
