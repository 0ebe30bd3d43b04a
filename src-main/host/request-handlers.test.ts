import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { REQUEST_CHANNELS, type PushChannel, type RequestChannel } from '../../src-shared/ipc/contract';
import { REQUEST_SCHEMAS } from '../../src-shared/ipc/request-schemas';
import { ProcessActionError } from '../platform/backend';
import { createFakeBackend } from '../platform/fake/fake-backend';
import { createAppServices, type HostSender } from './app-services';
import { createRequestHandlers, dispatchRequest, type RequestHandlers } from './request-handlers';
import { createTestPoller } from './test-poller';

function setup() {
  const backend = createFakeBackend({ processCount: 30 });
  const poller = createTestPoller(backend);
  const services = createAppServices({ backend, poller, version: '9.9.9' });
  const pushes: { channel: PushChannel; payload: unknown }[] = [];
  const sender: HostSender = { id: 's1', push: (channel, payload) => pushes.push({ channel, payload }) };
  return { services, poller, handlers: createRequestHandlers(services), pushes, sender };
}

const BAD_TARGETS: unknown[] = [
  {},
  { pid: 10 },
  { pid: 0, startTimeMs: 1 },
  { pid: -5, startTimeMs: 1 },
  { pid: 1.5, startTimeMs: 1 },
  { pid: '10', startTimeMs: 1 },
  { pid: 10, startTimeMs: -1 },
  { pid: 10, startTimeMs: 1, extra: true },
];
const GOOD_DUMP = { pid: 10, startTimeMs: 1, kind: 'full', outDir: '/tmp/dumps' };
const BAD_DUMPS: unknown[] = [
  { ...GOOD_DUMP, kind: 'huge' },
  { ...GOOD_DUMP, outDir: 'dumps' },
  { ...GOOD_DUMP, outDir: '' },
  { ...GOOD_DUMP, outDir: '/tmp/a\0b' },
  { ...GOOD_DUMP, pid: 0 },
  { ...GOOD_DUMP, name: '' },
  { ...GOOD_DUMP, name: 'x'.repeat(256) },
  { ...GOOD_DUMP, path: '/etc/passwd' },
  { pid: 10, startTimeMs: 1, kind: 'full' },
];
const BAD_JOB_IDS: unknown[] = [{}, { jobId: '' }, { jobId: 7 }, { jobId: 'x'.repeat(65) }, { jobId: 'dump-1', more: 1 }];

/** Arguments that no channel accepts, plus channel-specific bad values. */
const ALWAYS_INVALID: unknown[] = [undefined, null, 'text', 42, [], { unexpected: true }];
const CHANNEL_INVALID: Partial<Record<RequestChannel, unknown[]>> = {
  'procscope:set-refresh-interval': [{}, { intervalMs: 7 }, { intervalMs: -1000 }, { intervalMs: '1000' }, { intervalMs: 1000, extra: 1 }, { intervalMs: 1000.5 }],
  'procscope:set-include-handle-count': [{}, { include: 'yes' }, { include: 1 }],
  'procscope:kill-process': BAD_TARGETS,
  'procscope:kill-process-tree': BAD_TARGETS,
  'procscope:suspend-process': BAD_TARGETS,
  'procscope:resume-process': BAD_TARGETS,
  'procscope:start-dump': BAD_DUMPS,
  'procscope:start-tree-dump': BAD_DUMPS,
  'procscope:cancel-dump': BAD_JOB_IDS,
  'procscope:retry-dump-elevated': BAD_JOB_IDS,
  'procscope:delete-dump': BAD_JOB_IDS,
  'procscope:dismiss-dump': BAD_JOB_IDS,
  'procscope:show-dump-in-folder': BAD_JOB_IDS,
  'procscope:update-dump-settings': [{}, { dumpDir: 'relative/dir' }, { lastKind: 'huge' }, { dumpDir: '' }, { dumpDir: '/tmp', other: 1 }],
  'procscope:choose-dump-folder': [{ defaultPath: 3 }, { defaultPath: '/tmp', x: 1 }],
};

