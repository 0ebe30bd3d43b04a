// The analysis channels over the real handlers, services and dump engine (fake writer, fake backend), with a
// scripted runner standing in for the worker: Analyze on good and bad jobs, Analyze Dump… on every kind of bad
// path (relative, '..', missing, folder, device, FIFO, not a dump, a link, a file behind a linked folder, a file
// swapped during the analysis), the desktop dialogs and Save as, and the browser host's HTML.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AnalysisView } from '../../src-shared/ipc/analysis-contract';
import type { DumpEventPayload, DumpJobView } from '../../src-shared/ipc/dump-contract';
import type { AnalysisReport } from '../../src-shared/model/analysis-report';
import { createFakeDumpWriter, type FakeTarget } from '../dump/__fixtures__/fake-dump-writer';
import { createDumpEngine } from '../dump/dump-engine';
import { createDumpSettingsStore } from '../dump/dump-settings';
import { createFakeBackend } from '../platform/fake/fake-backend';
import { AnalysisRunError, type AnalysisRunner } from './analysis-runner';
import { createAppServices, type AppServices, type HostShell } from './app-services';
import { createRequestHandlers, dispatchRequest } from './request-handlers';
import { createTestPoller } from './test-poller';

const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);

/** A small redacted report, as buildReport makes them, naming the file it was given. */
function cannedReport(path: string): AnalysisReport {
  return {
    schema: 1,
    generator: 'procscope analyze',
    header: {
      process: 'bash', pid: 42, ppid: 1, uid: 1000, commandLine: 'bash --password=***', os: { family: 'linux', version: null, cpuCount: 4 },
      dumpFormat: 'elf-core', dumpKind: 'mini', dumpFile: path.split('/').at(-1)!, dumpTimeMs: null, processStartTimeMs: null, uptimeMs: null,
      threadCount: 1, moduleCount: 0,
    },
    findings: [{ kind: 'no-known-problem', severity: 'info', weight: 0, title: 'No known problem', description: 'd', threads: [], recommendation: 'r', confidence: 'likely' }],
    topCpuThreads: [], cpuNote: null, stackGroups: [],
    threads: [{ tid: 42, name: '<script>x</script>', userMs: 1, kernelMs: 0, syscall: 61, stopSignal: null, classification: { state: 'child-wait', summary: 'waits', severity: 'info', confidence: 'likely', waitsForTid: null }, frames: [], stopReason: 'end of stack', problems: [] }],
    locks: [], waitChains: [],
    dotnet: { detected: false, runtime: null, module: null, version: null, threads: [], canSay: [], cannotSay: [], nextStep: null },
    modules: [], qualityNotes: [], redactions: [{ kind: 'option-value', location: 'header.commandLine', key: '--password' }],
  };
}

let dir: string;
let services: AppServices | null = null;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'analysis-handlers-'));
});
afterEach(async () => {
  await services?.dispose();
  services = null;
  rmSync(dir, { recursive: true, force: true });
});

function setup(options: { runner?: AnalysisRunner; shell?: HostShell; script?: FakeTarget } = {}) {
  const analysed: string[] = [];
  const runner: AnalysisRunner =
    options.runner ??
    (async (path) => {
      analysed.push(path);
      return cannedReport(path);
    });
  const backend = createFakeBackend({ processCount: 20 });
  services = createAppServices({
    backend,
    poller: createTestPoller(backend),
    version: '1.0.0',
    analysisRunner: runner,
    ...(options.shell ? { shell: options.shell } : {}),
    dumpEngineFactory: async (readRows) =>
      createDumpEngine({
        writerFactory: async () => createFakeDumpWriter(() => options.script ?? { totalBytes: 4096, chunkBytes: 4096 }),
        readRows,
        settingsStore: createDumpSettingsStore({ configDir: join(dir, 'config') }),
        progressIntervalMs: 0,
      }),
  });
  const events: DumpEventPayload[] = [];
  const sender = { id: 'w1', push: (channel: string, payload: unknown) => void (channel === 'procscope:dump-event' && events.push(payload as DumpEventPayload)) };
  const handlers = createRequestHandlers(services);
  const call = (channel: string, args: unknown) => dispatchRequest(handlers, channel, args, { sender });
  const s = services;
  /** Starts a dump of one fake process and waits until it has settled. */
  const dump = async (): Promise<DumpJobView> => {
    await call('procscope:subscribe-processes', {});
    const target = (await s.readRows())[3]!;
    const started = await call('procscope:start-dump', { pid: target.pid, startTimeMs: target.startTimeMs, kind: 'mini', outDir: join(dir, 'dumps') });
    const job = (started as { value: DumpJobView }).value;
    await expect.poll(() => events.some((e) => (e.type === 'job-done' || e.type === 'job-failed') && e.jobId === job.id)).toBe(true);
    return s.dumps.peek()!.get(job.id)! as DumpJobView;
  };
  return { call, dump, analysed };
}

const refused = (code: string, message: RegExp) => ({ ok: false, error: { code, message: expect.stringMatching(message) } });

