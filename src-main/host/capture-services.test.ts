import { createHash } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StartCaptureArgs } from '../../src-shared/ipc/capture-contract';
import type { PushChannel } from '../../src-shared/ipc/contract';
import type { DumpEventPayload } from '../../src-shared/ipc/dump-contract';
import type { CaptureDoneReason, CaptureEvent } from '../../src-shared/model/capture';
import { applyCaptureServiceEvent, type CaptureServiceEvent, type CaptureWatchView } from '../../src-shared/model/capture-watch';
import type { ProcessRow } from '../../src-shared/model/process';
import { buildProcessTree, collectSubtree } from '../../src-shared/tree/process-tree';
import { createFakeCaptureEngine, type FakeCaptureEngine, type ScriptedCaptureEvent } from '../capture/__fixtures__/fake-capture-engine';
import type { CaptureEngine } from '../capture/capture-engine';
import { createFakeDumpWriter } from '../dump/__fixtures__/fake-dump-writer';
import { createDumpEngine } from '../dump/dump-engine';
import { createDumpSettingsStore } from '../dump/dump-settings';
import { DumpError } from '../dump/dump-writer';
import { createFakeBackend } from '../platform/fake/fake-backend';
import { createAppServices, type AppServices, type HostSender } from './app-services';
import { createCaptureServices, type CaptureEngineFactories } from './capture-services';
import { createDumpServices } from './dump-services';
import { createRequestHandlers, dispatchRequest } from './request-handlers';
import { createTestPoller } from './test-poller';

let dir: string;
let services: AppServices | null = null;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'capture-services-'));
  mkdirSync(join(dir, 'dumps'));
});
afterEach(async () => {
  await services?.dispose();
  services = null;
  await rm(dir, { recursive: true, force: true });
});

interface Setup {
  engines?: CaptureEngineFactories | null;
  hostPids?: (rows: readonly ProcessRow[]) => number[];
}

async function setup(options: Setup = {}) {
  const backend = createFakeBackend({ processCount: 40, seed: 5 });
  const poller = createTestPoller(backend);
  let rows: readonly ProcessRow[] = [];
  services = createAppServices({
    backend,
    poller,
    version: '1.0.0',
    ...(options.engines === null ? {} : { captureEngines: options.engines ?? { direct: async () => createFakeCaptureEngine(), elevated: null } }),
    hostPids: () => options.hostPids?.(rows) ?? [],
    dumpEngineFactory: async (readRows) =>
      createDumpEngine({
        writerFactory: async () => createFakeDumpWriter(),
        readRows,
        settingsStore: createDumpSettingsStore({ configDir: join(dir, 'config') }),
        progressIntervalMs: 0,
      }),
  });
  rows = await services.readRows();
  const captureEvents: CaptureServiceEvent[] = [];
  const dumpEvents: DumpEventPayload[] = [];
  const sender: HostSender = {
    id: 'w1',
    push: (channel: PushChannel, payload: unknown) => {
      if (channel === 'procscope:capture-event') captureEvents.push(structuredClone(payload) as CaptureServiceEvent);
      if (channel === 'procscope:dump-event') dumpEvents.push(payload as DumpEventPayload);
    },
  };
  const handlers = createRequestHandlers(services);
  const call = (channel: string, args: unknown) => dispatchRequest(handlers, channel, args, { sender });
  await call('procscope:subscribe-processes', {});
  const parent = rows.find((r) => r.pid > 1 && rows.some((c) => c.ppid === r.pid))!;
  const outDir = join(dir, 'dumps');
  mkdirSync(outDir, { recursive: true });
  const args = (over: Partial<StartCaptureArgs> = {}): StartCaptureArgs => ({
    pid: parent.pid, startTimeMs: parent.startTimeMs, scope: 'descendants', nameGlob: null, cmdlineRegex: null,
    triggers: ['exit'], exitNonZeroOnly: false, kind: 'mini', outDir, holdTimeoutMs: 60_000, maxDumps: null, timeoutMs: null, ...over,
  });
  return { services, rows, parent, outDir, args, call, captureEvents, dumpEvents };
}

