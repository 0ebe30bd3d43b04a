import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PushChannel } from '../../src-shared/ipc/contract';
import type { DumpEventPayload, DumpJobView } from '../../src-shared/ipc/dump-contract';
import { createFakeDumpWriter, type FakeTarget } from '../dump/__fixtures__/fake-dump-writer';
import { createDumpEngine } from '../dump/dump-engine';
import { createDumpSettingsStore } from '../dump/dump-settings';
import { DumpError } from '../dump/dump-writer';
import { createFakeBackend } from '../platform/fake/fake-backend';
import { createAppServices, type AppServices, type HostSender, type HostShell } from './app-services';
import { createRequestHandlers, dispatchRequest } from './request-handlers';
import { createTestPoller } from './test-poller';

let dir: string;
let services: AppServices | null = null;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dump-handlers-'));
});
afterEach(async () => {
  await services?.dispose();
  services = null;
  await rm(dir, { recursive: true, force: true });
});

function setup(options: { script?: (pid: number) => FakeTarget; shell?: HostShell; noEngine?: boolean } = {}) {
  const backend = createFakeBackend({ processCount: 40 });
  const poller = createTestPoller(backend);
  let created = 0;
  services = createAppServices({
    backend,
    poller,
    version: '1.0.0',
    ...(options.shell ? { shell: options.shell } : {}),
    ...(options.noEngine
      ? {}
      : {
          dumpEngineFactory: async (readRows) => {
            created++;
            return createDumpEngine({
              writerFactory: async () => createFakeDumpWriter((r) => (options.script ?? (() => ({ totalBytes: 50_000, chunkBytes: 10_000 })))(r.pid)),
              readRows,
              settingsStore: createDumpSettingsStore({ configDir: join(dir, 'config') }),
              progressIntervalMs: 0,
            });
          },
        }),
  });
  const events: DumpEventPayload[] = [];
  const sender: HostSender = {
    id: 'w1',
    push: (channel: PushChannel, payload: unknown) => {
      if (channel === 'procscope:dump-event') events.push(payload as DumpEventPayload);
    },
  };
  const handlers = createRequestHandlers(services);
  const call = (channel: string, args: unknown) => dispatchRequest(handlers, channel, args, { sender });
  return { services, backend, poller, events, sender, call, createdCount: () => created };
}

const settledEvent = (events: DumpEventPayload[], jobId: string) =>
  expect.poll(() => events.find((e) => (e.type === 'job-done' || e.type === 'job-failed') && e.jobId === jobId)).toBeTruthy();