describe('Analyze on a dump job', () => {
  it("analyses the finished job's own file and keeps the report for its HTML", async () => {
    const { call, dump, analysed } = setup();
    const job = await dump();
    // The fake writer's bytes are no dump; make it one as the real writer would.
    const bytes = readFileSync(job.result!.path);
    ELF.copy(bytes);
    writeFileSync(job.result!.path, bytes);
    const answer = await call('procscope:analyze-job', { jobId: job.id });
    expect(answer.ok).toBe(true);
    const view = (answer as { value: AnalysisView }).value;
    expect(analysed).toEqual([job.result!.path]);
    expect(view.source).toEqual({ kind: 'job', jobId: job.id });
    expect(view.reportId).toMatch(/^[0-9a-f-]{36}$/);
    expect(view.report.threads).toHaveLength(1);
    const html = await call('procscope:render-report-html', { reportId: view.reportId });
    expect(html.ok && (html.value as string)).toMatch(/^<!doctype html>/i);
    expect(html.ok && (html.value as string)).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(html.ok && (html.value as string)).not.toContain('<script>x');
    // The browser host has no save dialog: Save as is the renderer's download there.
    expect(await call('procscope:save-report', { reportId: view.reportId, format: 'json' })).toMatchObject(refused('unsupported', /download/));
  });

  it('refuses an unknown job, an unfinished one, a failed one and a file that is not a dump', async () => {
    const slow = setup({ script: { totalBytes: 10_000_000, chunkBytes: 1000, chunkDelayMs: 5 } });
    expect(await slow.call('procscope:analyze-job', { jobId: 'dump-99' })).toMatchObject(refused('invalid-argument', /no longer on the list/));
    expect(await slow.call('procscope:analyze-job', { jobId: '' })).toMatchObject(refused('invalid-argument', /^procscope:analyze-job: jobId/));
    await slow.call('procscope:subscribe-processes', {});
    const target = (await services!.readRows())[2]!;
    const started = await slow.call('procscope:start-dump', { pid: target.pid, startTimeMs: target.startTimeMs, kind: 'full', outDir: join(dir, 'slow') });
    const running = (started as { value: DumpJobView }).value;
    expect(await slow.call('procscope:analyze-job', { jobId: running.id })).toMatchObject(refused('invalid-argument', /still being written/));
    await slow.call('procscope:cancel-dump', { jobId: running.id });
    await expect.poll(() => services!.dumps.peek()!.get(running.id)!.state).toBe('cancelled');
    expect(await slow.call('procscope:analyze-job', { jobId: running.id })).toMatchObject(refused('invalid-argument', /was not saved/));
    await services!.dispose();

    const plain = setup();
    const job = await plain.dump();
    expect(await plain.call('procscope:analyze-job', { jobId: job.id })).toMatchObject(refused('invalid-argument', /is not a dump: it starts with neither an ELF header/));
    // The job's file replaced by a link to a dump: refused, not followed.
    const elsewhere = join(dir, 'elsewhere.core');
    writeFileSync(elsewhere, ELF);
    rmSync(job.result!.path);
    symlinkSync(elsewhere, job.result!.path);
    expect(await plain.call('procscope:analyze-job', { jobId: job.id })).toMatchObject(refused('invalid-argument', /is reached through a link/));
    rmSync(job.result!.path);
    expect(await plain.call('procscope:analyze-job', { jobId: job.id })).toMatchObject(refused('invalid-argument', /does not exist/));
    expect(plain.analysed).toEqual([]);
  });
});

