// The detail channels end to end in a host on the real Linux backend: createAppServices picks the Linux source by
// itself, the history comes from the host's own polls, and dispatchRequest answers envelopes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileDetailFixture, startDetailTarget, type DetailFixture, type RunningDetailTarget } from '../detail/linux/__fixtures__/detail-target';
import { createLinuxBackend } from '../platform/linux/linux-backend';
import { readProcessStartTimeMs } from '../platform/linux/proc-start-time';
import { createAppServices, type AppServices } from './app-services';
import { createRequestHandlers, dispatchRequest } from './request-handlers';
import { createTestPoller } from './test-poller';

let fixture: DetailFixture;
let target: RunningDetailTarget;
let services: AppServices;

beforeAll(async () => {
  fixture = compileDetailFixture();
  target = await startDetailTarget(fixture, { PROCSCOPE_HOST_MARKER: 'host-marker' });
  const backend = createLinuxBackend();
  services = createAppServices({ backend, poller: createTestPoller(backend), version: '0.0.0-test' });
}, 60_000);

afterAll(async () => {
  await services?.dispose();
  await target?.stop();
  fixture?.cleanup();
});

describe('detail channels in a Linux host', () => {
  it('answers every part, with the history the host polled, and a stack', async () => {
    for (let i = 0; i < 3; i++) await services.poller.refreshNow();
    const handlers = createRequestHandlers(services);
    const ctx = { sender: { id: 'test', push: () => {} } };
    const t = { pid: target.pid, startTimeMs: readProcessStartTimeMs(target.pid)! };
    const answer = await dispatchRequest(handlers, 'procscope:get-process-detail', { ...t, parts: ['performance', 'environment', 'image'] }, ctx);
    expect(answer.ok).toBe(true);
    const d = answer.ok ? (answer.value as import('../../src-shared/model/process-detail').ProcessDetail) : null;
    const perf = d!.performance!.ok ? d!.performance!.value : null;
    expect(perf!.history.length).toBe(4); // three polls and the current sample
    expect(perf!.history.slice(0, 3).every((s) => s.threadCount === 2)).toBe(true);
    expect(d!.environment).toMatchObject({ ok: true, value: expect.arrayContaining([{ name: 'PROCSCOPE_HOST_MARKER', value: 'host-marker' }]) });
    expect(d!.image).toMatchObject({ ok: true, value: { parentExited: false } });
    const stack = await dispatchRequest(handlers, 'procscope:get-thread-stack', { ...t, tid: target.parkedTid }, ctx);
    expect(stack).toMatchObject({ ok: true, value: { tid: target.parkedTid, frames: expect.arrayContaining([expect.objectContaining({ function: 'detail_park_here' })]) } });
    const recycled = await dispatchRequest(handlers, 'procscope:get-process-detail', { ...t, startTimeMs: t.startTimeMs + 1, parts: ['image'] }, ctx);
    expect(recycled).toMatchObject({ ok: false, error: { code: 'pid-recycled' } });
    const find = await dispatchRequest(handlers, 'procscope:find-handle-or-dll', { query: fixture.openFile }, ctx);
    expect(find).toMatchObject({ ok: true, value: { matches: [expect.objectContaining({ pid: target.pid, kind: 'file' })] } });
  }, 60_000);
});