describe('IPC contract', () => {
  it('has exactly one handler and one schema per request channel', () => {
    const { handlers } = setup();
    expect(Object.keys(handlers).sort()).toEqual([...REQUEST_CHANNELS].sort());
    expect(Object.keys(REQUEST_SCHEMAS).sort()).toEqual([...REQUEST_CHANNELS].sort());
    expect(new Set(REQUEST_CHANNELS).size).toBe(REQUEST_CHANNELS.length);
    expect(REQUEST_CHANNELS.every((c) => c.startsWith('procscope:'))).toBe(true);
  });

  it.each(REQUEST_CHANNELS)('rejects invalid arguments on %s with a typed error', async (channel) => {
    const { handlers, sender } = setup();
    const called: string[] = [];
    const spy = Object.fromEntries(
      Object.entries(handlers).map(([c, h]) => [c, (...a: Parameters<typeof h>) => (called.push(c), (h as (...x: unknown[]) => unknown)(...a))]),
    ) as unknown as RequestHandlers;
    for (const bad of [...ALWAYS_INVALID, ...(CHANNEL_INVALID[channel] ?? [])]) {
      const result = await dispatchRequest(spy, channel, bad, { sender });
      expect(result.ok, `${channel} accepted ${JSON.stringify(bad)}`).toBe(false);
      if (!result.ok) {
        expect(result.error.code).toBe('invalid-argument');
        expect(result.error.message).toContain(channel);
      }
    }
    expect(called).toEqual([]);
  });

  it('answers an unknown channel with a typed error', async () => {
    const { handlers, sender } = setup();
    for (const channel of ['procscope:nope', 'other', 42, null, '__proto__', 'constructor']) {
      const result = await dispatchRequest(handlers, channel, {}, { sender });
      expect(result).toMatchObject({ ok: false, error: { code: 'unknown-channel' } });
    }
  });

  it('runs the handlers: subscribe streams a snapshot, interval and handle counts reach the poller', async () => {
    const { handlers, sender, pushes, poller } = setup();
    const sub = await dispatchRequest(handlers, 'procscope:subscribe-processes', {}, { sender });
    expect(sub).toEqual({ ok: true, value: { intervalMs: 1000, lastRunningIntervalMs: 1000, includeHandleCount: false } });
    const snap = await dispatchRequest(handlers, 'procscope:get-snapshot', {}, { sender });
    expect(snap.ok && (snap.value as { rows: unknown[] }).rows).toHaveLength(30);
    expect(pushes.filter((p) => p.channel === 'procscope:process-stream')).toHaveLength(1);
    expect(await dispatchRequest(handlers, 'procscope:set-refresh-interval', { intervalMs: 0 }, { sender })).toEqual({
      ok: true,
      value: { intervalMs: 0, lastRunningIntervalMs: 1000, includeHandleCount: false },
    });
    expect(poller.getIntervalMs()).toBe(0);
    await dispatchRequest(handlers, 'procscope:set-include-handle-count', { include: true }, { sender });
    expect(poller.includeHandleCount).toBe(true);
    expect(pushes.filter((p) => p.channel === 'procscope:poller-state')).toHaveLength(2);
    await dispatchRequest(handlers, 'procscope:unsubscribe-processes', {}, { sender });
    await dispatchRequest(handlers, 'procscope:refresh-now', {}, { sender });
    expect(pushes.filter((p) => p.channel === 'procscope:process-stream')).toHaveLength(1);
    const info = await dispatchRequest(handlers, 'procscope:get-app-info', {}, { sender });
    expect(info).toEqual({
      ok: true,
      value: {
        name: 'Procscope',
        version: '9.9.9',
        backendPlatform: 'fake',
        handleCount: 'cheap',
        // No dump engine and no native shell were given: the renderer hides dumps, Browse… and Show in folder.
        capabilities: { suspend: true, dumpFormat: 'none', chooseFolder: false, showInFolder: false, capture: false, openDumpDialog: false, saveReportDialog: false, propertiesWindow: false },
        // Who "own processes" are (the category colour): the account this test runs as.
        currentUser: userInfo().username,
      },
    });
  });

  it('turns handler failures into typed errors instead of throwing', async () => {
    const { handlers, sender } = setup();
    const failing = {
      ...handlers,
      'procscope:refresh-now': async () => {
        throw new ProcessActionError('access-denied', 'no');
      },
      'procscope:get-app-info': async () => {
        throw new Error('boom');
      },
    } as RequestHandlers;
    expect(await dispatchRequest(failing, 'procscope:refresh-now', {}, { sender })).toEqual({ ok: false, error: { code: 'access-denied', message: 'no' } });
    expect(await dispatchRequest(failing, 'procscope:get-app-info', {}, { sender })).toMatchObject({ ok: false, error: { code: 'internal' } });
  });
});
