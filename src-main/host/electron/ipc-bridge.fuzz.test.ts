/*
 * Property-based fuzzing of every IPC request channel, through the Electron bridge itself (registerIpcHandlers
 * over a fake ipcMain) and the real handlers, services, dump engine and settings store, over the fake backend.
 * The channels come from the contract, so a new channel is fuzzed without anyone remembering to: the arbitrary
 * table is a Record over RequestChannel (a missing entry does not compile) and the last test fails if a channel
 * the bridge registers got no cases. Each call must answer with an envelope — a result or one of the contract's
 * typed errors, never a throw, never 'internal', never a hang — and must not touch anything real: the backend is
 * the fake one (process.kill is watched), and dumps go only into this file's temporary folder.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { isRequestChannel, REQUEST_CHANNELS, type RequestArgs, type RequestChannel } from '../../../src-shared/ipc/contract';
import type { IpcEnvelope, IpcErrorCode } from '../../../src-shared/ipc/ipc-result';
import { REQUEST_SCHEMAS } from '../../../src-shared/ipc/request-schemas';
import { CATEGORY_IDS, KNOWN_COLUMN_IDS, type CategoryId } from '../../../src-shared/model/view-settings';
import { DETAIL_PARTS } from '../../../src-shared/model/process-detail';
import { fuzzParameters, fuzzSeed } from '../../__fixtures__/fuzz-seed';
import { createFakeCaptureEngine } from '../../capture/__fixtures__/fake-capture-engine';
import type { CaptureEngineFactories } from '../capture-services';
import { createFakeDumpWriter } from '../../dump/__fixtures__/fake-dump-writer';
import { createDumpEngine, type DumpEngine } from '../../dump/dump-engine';
import { createDumpSettingsStore } from '../../dump/dump-settings';
import { DumpError } from '../../dump/dump-writer';
import { createFakeBackend } from '../../platform/fake/fake-backend';
import { createAppServices, type AppServices } from '../app-services';
import { dispatchRequest, createRequestHandlers } from '../request-handlers';
import { createTestPoller } from '../test-poller';
import { registerIpcHandlers, type IpcMainLike } from './ipc-bridge';
import type { SenderEvent } from './trusted-sender';

const SEED = fuzzSeed();
/** Cases per channel and per family (arbitrary values, schema-near values). 23 channels × 2 × 300 ≈ 14,000 calls. */
const RUNS = 300;
/** A call that takes longer than this is a hang: every handler here is in-memory or a small temp-folder write. */
const HANG_MS = 5_000;
const TRUSTED_CONTENTS_ID = 7;
const CODES: ReadonlySet<IpcErrorCode> = new Set<IpcErrorCode>([
  'invalid-argument', 'unknown-channel', 'untrusted-sender', 'not-ready', 'process-gone', 'pid-recycled',
  'access-denied', 'unsupported', 'own-process', 'failed', 'internal',
]);

const sandbox = mkdtempSync(join(tmpdir(), 'procscope-ipc-fuzz-'));
const counts = new Map<string, { arbitrary: number; near: number }>();
const NOT_A_DUMP = join(sandbox, 'not-a-dump.txt');
writeFileSync(NOT_A_DUMP, 'plain text, no ELF or MDMP magic');
let dialogCalls = 0;
/** Per channel: how the calls that passed the schema ended (ok, or the error code), so a run shows it went past validation. */
const outcomes = new Map<string, Map<string, number>>();
let guardedOutDirs = 0;
let maxCallMs = 0;
let killSpy: MockInstance<typeof process.kill>;

beforeAll(() => {
  // The fake backend never signals anything; if some path reached the OS, this is where it would show.
  killSpy = vi.spyOn(process, 'kill');
});
afterEach(() => {
  expect(killSpy, 'a fuzz case reached process.kill').not.toHaveBeenCalled();
});
afterAll(() => {
  killSpy.mockRestore();
  rmSync(sandbox, { recursive: true, force: true });
});

type Handler = (event: SenderEvent, args: unknown) => Promise<unknown>;

