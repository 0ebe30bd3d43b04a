/*
 * The capture channels through the browser host's real WebSocket, on a scripted capture engine: a window that
 * subscribed gets the watch, its events and the dump job on procscope:capture-event and procscope:dump-event, and
 * Stop answers over the same socket. The real helper's path is web-host-capture.linux.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CaptureServiceEvent, CaptureWatchView } from '../../../src-shared/model/capture-watch';
import type { DumpEventPayload } from '../../../src-shared/ipc/dump-contract';
import { createFakeCaptureEngine } from '../../capture/__fixtures__/fake-capture-engine';
import { createFakeDumpWriter } from '../../dump/__fixtures__/fake-dump-writer';
import { createDumpEngine } from '../../dump/dump-engine';
import { createDumpSettingsStore } from '../../dump/dump-settings';
import { createFakeBackend } from '../../platform/fake/fake-backend';
import { createAppServices, type AppServices } from '../app-services';
import { createTestPoller } from '../test-poller';
import { startCaptureClient, type CaptureClient } from './web-host-capture-kit';

let dir: string | null = null;
let client: CaptureClient | null = null;
let services: AppServices | null = null;
afterEach(async () => {
  await client?.close();
  await services?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
  [client, services, dir] = [null, null, null];
});

describe('capture over the browser host', () => {
  it('pushes the watch, its events and its dump job to the subscribed window, and stops it on request', async () => {
    dir = mkdtempSync(join(tmpdir(), 'web-capture-'));
    const outDir = join(dir, 'dumps');
    mkdirSync(outDir);
    const path = join(outDir, 'Calamari-at-exit_4250_mini.core');
    const body = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(1020)]);
    writeFileSync(path, body);
    const engine = createFakeCaptureEngine({
      events: [
        { event: 'seen', pid: 4250, ppid: 9, name: 'Calamari', cmdline: 'Calamari', startTimeMs: 5 },
        { event: 'dump', pid: 4250, name: 'Calamari', trigger: 'exit', path, fileBytes: body.length, sha256: 'ab'.repeat(32), targetPauseMs: 3 , unreadableBytes: 0},
      ],
    });
    const backend = createFakeBackend({ processCount: 25 });
    services = createAppServices({
      backend,
      poller: createTestPoller(backend),
      version: '0.0.1',
      captureEngines: { direct: async () => engine, elevated: null },
      dumpEngineFactory: async (readRows) =>
        createDumpEngine({ writerFactory: async () => createFakeDumpWriter(), readRows, settingsStore: createDumpSettingsStore({ configDir: join(dir!, 'config') }) }),
    });
    client = await startCaptureClient(services);
    expect(await client.request('procscope:subscribe-processes', {})).toMatchObject({ ok: true });
    const target = (await services.readRows())[4]!;
    const started = await client.request<CaptureWatchView>('procscope:start-capture', {
      pid: target.pid, startTimeMs: target.startTimeMs, scope: 'descendants', nameGlob: 'Calamari*', cmdlineRegex: null, triggers: ['exit'],
      exitNonZeroOnly: true, kind: 'mini', outDir, holdTimeoutMs: 60_000, maxDumps: null, timeoutMs: null,
    });
    expect(started).toMatchObject({ ok: true, value: { state: 'armed', target: { pid: target.pid, name: target.name } } });
    const id = started.value!.id;
    const captures = () => client!.pushes.filter((p) => p.channel === 'procscope:capture-event').map((p) => p.payload as CaptureServiceEvent);
    await client.until('the dump job', () => captures().some((e) => e.type === 'watch-dump-recorded'));
    const jobAdded = client.pushes.map((p) => p.payload as DumpEventPayload).find((e) => e.type === 'job-added');
    expect(jobAdded).toMatchObject({ job: { state: 'done', capture: { watchId: id, trigger: 'exit' }, result: { path, fileBytes: 1024 } } });
    expect(captures().map((e) => (e.type === 'watch-event' ? e.event.event : e.type))).toEqual(['watch-added', 'seen', 'dump', 'watch-dump-recorded']);
    expect(await client.request('procscope:stop-capture', { watchId: id })).toEqual({ ok: true, value: true });
    await client.until('done', () => captures().some((e) => e.type === 'watch-event' && e.event.event === 'done'));
    expect(await client.request('procscope:list-captures', {})).toMatchObject({ ok: true, value: [{ id, state: 'done', doneReason: 'stopped', dumpCount: 1 }] });
    expect(await client.request('procscope:stop-capture', { watchId: 'capture-x' })).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
  });
});
