/*
 * Capture end to end in the browser host on Linux (root, gcc): start-capture over the real WebSocket starts the
 * bundled helper through the direct elevator (createAppCaptureEngines, as `procscope serve` does), the helper runs
 * the real ptrace engine on a C parent whose children exit 0 and 3, and the exit-3 child's core comes back as a
 * finished dump job (capture trigger, file size and SHA-256 of the real file, the child's pid in the core), while
 * the Capture view lists both children with their exit codes. The host process itself traces nothing.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DumpEventPayload } from '../../../src-shared/ipc/dump-contract';
import type { CaptureServiceEvent, CaptureWatchView } from '../../../src-shared/model/capture-watch';
import { corePid } from '../../capture/__fixtures__/core-pid';
import { compileCaptureParentSync, startCaptureParent, type RunningParent } from '../../capture/linux/__fixtures__/capture-parent';
import { createFakeDumpWriter } from '../../dump/__fixtures__/fake-dump-writer';
import { createDumpEngine } from '../../dump/dump-engine';
import { createDumpSettingsStore } from '../../dump/dump-settings';
import { bundleFixture, REPO_NODE_MODULES } from '../../dump/helper/__fixtures__/bundle-fixture';
import { readProcessStartTimeMs } from '../../platform/linux/proc-start-time';
import { createPlatformBackend } from '../../platform/select-backend';
import { createAppServices, type AppServices } from '../app-services';
import { createAppCaptureEngines } from '../capture-engine-setup';
import { createTestPoller } from '../test-poller';
import { startCaptureClient, type CaptureClient } from './web-host-capture-kit';

let fixture: { dir: string; exe: string };
let entry: string;
let dir: string | null = null;
let parent: RunningParent | null = null;
let client: CaptureClient | null = null;
let services: AppServices | null = null;

beforeAll(async () => {
  fixture = compileCaptureParentSync();
  entry = await bundleFixture(join(import.meta.dirname, '../../capture/helper/__fixtures__/helper-watch-entry.ts'));
});
afterAll(() => {
  rmSync(fixture.dir, { recursive: true, force: true });
  rmSync(dirname(entry), { recursive: true, force: true });
});
afterEach(async () => {
  await client?.close();
  // Disposing stops the watch (the helper releases the parent) before the parent is killed.
  await services?.dispose();
  parent?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
  [client, services, parent, dir] = [null, null, null, null];
});

describe('capture through procscope serve’s services and the real helper (Linux)', () => {
  it('the failing child of a watched parent becomes a finished dump job with its trigger, and both children are listed', async () => {
    dir = mkdtempSync(join(tmpdir(), 'web-capture-linux-'));
    const backend = await createPlatformBackend();
    services = createAppServices({
      backend,
      poller: createTestPoller(backend),
      version: '0.0.1',
      captureEngines: createAppCaptureEngines({
        helperCommand: { executable: process.execPath, args: [entry, 'real'] },
        elevator: null,
        env: { ...process.env, NODE_PATH: REPO_NODE_MODULES },
      }),
      dumpEngineFactory: async (readRows) =>
        createDumpEngine({ writerFactory: async () => createFakeDumpWriter(), readRows, settingsStore: createDumpSettingsStore({ configDir: join(dir!, 'config') }) }),
    });
    client = await startCaptureClient(services);
    expect(await client.request('procscope:subscribe-processes', {})).toMatchObject({ ok: true });
    parent = await startCaptureParent(fixture.exe, ['codes', '0', '3']);
    const started = await client.request<CaptureWatchView>('procscope:start-capture', {
      pid: parent.pid, startTimeMs: readProcessStartTimeMs(parent.pid)!, scope: 'descendants', nameGlob: null, cmdlineRegex: null,
      triggers: ['exit'], exitNonZeroOnly: true, kind: 'mini', outDir: dir, holdTimeoutMs: 30_000, maxDumps: null, timeoutMs: 60_000,
    });
    expect(started).toMatchObject({ ok: true, value: { state: 'armed', elevated: false, mechanism: expect.stringMatching(/ptrace/) } });
    const id = started.value!.id;
    parent.go();
    expect(await parent.exited).toBe(0);
    const captures = () => client!.pushes.filter((p) => p.channel === 'procscope:capture-event').map((p) => p.payload as CaptureServiceEvent);
    await client.until('the watch to end', () => captures().some((e) => e.type === 'watch-event' && e.event.event === 'done'));
    await client.until('the dump job', () => captures().some((e) => e.type === 'watch-dump-recorded'));
    const results = parent.results();
    const failing = [...results].find(([, r]) => r === 'exit 3')![0];
    const jobs = client.pushes.filter((p) => p.channel === 'procscope:dump-event').map((p) => p.payload as DumpEventPayload).flatMap((e) => (e.type === 'job-added' ? [e.job] : []));
    expect(jobs).toHaveLength(1);
    const job = jobs[0]!;
    expect(job).toMatchObject({ state: 'done', pid: failing, kind: 'mini', capture: { watchId: id, trigger: 'exit' }, result: { format: 'elf-core' } });
    const file = readFileSync(job.result!.path);
    expect(dirname(job.result!.path)).toBe(dir);
    expect(job.result!.fileBytes).toBe(file.length);
    expect(job.result!.sha256).toBe(createHash('sha256').update(file).digest('hex'));
    expect(corePid(file)).toBe(failing);
    const listed = await client.request<CaptureWatchView[]>('procscope:list-captures', {});
    const view = listed.value!.find((w) => w.id === id)!;
    expect(view).toMatchObject({ state: 'done', doneReason: 'target-exited', seenCount: 2, dumpCount: 1 });
    expect(view.dumps[0]!.jobId).toBe(job.id);
    expect(Object.fromEntries(view.processes.map((p) => [p.pid, p.exitCode]))).toEqual(Object.fromEntries([...results].map(([pid, r]) => [pid, Number(r.split(' ')[1])])));
  });
});