describe('dump channels', () => {
  it('lists nothing without creating the engine, then runs a dump whose events reach the subscribed window', async () => {
    const { call, createdCount, events, services } = setup();
    expect(await call('procscope:list-dump-jobs', {})).toEqual({ ok: true, value: { jobs: [], groups: [] } });
    expect(createdCount()).toBe(0);
    await call('procscope:subscribe-processes', {});
    const rows = await services.readRows();
    const target = rows[5]!;
    const outDir = join(dir, 'dumps');
    const started = await call('procscope:start-dump', { pid: target.pid, startTimeMs: target.startTimeMs, kind: 'full', outDir, name: target.name });
    expect(started.ok).toBe(true);
    const job = (started as { value: DumpJobView }).value;
    await settledEvent(events, job.id);
    const done = events.find((e) => e.type === 'job-done');
    expect(done && done.type === 'job-done' && existsSync(done.result.path)).toBe(true);
    expect(events.some((e) => e.type === 'job-progress')).toBe(true);
    const list = await call('procscope:list-dump-jobs', {});
    expect(list.ok && (list.value as { jobs: DumpJobView[] }).jobs.map((j) => j.state)).toEqual(['done']);
    // The choice is remembered for the next dialog.
    expect(await call('procscope:get-dump-settings', {})).toEqual({ ok: true, value: { dumpDir: outDir, lastKind: 'full' } });
    expect(await call('procscope:delete-dump', { jobId: job.id })).toEqual({ ok: true, value: null });
    expect(done && done.type === 'job-done' && existsSync(done.result.path)).toBe(false);
    expect(events.at(-1)).toEqual({ type: 'job-removed', jobId: job.id });
    expect(createdCount()).toBe(1);
  });

  it('dumps a tree as one group, cancels a running job and refuses bad job requests with sentences', async () => {
    const { call, events, services } = setup({ script: () => ({ totalBytes: 10_000_000, chunkBytes: 10_000, chunkDelayMs: 5 }) });
    await call('procscope:subscribe-processes', {});
    const rows = await services.readRows();
    const root = rows.find((r) => rows.some((c) => c.ppid === r.pid) && r.pid !== 1)!;
    const group = await call('procscope:start-tree-dump', { pid: root.pid, startTimeMs: root.startTimeMs, kind: 'mini', outDir: join(dir, 'tree') });
    expect(group.ok && (group.value as { jobIds: string[] }).jobIds.length).toBeGreaterThan(1);
    const firstId = group.ok ? (group.value as { jobIds: string[] }).jobIds[0]! : '';
    await expect.poll(() => events.some((e) => e.type === 'job-progress' && e.jobId === firstId)).toBe(true);
    expect(await call('procscope:cancel-dump', { jobId: firstId })).toEqual({ ok: true, value: true });
    await settledEvent(events, firstId);
    expect(events.find((e) => e.type === 'job-failed' && e.jobId === firstId)).toMatchObject({ error: { code: 'cancelled' } });
    const retry = await call('procscope:retry-dump-elevated', { jobId: firstId });
    expect(retry).toMatchObject({ ok: false, error: { code: 'invalid-argument', message: expect.stringMatching(/only a dump that failed for lack of rights/i) } });
    expect(await call('procscope:delete-dump', { jobId: 'dump-999' })).toMatchObject({ ok: false, error: { code: 'invalid-argument', message: expect.stringMatching(/not on the list/) } });
    const gone = await call('procscope:start-tree-dump', { pid: 999_999, startTimeMs: 1, kind: 'full', outDir: join(dir, 'x') });
    expect(gone).toMatchObject({ ok: false, error: { code: 'process-gone', message: expect.stringMatching(/has exited/) } });
    expect(await call('procscope:update-dump-settings', { dumpDir: join(dir, 'elsewhere') })).toMatchObject({ ok: true, value: { dumpDir: join(dir, 'elsewhere') } });
  });

  it('passes a failed dump on as a sentence with its retry flag', async () => {
    const { call, events, services } = setup({ script: () => ({ failWith: new DumpError('disk-full', 'The disk is full. Free some space and try again.') }) });
    await call('procscope:subscribe-processes', {});
    const target = (await services.readRows())[3]!;
    const job = await call('procscope:start-dump', { pid: target.pid, startTimeMs: target.startTimeMs, kind: 'full', outDir: join(dir, 'd') });
    const id = job.ok ? (job.value as DumpJobView).id : '';
    await settledEvent(events, id);
    expect(events.find((e) => e.type === 'job-failed')).toEqual({
      type: 'job-failed',
      jobId: id,
      error: { code: 'disk-full', message: 'The disk is full. Free some space and try again.' },
      retryable: false,
    });
  });

  it('answers the desktop-only channels with a clear unsupported error in the browser host, and uses the shell in Electron', async () => {
    const browser = setup();
    expect(await browser.call('procscope:choose-dump-folder', {})).toMatchObject({ ok: false, error: { code: 'unsupported', message: expect.stringMatching(/only available in the Procscope desktop app/) } });
    expect(await browser.call('procscope:show-dump-in-folder', { jobId: 'dump-1' })).toMatchObject({ ok: false, error: { code: 'unsupported' } });
    await services!.dispose();

    const shown: string[] = [];
    const desktop = setup({ shell: { chooseFolder: async (p) => `${p ?? '/home'}/picked`, showItemInFolder: (p) => shown.push(p), chooseDumpFile: async () => null, chooseSavePath: async () => null } });
    expect(await desktop.call('procscope:choose-dump-folder', { defaultPath: '/data' })).toEqual({ ok: true, value: '/data/picked' });
    const info = await desktop.call('procscope:get-app-info', {});
    expect(info.ok && (info.value as { capabilities: unknown }).capabilities).toEqual({ suspend: true, dumpFormat: 'none', chooseFolder: true, showInFolder: true, capture: false, openDumpDialog: true, saveReportDialog: true, propertiesWindow: false });
    await desktop.call('procscope:subscribe-processes', {});
    const target = (await desktop.services.readRows())[2]!;
    const job = await desktop.call('procscope:start-dump', { pid: target.pid, startTimeMs: target.startTimeMs, kind: 'mini', outDir: join(dir, 'e') });
    const id = job.ok ? (job.value as DumpJobView).id : '';
    await settledEvent(desktop.events, id);
    expect(await desktop.call('procscope:show-dump-in-folder', { jobId: id })).toEqual({ ok: true, value: null });
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatch(new RegExp(`^${join(dir, 'e')}/.*_mini\\.core$`));
  });

  it('answers every dump channel with unsupported when the host has no engine', async () => {
    const { call } = setup({ noEngine: true });
    expect(await call('procscope:start-dump', { pid: 5, startTimeMs: 1, kind: 'full', outDir: '/tmp/x' })).toMatchObject({
      ok: false,
      error: { code: 'unsupported', message: expect.stringMatching(/^Dumps cannot be written here/) },
    });
  });
});

describe('process action channels', () => {
  it('kills a process tree, root first, and only the processes of that identity', async () => {
    const { call, services, poller } = setup();
    const rows = await services.readRows();
    const root = rows.find((r) => rows.some((c) => c.ppid === r.pid) && r.pid !== 1)!;
    const childCount = rows.filter((r) => r.ppid === root.pid).length;
    const result = await call('procscope:kill-process-tree', { pid: root.pid, startTimeMs: root.startTimeMs });
    expect(result.ok).toBe(true);
    expect(result.ok && (result.value as { killedCount: number }).killedCount).toBeGreaterThan(childCount);
    await poller.refreshNow();
    const after = poller.getSnapshot()!.rows;
    expect(after.some((r) => r.pid === root.pid)).toBe(false);
    expect(after.some((r) => r.ppid === root.pid)).toBe(false);
  });

  it('suspends, resumes and kills by identity; a stale start time is refused with a sentence', async () => {
    const { call, services, backend } = setup();
    const target = (await services.readRows()).at(-1)!;
    const id = { pid: target.pid, startTimeMs: target.startTimeMs };
    expect(await call('procscope:kill-process', { ...id, startTimeMs: id.startTimeMs + 1 })).toMatchObject({
      ok: false,
      error: { code: 'pid-recycled', message: expect.stringMatching(/another process/) },
    });
    expect(await call('procscope:suspend-process', id)).toEqual({ ok: true, value: null });
    expect((await backend.takeSnapshot({ includeHandleCount: false })).rows.find((r) => r.pid === id.pid)?.state).toBe('stopped');
    expect(await call('procscope:resume-process', id)).toEqual({ ok: true, value: null });
    expect(await call('procscope:kill-process', id)).toEqual({ ok: true, value: null });
    expect(backend.readStartTimeMs(id.pid)).toBeNull();
    expect(await call('procscope:kill-process', id)).toMatchObject({ ok: false, error: { code: 'process-gone' } });
  });
});