describe('Analyze Dump… in the browser host (a typed path)', () => {
  it('refuses a relative path, .., a missing file, a folder, a non-dump, a link and a file behind a linked folder', async () => {
    const { call, analysed } = setup();
    const core = join(dir, 'real.core');
    writeFileSync(core, ELF);
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'inner.core'), ELF);
    symlinkSync(core, join(dir, 'link.core'));
    symlinkSync(join(dir, 'sub'), join(dir, 'linked-sub'));
    execFileSync('mkfifo', [join(dir, 'fifo.core')]);
    const cases: [string | undefined, RegExp][] = [
      [undefined, /Type the dump's absolute path/],
      ['real.core', /absolute path \('real.core' is relative\)/],
      [`${dir}/sub/../real.core`, /without '\.\.'/],
      [join(dir, 'missing.core'), /does not exist/],
      [join(dir, 'notes.txt', 'x'), /does not exist/],
      [join(dir, 'sub'), /is a folder, not a dump file/],
      [join(dir, 'notes.txt'), /is not a dump: it starts with neither/],
      [join(dir, 'link.core'), /is reached through a link/],
      [join(dir, 'linked-sub', 'inner.core'), /is reached through a link \(.*linked-sub\)/],
      ['/dev/null', /is not a regular file/],
      [join(dir, 'fifo.core'), /is not a regular file/],
    ];
    for (const [path, message] of cases) {
      expect(await call('procscope:analyze-file', path === undefined ? {} : { path }), String(path)).toMatchObject(refused('invalid-argument', message));
    }
    expect(await call('procscope:analyze-file', { path: `/tmp/a\0b` })).toMatchObject(refused('invalid-argument', /NUL/));
    expect(analysed).toEqual([]);
    const ok = await call('procscope:analyze-file', { path: core });
    expect(ok).toMatchObject({ ok: true, value: { source: { kind: 'file' }, report: { header: { dumpFile: 'real.core' } } } });
    expect(analysed).toEqual([core]);
  });

  it("passes the runner's failures on as sentences and drops a report whose file was swapped meanwhile", async () => {
    const core = join(dir, 'a.core');
    writeFileSync(core, ELF);
    let behaviour: 'file' | 'bug' | 'swap' = 'file';
    const { call } = setup({
      runner: async (path) => {
        if (behaviour === 'file') throw new AnalysisRunError(`${path} is a truncated core: PT_NOTE past the end.`, true);
        if (behaviour === 'bug') throw new AnalysisRunError('The analysis stopped: boom', false);
        writeFileSync(join(dir, 'b.core'), ELF);
        renameSync(join(dir, 'b.core'), path);
        return cannedReport(path);
      },
    });
    expect(await call('procscope:analyze-file', { path: core })).toMatchObject(refused('invalid-argument', /truncated core/));
    behaviour = 'bug';
    expect(await call('procscope:analyze-file', { path: core })).toMatchObject(refused('failed', /boom/));
    behaviour = 'swap';
    expect(await call('procscope:analyze-file', { path: core })).toMatchObject(refused('failed', /changed or replaced while it was analysed/));
  });

  it('runs at most two analyses at once and keeps the last eight reports', async () => {
    const core = join(dir, 'a.core');
    writeFileSync(core, ELF);
    const gates: (() => void)[] = [];
    let hold = true;
    const { call } = setup({
      runner: (path) => (hold ? new Promise((r) => gates.push(() => r(cannedReport(path)))) : Promise.resolve(cannedReport(path))),
    });
    const first = call('procscope:analyze-file', { path: core });
    const second = call('procscope:analyze-file', { path: core });
    await expect.poll(() => gates.length).toBe(2);
    expect(await call('procscope:analyze-file', { path: core })).toMatchObject(refused('failed', /2 analyses are already running/));
    hold = false;
    // One after the other, so the one let through first is the first report kept: opened together, either could finish
    // its re-check of the file first (CI saw the 'first' one still held after 7 more). Which call reached the runner
    // first is not known either (each checks the file before), so the oldest is whichever answers once one gate opens.
    gates[0]!();
    const oldest = ((await Promise.race([first, second])) as { value: AnalysisView }).value.reportId;
    gates[1]!();
    await Promise.all([first, second]);
    for (let i = 0; i < 7; i++) await call('procscope:analyze-file', { path: core });
    expect(await call('procscope:render-report-html', { reportId: oldest })).toMatchObject(refused('invalid-argument', /no longer held/));
  });
});

describe('Analyze Dump… and Save as in the desktop app (native dialogs)', () => {
  it('takes the path from the open dialog only, and saves the same redacted report as JSON and HTML', async () => {
    const core = join(dir, 'picked.core');
    writeFileSync(core, ELF);
    let pick: string | null = core;
    let saveTo: string | null = join(dir, 'out.json');
    const asked: string[] = [];
    const shell: HostShell = {
      chooseFolder: async () => null,
      showItemInFolder: () => {},
      chooseDumpFile: async () => pick,
      chooseSavePath: async (name, format) => {
        asked.push(`${name} ${format}`);
        return saveTo;
      },
    };
    const { call, analysed } = setup({ shell });
    expect(await call('procscope:analyze-file', { path: core })).toMatchObject(refused('invalid-argument', /chosen in the Open dialog/));
    expect(analysed).toEqual([]);
    const answer = await call('procscope:analyze-file', {});
    const view = (answer as { value: AnalysisView }).value;
    expect(analysed).toEqual([core]);
    expect(await call('procscope:save-report', { reportId: view.reportId, format: 'json' })).toEqual({ ok: true, value: join(dir, 'out.json') });
    const saved = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as AnalysisReport;
    expect(saved).toEqual(view.report);
    expect(saved.header.commandLine).toBe('bash --password=***');
    saveTo = join(dir, 'out.html');
    expect(await call('procscope:save-report', { reportId: view.reportId, format: 'html' })).toEqual({ ok: true, value: saveTo });
    expect(readFileSync(saveTo, 'utf8')).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(asked).toEqual(['picked.core.report.json json', 'picked.core.report.html html']);
    saveTo = join(dir, 'no-such-folder', 'x.json');
    expect(await call('procscope:save-report', { reportId: view.reportId, format: 'json' })).toMatchObject(refused('failed', /was not saved to/));
    saveTo = null;
    expect(await call('procscope:save-report', { reportId: view.reportId, format: 'json' })).toEqual({ ok: true, value: null });
    expect(await call('procscope:save-report', { reportId: 'nope', format: 'json' })).toMatchObject(refused('invalid-argument', /no longer held/));
    pick = null;
    expect(await call('procscope:analyze-file', {})).toEqual({ ok: true, value: null });
    pick = join(dir, 'picked-missing.core');
    expect(await call('procscope:analyze-file', {})).toMatchObject(refused('invalid-argument', /does not exist/));
  });
});