const engines = (direct: CaptureEngine, elevated: CaptureEngine | null = null): CaptureEngineFactories => ({
  direct: async () => direct,
  elevated: elevated ? async () => elevated : null,
});

/** A core-looking file of `bytes` bytes, so the recorded job can check it. */
function writeCore(path: string, bytes = 4096): { fileBytes: number; sha256: string } {
  const body = Buffer.alloc(bytes);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46]).copy(body);
  writeFileSync(path, body);
  return { fileBytes: bytes, sha256: createHash('sha256').update(body).digest('hex') };
}

const value = <T,>(answer: unknown): T => {
  expect(answer).toMatchObject({ ok: true });
  return (answer as { value: T }).value;
};

/** What a renderer holds after folding every event it was sent, starting from the watch-added view. */
function fold(events: CaptureServiceEvent[], watchId: string): CaptureWatchView | null {
  let view: CaptureWatchView | null = null;
  for (const e of events) {
    if ((e.type === 'watch-added' || e.type === 'watch-restarted') && e.watch.id === watchId) view = e.watch;
    else if (e.type === 'watch-removed' && e.watchId === watchId) view = null;
    else if (view) view = applyCaptureServiceEvent(view, e);
  }
  return view;
}

describe('capture channels', () => {
  it('arms a watch, shows what it saw, and lists each dump as a finished dump job with its trigger', async () => {
    const dumpPath = join(dir, 'dumps', 'child-at-exit_4250_mini.core');
    const file = writeCore(dumpPath);
    const script: ScriptedCaptureEvent[] = [
      { event: 'seen', pid: 4250, ppid: 1, name: 'Calamari', cmdline: 'Calamari run', startTimeMs: 1234 },
      { event: 'exited', pid: 4250, name: 'Calamari', exitCode: 3, signal: null, lifetimeMs: 12 },
      // A page the writer could not read: the job says so, as a dump job of its own does.
      { event: 'dump', pid: 4250, name: 'Calamari', trigger: 'exit', path: dumpPath, targetPauseMs: 40, unreadableBytes: 4096, ...file },
    ];
    const engine = createFakeCaptureEngine({ mechanism: 'ptrace-follow-fork', events: script, endReason: 'target-exited' });
    const { call, args, parent, captureEvents, dumpEvents } = await setup({ engines: engines(engine) });
    expect(value<{ capabilities: { capture: boolean } }>(await call('procscope:get-app-info', {})).capabilities.capture).toBe(true);
    const started = value<CaptureWatchView>(await call('procscope:start-capture', args({ name: 'Tentacle' })));
    expect(started).toMatchObject({ state: 'armed', elevated: false, mechanism: 'ptrace-follow-fork', target: { pid: parent.pid, name: 'Tentacle' } });
    expect(engine.rules[0]).toMatchObject({ target: { pid: parent.pid, startTimeMs: parent.startTimeMs }, scope: 'descendants', triggers: ['exit'] });
    await expect.poll(() => captureEvents.some((e) => e.type === 'watch-dump-recorded')).toBe(true);
    await expect.poll(() => fold(captureEvents, started.id)?.state).toBe('done');
    const [listed] = value<CaptureWatchView[]>(await call('procscope:list-captures', {}));
    expect(listed).toMatchObject({ state: 'done', doneReason: 'target-exited', seenCount: 1, dumpCount: 1 });
    expect(listed!.processes[0]).toMatchObject({ pid: 4250, exitCode: 3, lifetimeMs: 12, dumpTriggers: ['exit'] });
    // The renderer folds the same events with the same reducer and ends up with the view main holds.
    expect(fold(captureEvents, started.id)).toEqual(listed);
    const job = dumpEvents.find((e) => e.type === 'job-added')!;
    expect(job.type === 'job-added' && job.job).toMatchObject({
      state: 'done', pid: 4250, startTimeMs: 1234, name: 'Calamari', kind: 'mini', capture: { watchId: started.id, trigger: 'exit' },
      result: { path: dumpPath, fileBytes: 4096, sha256: file.sha256, format: 'elf-core', targetPauseMs: 40, unreadableBytes: 4096 },
    });
    expect(listed!.dumps[0]!.jobId).toBe(job.type === 'job-added' ? job.job.id : '');
    const jobs = value<{ jobs: { id: string; capture: unknown }[] }>(await call('procscope:list-dump-jobs', {})).jobs;
    expect(jobs).toHaveLength(1);
    // An ended watch can be dismissed; its dump stays a job.
    expect(await call('procscope:dismiss-capture', { watchId: started.id })).toEqual({ ok: true, value: true });
    expect(captureEvents.at(-1)).toEqual({ type: 'watch-removed', watchId: started.id });
    expect(value<unknown[]>(await call('procscope:list-captures', {}))).toEqual([]);
    expect(value<{ jobs: unknown[] }>(await call('procscope:list-dump-jobs', {})).jobs).toHaveLength(1);
  });

  it('lists a dump whose file is missing, a link or the wrong size as a failed job with the reason', async () => {
    const real = join(dir, 'dumps', 'real.core');
    const file = writeCore(real, 2048);
    const link = join(dir, 'dumps', 'link.core');
    symlinkSync(real, link);
    const dump = (path: string, fileBytes: number): ScriptedCaptureEvent => ({ event: 'dump', pid: 7, name: 'c', trigger: 'crash', path, fileBytes, sha256: file.sha256, targetPauseMs: 1 , unreadableBytes: 0});
    const engine = createFakeCaptureEngine({ events: [dump(join(dir, 'dumps', 'gone.core'), 10), dump(link, 2048), dump(real, 999)], endReason: 'target-exited' });
    const { call, args, dumpEvents } = await setup({ engines: engines(engine) });
    value(await call('procscope:start-capture', args()));
    await expect.poll(() => dumpEvents.filter((e) => e.type === 'job-added').length).toBe(3);
    const jobs = dumpEvents.flatMap((e) => (e.type === 'job-added' ? [e.job] : []));
    expect(jobs.map((j) => j.state)).toEqual(['failed', 'failed', 'failed']);
    expect(jobs.map((j) => j.error?.message)).toEqual([
      expect.stringMatching(/is not there any more/),
      expect.stringMatching(/is a link/),
      expect.stringMatching(/is 2048 bytes long, not the 999 bytes/),
    ]);
  });

  it('answers bad requests with sentences and lists nothing for them', async () => {
    const gone = createFakeCaptureEngine({ startError: new DumpError('process-gone', 'Process 77 has exited, so it cannot be watched.') });
    // Procscope "is" a process outside the watched parent's tree whose own parent is listed too.
    const outside = (r: readonly ProcessRow[]) => {
      const parent = r.find((p) => p.pid > 1 && r.some((c) => c.ppid === p.pid))!;
      const tree = new Set(collectSubtree(buildProcessTree(r), parent).map((p) => p.pid));
      return r.find((p) => !tree.has(p.pid) && p.pid !== p.ppid && r.some((q) => q.pid === p.ppid && !tree.has(q.pid)))!;
    };
    const { call, args, rows, captureEvents } = await setup({ engines: engines(gone), hostPids: (r) => (r.length ? [outside(r).pid] : []) });
    expect(await call('procscope:start-capture', args())).toEqual({ ok: false, error: { code: 'process-gone', message: 'Process 77 has exited, so it cannot be watched.' } });
    expect(await call('procscope:start-capture', args({ outDir: join(dir, 'no', 'such') }))).toMatchObject({ ok: false, error: { code: 'failed', message: expect.stringMatching(/does not exist/) } });
    expect(await call('procscope:start-capture', args({ cmdlineRegex: '(' }))).toMatchObject({ ok: false, error: { code: 'invalid-argument', message: expect.stringMatching(/cmdlineRegex is not a regular expression/) } });
    const own = outside(rows);
    expect(await call('procscope:start-capture', args({ pid: own.pid, startTimeMs: own.startTimeMs }))).toMatchObject({ ok: false, error: { code: 'own-process', message: expect.stringMatching(/it is Procscope itself/) } });
    const ownParent = rows.find((r) => r.pid === own.ppid)!;
    expect(await call('procscope:start-capture', args({ pid: ownParent.pid, startTimeMs: ownParent.startTimeMs }))).toMatchObject({ ok: false, error: { code: 'own-process', message: expect.stringMatching(/descendants of PID/) } });
    for (const channel of ['procscope:stop-capture', 'procscope:dismiss-capture', 'procscope:retry-capture-elevated']) {
      expect(await call(channel, { watchId: 'capture-99' })).toEqual({ ok: false, error: { code: 'invalid-argument', message: "There is no capture watch 'capture-99' on the list." } });
    }
    expect(await call('procscope:start-capture', { ...args(), triggers: [] })).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(value<unknown[]>(await call('procscope:list-captures', {}))).toEqual([]);
    expect(captureEvents).toEqual([]);
    expect(gone.rules).toHaveLength(1);
  });

  it('passes the monitor settings of the sampled triggers to the engine, and refuses settings that disagree with the triggers', async () => {
    const engine = createFakeCaptureEngine();
    const { call, args } = await setup({ engines: engines(engine) });
    const monitor = { cpuPercent: 80, memoryMb: null, seconds: 5, count: 3 };
    value(await call('procscope:start-capture', args({ triggers: ['cpu', 'exit'], monitor })));
    expect(engine.rules[0]).toMatchObject({ triggers: ['cpu', 'exit'], monitor });
    expect(await call('procscope:start-capture', args({ triggers: ['memory'], monitor }))).toMatchObject({ ok: false, error: { code: 'invalid-argument', message: expect.stringMatching(/cpu trigger and monitor.cpuPercent go together/) } });
    expect(await call('procscope:start-capture', args({ triggers: ['series'] }))).toMatchObject({ ok: false, error: { code: 'invalid-argument', message: expect.stringMatching(/series trigger needs monitor settings/) } });
    expect(engine.rules).toHaveLength(1);
  });

  it.runIf(process.platform === 'linux')('passes fanotify exec mode\'s binaries to the engine, and refuses a binary that does not exist or another scope', async () => {
    const engine = createFakeCaptureEngine();
    const { call, args } = await setup({ engines: engines(engine) });
    value(await call('procscope:start-capture', args({ execPaths: ['/bin/sh'] })));
    expect(engine.rules[0]).toMatchObject({ scope: 'descendants', execPaths: ['/bin/sh'] });
    expect(await call('procscope:start-capture', args({ execPaths: [join(dir, 'no-such-binary')] }))).toMatchObject({ ok: false, error: { code: 'invalid-argument', message: expect.stringMatching(/does not exist/) } });
    expect(await call('procscope:start-capture', args({ scope: 'self', execPaths: ['/bin/sh'] }))).toMatchObject({ ok: false, error: { code: 'invalid-argument', message: expect.stringMatching(/descendants only/) } });
    expect(await call('procscope:start-capture', args({ execPaths: ['bin/sh'] }))).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(engine.rules).toHaveLength(1);
  });

  it('a pid reused since the list was read is refused by the engine and answered as pid-recycled', async () => {
    const reused = createFakeCaptureEngine({ startError: new DumpError('pid-recycled', 'PID 5 now belongs to another process.') });
    const { call, args } = await setup({ engines: engines(reused) });
    expect(await call('procscope:start-capture', args({ startTimeMs: 1 }))).toMatchObject({ ok: false, error: { code: 'pid-recycled' } });
  });

  it('stops a running watch once (false after), refuses to dismiss it while it runs, and answers capture off where no engine exists', async () => {
    const engine = createFakeCaptureEngine();
    const { call, args, captureEvents } = await setup({ engines: engines(engine) });
    const w = value<CaptureWatchView>(await call('procscope:start-capture', args()));
    expect(await call('procscope:dismiss-capture', { watchId: w.id })).toEqual({ ok: true, value: false });
    expect(await call('procscope:retry-capture-elevated', { watchId: w.id })).toMatchObject({ ok: false, error: { code: 'invalid-argument', message: expect.stringMatching(/Only a watch that failed for lack of rights/) } });
    expect(await call('procscope:stop-capture', { watchId: w.id })).toEqual({ ok: true, value: true });
    expect(engine.stopCalls).toBe(1);
    expect(fold(captureEvents, w.id)).toMatchObject({ state: 'done', doneReason: 'stopped' });
    expect(await call('procscope:stop-capture', { watchId: w.id })).toEqual({ ok: true, value: false });
    expect(engine.stopCalls).toBe(1);

    await services!.dispose();
    const none = await setup({ engines: null });
    expect(value<{ capabilities: { capture: boolean } }>(await none.call('procscope:get-app-info', {})).capabilities.capture).toBe(false);
    expect(await none.call('procscope:start-capture', none.args())).toMatchObject({ ok: false, error: { code: 'unsupported', message: expect.stringMatching(/Capture is not available in this host/) } });
    expect(await none.call('procscope:list-captures', {})).toEqual({ ok: true, value: [] });
  });
});