function fakeIpcMain() {
  const handlers = new Map<string, Handler>();
  const ipcMain = {
    handle: (channel: string, handler: Handler) => void handlers.set(channel, handler),
    removeHandler: (channel: string) => void handlers.delete(channel),
  };
  return { ipcMain: ipcMain as unknown as IpcMainLike, handlers };
}

function fakeEvent(contentsId: number): SenderEvent {
  const sender = { id: contentsId, send: () => {}, isDestroyed: () => false };
  return { sender, senderFrame: { parent: null, url: 'app://procscope/index.html' } } as unknown as SenderEvent;
}

/** Inside the sandbox: the only folders a fuzzed dump may be written to or created in. */
function insideSandbox(outDir: string): boolean {
  const full = resolve(outDir);
  return full === sandbox || full.startsWith(sandbox + '/');
}

/**
 * The real engine with one guard: an absolute folder outside the sandbox is refused here, before the engine would
 * make it (as root, on this machine). The engine's own checks still see every other request, Windows paths and
 * relative ones included. Pids divisible by 3 fail for lack of rights, so the retry channel has jobs to retry.
 */
function guardedEngine(engine: DumpEngine): DumpEngine {
  const guard = (outDir: string): void => {
    if (typeof outDir === 'string' && isAbsolute(outDir) && !insideSandbox(outDir)) {
      guardedOutDirs++;
      throw new DumpError('bad-request', 'fuzz guard: that folder is outside the test sandbox.');
    }
  };
  return {
    ...engine,
    start: async (request) => (guard(request.outDir), engine.start(request)),
    startTree: async (request) => (guard(request.outDir), engine.startTree(request)),
  };
}

/**
 * Scripted capture engines (no process is ever held): pids divisible by 3 need elevation, so the retry channel has
 * watches to retry, and the elevated prompt is always cancelled; pid % 3 = 1 reports one dump and ends by itself,
 * the rest run until stopped. Folders outside the sandbox are refused before anything would make them.
 */
const fuzzCaptureEngines: CaptureEngineFactories = {
  direct: async () => ({
    start: (rule, onEvent) =>
      (rule.target.pid % 3 === 0
        ? createFakeCaptureEngine({ startError: new DumpError('needs-elevation', 'Procscope needs administrator rights to watch this process.') })
        : createFakeCaptureEngine(
            rule.target.pid % 3 === 1
              ? { events: [{ event: 'dump', pid: rule.target.pid + 1, name: 'child', trigger: 'exit', path: join(rule.outDir, 'child-at-exit.core'), fileBytes: 10, sha256: '0'.repeat(64), targetPauseMs: 1 , unreadableBytes: 0}], endReason: 'target-exited' }
              : {},
          )
      ).start(rule, onEvent),
  }),
  elevated: async () => createFakeCaptureEngine({ startError: new DumpError('elevation-cancelled', 'Elevation was cancelled.') }),
};

function guardedCaptureFolder(outDir: string): Promise<void> {
  if (!insideSandbox(outDir)) {
    guardedOutDirs++;
    return Promise.reject(new DumpError('bad-request', 'fuzz guard: that folder is outside the test sandbox.'));
  }
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  return Promise.resolve();
}

interface FuzzContext {
  services: AppServices;
  call(channel: string, args: unknown, contentsId?: number): Promise<unknown>;
  registered: string[];
  targets: { pid: number; startTimeMs: number }[];
  dispose(): Promise<void>;
}

async function createContext(name: string): Promise<FuzzContext> {
  const dir = mkdtempSync(join(sandbox, `${name.replace(/\W+/g, '-')}-`));
  const backend = createFakeBackend({ processCount: 40, seed: 3 });
  const poller = createTestPoller(backend);
  const services = createAppServices({
    backend,
    poller,
    version: '0.0.0-fuzz',
    // The dialogs answer a file in the sandbox that is no dump (Analyze Dump… must refuse it) or a cancel.
    shell: {
      chooseFolder: async (p) => p ?? null,
      showItemInFolder: () => {},
      chooseDumpFile: async () => (++dialogCalls % 2 ? NOT_A_DUMP : null),
      chooseSavePath: async (name) => join(sandbox, 'saved', name),
    },
    captureEngines: fuzzCaptureEngines,
    viewSettingsDir: join(sandbox, 'view'),
    prepareCaptureFolder: guardedCaptureFolder,
    dumpEngineFactory: async (readRows) =>
      guardedEngine(
        createDumpEngine({
          writerFactory: async () =>
            createFakeDumpWriter((r) =>
              r.pid % 3 === 0 ? { failWith: new DumpError('needs-elevation', 'Procscope needs administrator rights to dump this process.') } : { totalBytes: 4096, chunkBytes: 4096 },
            ),
          readRows,
          elevation: {
            // The retry path up to the prompt, and a person who cancels it: nothing is ever started.
            elevator: { kind: 'direct', run: async () => Promise.reject(new DumpError('elevation-cancelled', 'Elevation was cancelled.')) },
            command: { executable: '/nonexistent/procscope', args: [] },
            uid: process.getuid?.() ?? null,
          },
          settingsStore: createDumpSettingsStore({ configDir: join(dir, 'config'), defaults: { dumpDir: join(dir, 'dumps') } }),
          progressIntervalMs: 0,
        }),
      ),
  });
  const { ipcMain, handlers } = fakeIpcMain();
  const unregister = registerIpcHandlers(ipcMain, services, (event) => event.sender.id === TRUSTED_CONTENTS_ID);
  const targets = (await services.readRows()).map((r) => ({ pid: r.pid, startTimeMs: r.startTimeMs }));
  const ctx: FuzzContext = {
    services,
    registered: [...handlers.keys()],
    targets,
    call: (channel, args, contentsId = TRUSTED_CONTENTS_ID) => {
      const handler = handlers.get(channel);
      if (!handler) throw new Error(`the bridge registered no handler for ${channel}`);
      return handler(fakeEvent(contentsId), args);
    },
    async dispose() {
      unregister();
      await services.dispose();
    },
  };
  await primeJobs(ctx, dir);
  return ctx;
}

/** Finished, failed (retryable: pid % 3) and grouped jobs, so the job channels' fuzzed ids hit real jobs too. */
async function primeJobs(ctx: FuzzContext, dir: string): Promise<void> {
  for (const t of ctx.targets.slice(1, 13)) await ctx.call('procscope:start-dump', { ...t, kind: 'mini', outDir: join(dir, 'primed') });
  await ctx.call('procscope:start-tree-dump', { ...ctx.targets[0]!, kind: 'full', outDir: join(dir, 'primed') });
  // Watches of each scripted kind (needs elevation, ended with a dump, running), so watch ids hit real watches.
  for (const t of ctx.targets.slice(1, 7)) {
    await ctx.call('procscope:start-capture', { ...t, scope: 'descendants', nameGlob: null, cmdlineRegex: null, triggers: ['exit'], exitNonZeroOnly: false, kind: 'mini', outDir: join(dir, 'primed'), holdTimeoutMs: 60_000, maxDumps: null, timeoutMs: null });
  }
  const deadline = Date.now() + HANG_MS;
  for (;;) {
    const engine = ctx.services.dumps.peek();
    if (engine && engine.list().every((j) => j.state !== 'queued' && j.state !== 'running')) return;
    if (Date.now() > deadline) throw new Error('the primed dump jobs did not finish');
    await new Promise((r) => setTimeout(r, 5));
  }
}

// ---- values -------------------------------------------------------------------------------------------------

const POLLUTION_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__'];

/** An object whose own key is one of POLLUTION_KEYS (defineProperty: an assignment to __proto__ would set the prototype). */
const pollutionObject = fc
  .tuple(fc.constantFrom(...POLLUTION_KEYS), fc.anything({ maxDepth: 2 }), fc.boolean())
  .map(([key, value, viaJson]) => {
    if (viaJson) return JSON.parse(`{${JSON.stringify(key)}: ${JSON.stringify(value) ?? 'null'}}`) as unknown;
    const o: Record<string, unknown> = {};
    Object.defineProperty(o, key, { value, enumerable: true, configurable: true, writable: true });
    return o;
  });

const deepObject = fc.tuple(fc.integer({ min: 50, max: 3000 }), fc.boolean()).map(([depth, asArray]) => {
  let v: unknown = asArray ? [1] : { pid: 1 };
  for (let i = 0; i < depth; i++) v = asArray ? [v] : { pid: v, startTimeMs: v };
  return v;
});