describe('capture rights and runners', () => {
  it('a watch refused for lack of rights is listed as retryable and started again through the elevated engine', async () => {
    const direct = createFakeCaptureEngine({ startError: new DumpError('needs-elevation', 'Watching PID 9 needs administrator rights.') });
    const elevated = createFakeCaptureEngine({ mechanism: 'ptrace-follow-fork (helper)' });
    const { call, args, captureEvents } = await setup({ engines: engines(direct, elevated) });
    const failed = value<CaptureWatchView>(await call('procscope:start-capture', args()));
    expect(failed).toMatchObject({ state: 'done', retryable: true, failure: { code: 'needs-elevation' }, elevated: false });
    const restarted = value<CaptureWatchView>(await call('procscope:retry-capture-elevated', { watchId: failed.id }));
    expect(restarted).toMatchObject({ id: failed.id, state: 'arming', elevated: true, failure: null });
    await expect.poll(() => fold(captureEvents, failed.id)?.state).toBe('armed');
    expect(fold(captureEvents, failed.id)).toMatchObject({ elevated: true, mechanism: 'ptrace-follow-fork (helper)' });
    expect(elevated.rules).toEqual(direct.rules);
    // The renderer saw added (failed), restarted, armed, in that order.
    expect(captureEvents.map((e) => e.type)).toEqual(['watch-added', 'watch-restarted', 'watch-event']);
  });

  it('an elevated start answers at once and a cancelled prompt ends it as retryable', async () => {
    const cancelled = createFakeCaptureEngine({ startError: new DumpError('elevation-cancelled', 'The administrator prompt was cancelled.') });
    const { call, args, captureEvents } = await setup({ engines: engines(createFakeCaptureEngine(), cancelled) });
    const w = value<CaptureWatchView>(await call('procscope:start-capture', args({ elevated: true })));
    expect(w).toMatchObject({ state: 'arming', elevated: true });
    await expect.poll(() => fold(captureEvents, w.id)?.state).toBe('done');
    expect(fold(captureEvents, w.id)).toMatchObject({ retryable: true, failure: { code: 'elevation-cancelled' } });
    await services!.dispose();
    const none = await setup({ engines: engines(createFakeCaptureEngine()) });
    expect(await none.call('procscope:start-capture', none.args({ elevated: true }))).toMatchObject({ ok: false, error: { code: 'unsupported', message: expect.stringMatching(/cannot ask for administrator rights/) } });
  });

  it('a runner that dies without done ends its watch with watch-failed instead of leaving it armed', async () => {
    let die!: (reason: CaptureDoneReason) => void;
    const dying: CaptureEngine = {
      async start(rule, onEvent: (e: CaptureEvent) => void) {
        onEvent({ event: 'armed', atMs: Date.now(), pid: rule.target.pid, mechanism: 'x', limits: [] });
        return { finished: new Promise<CaptureDoneReason>((r) => (die = r)), stop: async () => {} };
      },
    };
    const { call, args, captureEvents } = await setup({ engines: engines(dying) });
    const w = value<CaptureWatchView>(await call('procscope:start-capture', args()));
    expect(w.state).toBe('armed');
    die('error');
    await expect.poll(() => fold(captureEvents, w.id)?.state).toBe('done');
    expect(fold(captureEvents, w.id)).toMatchObject({ doneReason: 'error', retryable: false, failure: { message: expect.stringMatching(/ended without finishing it/) } });
  });

  it('dispose stops every running watch before the host goes, and a watch still arming is stopped as it arms', async () => {
    const running = createFakeCaptureEngine();
    let arm!: () => void;
    const slowInner = createFakeCaptureEngine();
    const slow: CaptureEngine & { engine: FakeCaptureEngine } = {
      engine: slowInner,
      start: (rule, onEvent) => new Promise<void>((r) => (arm = r)).then(() => slowInner.start(rule, onEvent)),
    };
    const { call, args, services: s } = await setup({ engines: engines(running, slow) });
    value(await call('procscope:start-capture', args()));
    value(await call('procscope:start-capture', args({ scope: 'self' })));
    value(await call('procscope:start-capture', args({ elevated: true })));
    const disposing = s.dispose();
    setTimeout(() => arm(), 20);
    await disposing;
    expect(running.stopCalls).toBe(2);
    expect(slowInner.stopCalls).toBe(1);
    expect(running.emitted.filter((e) => e.event === 'done').map((e) => e.event === 'done' && e.reason)).toEqual(['stopped', 'stopped']);
    services = null;
  });

  it('answers with the watch still arming when a runner is slow, and reports its late arming or failure as events', async () => {
    const events: CaptureServiceEvent[] = [];
    const late = (error: DumpError | null): CaptureEngine => ({
      start: (rule, onEvent) =>
        new Promise((r) => setTimeout(r, 150)).then(() => createFakeCaptureEngine(error ? { startError: error } : {}).start(rule, onEvent)),
    });
    let engine = late(null);
    const captures = createCaptureServices({
      engines: { direct: async () => engine, elevated: null },
      readRows: async () => [],
      hostPids: () => [],
      dumps: createDumpServices({ factory: null, readRows: async () => [], broadcast: () => {} }),
      broadcast: (e) => events.push(structuredClone(e)),
      prepareFolder: async () => {},
      armingAnswerMs: 20,
    });
    const base: StartCaptureArgs = {
      pid: 4242, startTimeMs: 1, scope: 'descendants', nameGlob: null, cmdlineRegex: null, triggers: ['exit'], exitNonZeroOnly: false,
      kind: 'mini', outDir: join(dir, 'dumps'), holdTimeoutMs: 60_000, maxDumps: null, timeoutMs: null,
    };
    const slow = await captures.start(base);
    expect(slow.state).toBe('arming');
    await expect.poll(() => fold(events, slow.id)?.state).toBe('armed');
    engine = late(new DumpError('process-gone', 'Process 4242 has exited, so it cannot be watched.'));
    const gone = await captures.start(base);
    expect(gone.state).toBe('arming');
    await expect.poll(() => fold(events, gone.id)?.state).toBe('done');
    expect(fold(events, gone.id)).toMatchObject({ retryable: false, failure: { code: 'process-gone' } });
    await captures.dispose();
    expect(fold(events, slow.id)).toMatchObject({ state: 'done', doneReason: 'stopped' });
  });

  it(`refuses a seventeenth running watch with a sentence`, async () => {
    const { call, args } = await setup({ engines: engines(createFakeCaptureEngine()) });
    for (let i = 0; i < 16; i++) value(await call('procscope:start-capture', args()));
    expect(await call('procscope:start-capture', args())).toMatchObject({ ok: false, error: { code: 'unsupported', message: expect.stringMatching(/at most 16 capture watches/) } });
  });
});