const cyclicObject = fc.constantFrom('self', 'pair').map((shape) => {
  const a: Record<string, unknown> = { pid: 10, startTimeMs: 1 };
  if (shape === 'self') a['jobId'] = a;
  else a['jobId'] = { back: a };
  return a;
});

const hugeString = fc.tuple(fc.integer({ min: 4_000, max: 300_000 }), fc.constantFrom('x', '/', '\0', 'é', '\u{1f600}', '\\', '\n')).map(([n, c]) => c.repeat(n));

const oddNumber = fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, -1, 0.5, 1.5, 2 ** 31, 2 ** 31 - 1, 2 ** 32, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON, 1e308);

const oddString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom('', ' ', '0', '-1', 'NaN', 'null', 'undefined', '__proto__', 'constructor', '/', '//', '/..', '/../../etc', 'C:\\', 'C:', '\\\\server\\share', '\\\\?\\C:\\x', 'dump-1', 'group-1', 'dump-0', 'dump-1\0', 'full', 'mini', 'FULL'),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
);

/** Anything a renderer, a structured clone or a JSON frame could hand main, and some things none of them can. */
const weird: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({
    maxDepth: 3,
    withBigInt: true, withBoxedValues: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true,
    withObjectString: true, withSparseArray: true, withTypedArray: true, stringUnit: 'binary',
  }),
  oddNumber,
  oddString,
  hugeString,
  deepObject,
  cyclicObject,
  pollutionObject,
  fc.bigInt(),
  fc.array(fc.anything({ maxDepth: 1 }), { maxLength: 50 }),
  fc.constant(new Array(100_000)),
  fc.constantFrom(null, undefined, true, false, Symbol('x'), () => 1),
);

// ---- what each channel takes when it is well formed ---------------------------------------------------------

type ValidArbitraries = { [C in RequestChannel]: (ctx: FuzzContext) => fc.Arbitrary<RequestArgs<C>> };

const none = () => fc.constant({} as Record<string, never>);
const target = (ctx: FuzzContext) =>
  fc.oneof(
    fc.constantFrom(...ctx.targets),
    fc.record({ pid: fc.integer({ min: 1, max: 0x7fffffff }), startTimeMs: fc.nat() }),
    fc.constantFrom(...ctx.targets).map((t) => ({ pid: t.pid, startTimeMs: t.startTimeMs + 1 })),
  );
/** Folders the engine may really use: the sandbox and folders right inside it (no '..', no separators). */
const folder = () =>
  fc.oneof(fc.constant(sandbox), fc.stringMatching(/^[A-Za-z0-9 ._-]{1,20}$/).filter((s) => s !== '.' && s !== '..').map((s) => join(sandbox, s)));
const jobId = () =>
  fc.record({ jobId: fc.oneof(fc.integer({ min: 1, max: 60 }).map((n) => `dump-${n}`), fc.integer({ min: 1, max: 60 }).map((n) => `group-${n}`), fc.string({ minLength: 1, maxLength: 64 })) });
const dumpArgs = (ctx: FuzzContext) =>
  fc
    .tuple(target(ctx), fc.constantFrom('full' as const, 'mini' as const), folder(), fc.option(fc.string({ unit: 'binary', minLength: 1, maxLength: 255 }), { nil: undefined }))
    .map(([t, kind, outDir, name]) => ({ ...t, kind, outDir, ...(name === undefined ? {} : { name }) }));

const watchId = () => fc.record({ watchId: fc.oneof(fc.integer({ min: 1, max: 40 }).map((n) => `capture-${n}`), fc.string({ minLength: 1, maxLength: 64 })) });
const optional = <T,>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
const captureArgs = (ctx: FuzzContext) =>
  fc
    .record({
      target: target(ctx),
      scope: fc.constantFrom('self' as const, 'descendants' as const, 'self-and-descendants' as const),
      nameGlob: optional(fc.oneof(fc.constantFrom('*', 'Calamari*', '?', '[', '*.exe'), fc.string({ minLength: 1, maxLength: 255 }))),
      // Invalid expressions too ('(' , '[z-a]'): they pass the schema and must be refused by the rule check.
      cmdlineRegex: optional(fc.oneof(fc.constantFrom('(', '[z-a]', '.*', '^a+$', '(a+)+$'), fc.string({ minLength: 1, maxLength: 200 }))),
      // Sampled triggers with and without (matching) monitor settings: the rule check must sort them out.
      triggers: fc.subarray(['start' as const, 'exit' as const, 'crash' as const, 'cpu' as const, 'memory' as const, 'series' as const], { minLength: 1 }),
      monitor: fc.option(
        fc.option(
          fc.record({
            cpuPercent: optional(fc.integer({ min: 1, max: 100_000 })),
            memoryMb: optional(fc.integer({ min: 1, max: 16 * 1024 * 1024 })),
            seconds: fc.integer({ min: 1, max: 86_400 }),
            count: fc.integer({ min: 1, max: 10_000 }),
          }),
          { nil: null },
        ),
        { nil: undefined },
      ),
      exitNonZeroOnly: fc.boolean(),
      kind: fc.constantFrom('full' as const, 'mini' as const),
      outDir: folder(),
      holdTimeoutMs: fc.integer({ min: 1, max: 3_600_000 }),
      maxDumps: optional(fc.integer({ min: 1, max: 100_000 })),
      timeoutMs: optional(fc.integer({ min: 1, max: 7 * 86_400_000 })),
      name: fc.option(fc.string({ minLength: 1, maxLength: 255 }), { nil: undefined }),
      elevated: fc.option(fc.boolean(), { nil: undefined }),
    })
    .map(({ target: t, name, elevated, monitor, ...rest }) => ({
      ...t,
      ...rest,
      ...(name === undefined ? {} : { name }),
      ...(elevated === undefined ? {} : { elevated }),
      ...(monitor === undefined ? {} : { monitor }),
    }));

/** A view within the schema's bounds; nearValid() then breaks one field of it. */
const viewSettingsArb = () => {
  const ids = KNOWN_COLUMN_IDS.filter((id) => id !== 'name');
  const style = fc.record({ color: fc.stringMatching(/^#[0-9a-f]{6}$/), enabled: fc.boolean() });
  return fc.record({
    version: fc.constant(1 as const),
    columns: fc.uniqueArray(fc.constantFrom(...ids), { maxLength: 20 }).map((c) => ['name', ...c]),
    widthsPx: fc.dictionary(fc.constantFrom(...KNOWN_COLUMN_IDS), fc.integer({ min: 20, max: 2000 }), { maxKeys: 10 }),
    sort: fc.option(fc.record({ column: fc.constantFrom(...KNOWN_COLUMN_IDS), direction: fc.constantFrom('asc' as const, 'desc' as const) }), { nil: null }),
    flatList: fc.boolean(),
    lowerPane: fc.record({ visible: fc.boolean(), view: fc.constantFrom('dlls' as const, 'handles' as const) }),
    refreshIntervalMs: fc.constantFrom(500, 1000, 2000, 5000, 10000),
    newHighlightMs: fc.integer({ min: 0, max: 60_000 }),
    keepExitedMs: fc.integer({ min: 0, max: 60_000 }),
    categories: fc.record(Object.fromEntries(CATEGORY_IDS.map((id) => [id, style])) as Record<CategoryId, typeof style>),
  });
};

/** Negative: the target's own thread number -1 - n; else any tid. */
const threadId = fc.oneof(fc.integer({ min: -3, max: -1 }), fc.integer({ min: 1, max: 0x7fffffff }));

const VALID: ValidArbitraries = {
  'procscope:subscribe-processes': none,
  'procscope:unsubscribe-processes': none,
  'procscope:get-snapshot': none,
  'procscope:get-poller-state': none,
  'procscope:set-refresh-interval': () => fc.record({ intervalMs: fc.constantFrom(0, 500, 1000, 2000, 5000) }),
  'procscope:set-include-handle-count': () => fc.record({ include: fc.boolean() }),
  'procscope:set-poll-fields': () => fc.record({ io: fc.boolean(), categories: fc.boolean() }, { requiredKeys: [] }),
  'procscope:refresh-now': none,
  'procscope:get-app-info': none,
  'procscope:kill-process': target,
  'procscope:kill-process-tree': target,
  'procscope:suspend-process': target,
  'procscope:resume-process': target,
  'procscope:start-dump': dumpArgs,
  'procscope:start-tree-dump': dumpArgs,
  'procscope:cancel-dump': jobId,
  'procscope:retry-dump-elevated': jobId,
  'procscope:delete-dump': jobId,
  'procscope:dismiss-dump': jobId,
  'procscope:list-dump-jobs': none,
  'procscope:get-dump-settings': none,
  'procscope:update-dump-settings': () =>
    fc.oneof(
      fc.record({ dumpDir: folder() }),
      fc.record({ lastKind: fc.constantFrom('full' as const, 'mini' as const) }),
      fc.record({ dumpDir: folder(), lastKind: fc.constantFrom('full' as const, 'mini' as const) }),
    ),
  'procscope:choose-dump-folder': () => fc.oneof(fc.constant({}), fc.record({ defaultPath: fc.string({ maxLength: 200 }) })),
  'procscope:show-dump-in-folder': jobId,
  'procscope:start-capture': captureArgs,
  'procscope:stop-capture': watchId,
  'procscope:retry-capture-elevated': watchId,
  'procscope:dismiss-capture': watchId,
  'procscope:list-captures': none,
  'procscope:analyze-job': jobId,
  // The desktop host takes no path (its dialog picks one); a path, any path, is refused.
  'procscope:analyze-file': () => fc.oneof(fc.constant({}), fc.record({ path: fc.oneof(oddString, fc.constantFrom(NOT_A_DUMP, sandbox, '/etc/passwd')).filter((p) => p.length > 0 && !p.includes('\0')) })),
  'procscope:save-report': () => fc.record({ reportId: fc.oneof(fc.uuid(), fc.string({ minLength: 1, maxLength: 64 })), format: fc.constantFrom('html' as const, 'json' as const) }),
  'procscope:render-report-html': () => fc.record({ reportId: fc.oneof(fc.uuid(), fc.string({ minLength: 1, maxLength: 64 })) }),
  'procscope:open-properties-window': target,
  'procscope:get-view-settings': none,
  'procscope:set-view-settings': () => fc.record({ settings: viewSettingsArb() }),
  'procscope:get-process-detail': (ctx) =>
    fc.tuple(target(ctx), fc.uniqueArray(fc.constantFrom(...DETAIL_PARTS), { minLength: 1 })).map(([t, parts]) => ({ ...t, parts })),
  // Half the tids are the target's own (the fake's threads are pid, pid + 1, pid + 2), so calls get past the lookup.
  'procscope:get-thread-stack': (ctx) => fc.tuple(target(ctx), threadId).map(([t, tid]) => ({ ...t, tid: tid < 0 ? t.pid - tid - 1 : tid })),
  'procscope:thread-action': (ctx) =>
    fc
      .tuple(target(ctx), threadId, fc.constantFrom('kill' as const, 'suspend' as const, 'resume' as const))
      .map(([t, tid, action]) => ({ ...t, tid: tid < 0 ? t.pid - tid - 1 : tid, action })),
  'procscope:find-handle-or-dll': () =>
    fc.record({ query: fc.oneof(fc.constantFrom('libc', '.so', 'LOG', 'x'), fc.string({ minLength: 1, maxLength: 260 }).filter((q) => !q.includes('\0'))) }),
  'procscope:prepare-upload-package': jobId,
  'procscope:upload-package-progress': jobId,
  'procscope:cancel-upload-package': jobId,
};

/** A valid argument with one thing wrong: a field replaced by a weird value, removed, or an extra key added. */
function nearValid(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const replacementArb = fc.oneof(weird, oddString, oddNumber, fc.constantFrom('/', '/..', '/../../etc', '/tmp', '/root/x', '//x'));
  return fc.tuple(valid, fc.nat(), fc.constantFrom('replace', 'delete', 'extra', 'pollute'), replacementArb, fc.string({ maxLength: 12 })).map(([value, pick, how, replacement, extraKey]) => {
    const base = { ...(value as Record<string, unknown>) };
    const keys = Object.keys(base);
    const key = keys.length ? keys[pick % keys.length]! : 'x';
    if (how === 'replace' && keys.length) base[key] = replacement;
    else if (how === 'delete' && keys.length) delete base[key];
    else if (how === 'pollute') Object.defineProperty(base, POLLUTION_KEYS[pick % POLLUTION_KEYS.length]!, { value: replacement, enumerable: true, configurable: true, writable: true });
    else base[extraKey || 'extra'] = replacement;
    return base;
  });
}

// ---- the property -------------------------------------------------------------------------------------------

/** Races a call against HANG_MS; resolves to what it answered, or throws with the reason it broke the contract. */
async function answered(call: Promise<unknown>, what: string): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const startedMs = performance.now();
  try {
    return await Promise.race([
      call,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not answer within ${HANG_MS} ms`)), HANG_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    maxCallMs = Math.max(maxCallMs, performance.now() - startedMs);
  }
}

/** Throws (so fast-check reports the case) unless the answer is an envelope with a result or a typed error. */
function checkEnvelope(channel: string, args: unknown, answer: unknown): void {
  const envelope = answer as IpcEnvelope<unknown>;
  if (typeof envelope !== 'object' || envelope === null || typeof envelope.ok !== 'boolean') {
    throw new Error(`${channel} answered something that is not an envelope: ${String(answer)}`);
  }
  if (envelope.ok) {
    // A success is only possible for an argument the contract accepts.
    if (!REQUEST_SCHEMAS[channel as RequestChannel].safeParse(args).success) throw new Error(`${channel} succeeded on an argument its schema refuses`);
    tally(channel, 'ok');
    return;
  }
  const { code, message } = envelope.error;
  if (!CODES.has(code)) throw new Error(`${channel} answered an unknown error code ${String(code)}`);
  if (code === 'internal') throw new Error(`${channel} let an untyped error escape: ${message}`);
  if (typeof message !== 'string' || message.trim().length === 0) throw new Error(`${channel} answered ${code} without a sentence`);
  if (message.length > 4000) throw new Error(`${channel} answered a ${message.length}-character message (it echoes its input)`);
  const schemaOk = REQUEST_SCHEMAS[channel as RequestChannel].safeParse(args).success;
  if (!schemaOk && code !== 'invalid-argument') throw new Error(`${channel} answered ${code}, not invalid-argument, for an argument its schema refuses`);
  if (code === 'invalid-argument' && !schemaOk && !message.startsWith(channel)) throw new Error(`${channel}'s refusal does not name the channel: ${message}`);
  if (schemaOk) tally(channel, code);
}

function tally(channel: string, outcome: string): void {
  const map = outcomes.get(channel) ?? new Map<string, number>();
  map.set(outcome, (map.get(outcome) ?? 0) + 1);
  outcomes.set(channel, map);
}

function bump(channel: string, family: 'arbitrary' | 'near'): void {
  const entry = counts.get(channel) ?? { arbitrary: 0, near: 0 };
  entry[family]++;
  counts.set(channel, entry);
}

describe(`fuzz: every IPC request channel through the Electron bridge (seed ${SEED})`, () => {
  it.each(REQUEST_CHANNELS.map((c, i) => [c, i] as const))('%s answers arbitrary and schema-near arguments with a typed envelope', async (channel, index) => {
    const ctx = await createContext(channel);
    try {
      const valid = VALID[channel](ctx) as fc.Arbitrary<unknown>;
      // The valid arbitrary itself must satisfy the schema, or the schema-near family would test nothing.
      fc.assert(fc.property(valid, (v) => REQUEST_SCHEMAS[channel].safeParse(v).success), fuzzParameters(SEED, index * 3, 50));
      for (const [family, arbitrary, offset] of [
        ['arbitrary', weird, 1],
        ['near', fc.oneof(nearValid(valid), valid), 2],
      ] as const) {
        await fc.assert(
          fc.asyncProperty(arbitrary, async (args) => {
            bump(channel, family);
            checkEnvelope(channel, args, await answered(ctx.call(channel, args), `${channel}(${family})`));
          }),
          fuzzParameters(SEED, index * 3 + offset, RUNS),
        );
      }
      // An untrusted sender is refused whatever it sends, and no handler runs for it.
      await fc.assert(
        fc.asyncProperty(fc.oneof(valid, weird), fc.integer({ min: 0, max: 1000 }).filter((id) => id !== TRUSTED_CONTENTS_ID), async (args, id) => {
          const answer = (await answered(ctx.call(channel, args, id), channel)) as IpcEnvelope<unknown>;
          if (answer.ok || answer.error.code !== 'untrusted-sender') throw new Error(`${channel} answered an untrusted sender: ${JSON.stringify(answer)}`);
        }),
        fuzzParameters(SEED, index * 3 + 3, 20),
      );
      // The engine and the settings store wrote only inside the sandbox (the guard held) and the app still works.
      expect(await ctx.call('procscope:get-poller-state', {})).toMatchObject({ ok: true });
    } finally {
      await ctx.dispose();
    }
    const entry = counts.get(channel)!;
    const reached = [...(outcomes.get(channel) ?? new Map<string, number>())].map(([o, n]) => `${o} ${n}`).join(', ');
    console.log(`fuzz ipc ${channel}: ${entry.arbitrary + entry.near} cases (${entry.arbitrary} arbitrary, ${entry.near} schema-near; past the schema: ${reached})`);
    // Cases that only ever bounce off the schema would leave the handler itself unfuzzed.
    expect(outcomes.get(channel)?.size, `${channel}: no case reached the handler`).toBeGreaterThan(0);
  });

  it('answers arbitrary channel names with unknown-channel, and never runs a handler for them', async () => {
    const ctx = await createContext('channels');
    const handlers = createRequestHandlers(ctx.services);
    let n = 0;
    try {
      const nearName = fc.tuple(fc.constantFrom(...REQUEST_CHANNELS), fc.string({ unit: 'binary', maxLength: 4 }), fc.boolean()).map(([c, s, front]) => (front ? s + c : c + s));
      await fc.assert(
        fc.asyncProperty(fc.oneof(weird, nearName, fc.constantFrom('__proto__', 'constructor', 'hasOwnProperty', 'procscope:', 'PROCSCOPE:KILL-PROCESS')), async (channel) => {
          n++;
          const answer = (await answered(dispatchRequest(handlers, channel, {}, { sender: { id: 'fuzz', push: () => {} } }), 'dispatch')) as IpcEnvelope<unknown>;
          if (isRequestChannel(channel)) return;
          if (answer.ok || answer.error.code !== 'unknown-channel') throw new Error(`channel ${String(channel)} was not refused: ${JSON.stringify(answer)}`);
          if (answer.error.message.length > 200) throw new Error('the refusal echoes the whole channel name');
        }),
        fuzzParameters(SEED, 999, 400),
      );
    } finally {
      await ctx.dispose();
    }
    console.log(`fuzz ipc <channel names>: ${n} cases`);
  });

  it('covered every channel the bridge registers, and the dumps stayed in the sandbox', async () => {
    const ctx = await createContext('coverage');
    const registered = [...ctx.registered].sort();
    // The guard itself: a schema-valid folder outside the sandbox never reaches the engine's mkdir.
    const before = guardedOutDirs;
    const probe = { ...ctx.targets[1]!, kind: 'mini', outDir: '/procscope-fuzz-guard-probe' };
    expect(await ctx.call('procscope:start-dump', probe)).toMatchObject({ ok: false, error: { code: 'invalid-argument', message: expect.stringMatching(/^fuzz guard/) } });
    expect(guardedOutDirs).toBe(before + 1);
    await ctx.dispose();
    expect(registered).toEqual([...REQUEST_CHANNELS].sort());
    const uncovered = registered.filter((c) => !(counts.get(c)?.arbitrary && counts.get(c)?.near));
    expect(uncovered, 'channels without fuzz cases').toEqual([]);
    const total = [...counts.values()].reduce((sum, e) => sum + e.arbitrary + e.near, 0);
    console.log(
      `fuzz ipc total: ${total} cases over ${counts.size} channels, seed ${SEED}, slowest call ${maxCallMs.toFixed(1)} ms, ` +
        `${guardedOutDirs} dump requests outside the sandbox stopped by the test's guard`,
    );
  });
});
