// `procscope watch` in-process, on a scripted capture engine and a scripted process list: the rule it starts the
// engine with (target identity from the backend), JSON lines and readable lines, exit codes, Ctrl+C / SIGTERM
// stopping the watch exactly once, the second Ctrl+C, --wait polling, --launch on a scripted launcher (the program
// is let go only after `armed`, never when the watch fails, its exit code rides on `done`), and the refusals of what
// no engine does yet (nothing started). The real engine and launcher run in watch.linux.test.ts.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { CaptureEvent } from '../../../src-shared/model/capture';
import { emptyProcessRow } from '../../../src-shared/model/process';
import { createFakeCaptureEngine, type FakeCaptureEngine, type FakeCaptureScript } from '../../capture/__fixtures__/fake-capture-engine';
import { DumpError } from '../../dump/dump-writer';
import type { ProcessBackend, ProcessSample } from '../../platform/backend';
import { CliUsageError } from '../cli-command';
import { runCli } from '../main';
import { runWatch, type WatchDeps } from './watch';
import type { LaunchedExit, LaunchedProcess, Launcher } from './watch-launch';

const START_MS = 1_700_000_000_000;

/** A process list that changes per poll: `polls[i]` is the rows of the i-th snapshot (the last one repeats). */
function scriptedBackend(polls: ProcessSample[][]): ProcessBackend & { snapshots: number; disposed: number } {
  const b = {
    platform: 'fake' as const,
    capabilities: { handleCount: 'none' as const, suspend: false, dumpFormat: 'none' as const },
    snapshots: 0,
    disposed: 0,
    async takeSnapshot() {
      const rows = polls[Math.min(b.snapshots, polls.length - 1)] ?? [];
      b.snapshots++;
      return { timestampMs: START_MS, monotonicMs: 0, rows, cpuCount: 2, memoryTotalBytes: null, memoryAvailableBytes: null };
    },
    readStartTimeMs: (pid: number) => (polls[0] ?? []).find((r) => r.pid === pid)?.startTimeMs ?? null,
    terminate: () => Promise.reject(new Error('a watch never kills')),
    suspend: () => Promise.reject(new Error('a watch never suspends')),
    resume: () => Promise.reject(new Error('a watch never resumes')),
    dispose() {
      b.disposed++;
    },
  };
  return b;
}

const row = (pid: number, name: string, startTimeMs = START_MS + pid): ProcessSample => emptyProcessRow(pid, 1, name, startTimeMs);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  engine: FakeCaptureEngine;
  backend: ReturnType<typeof scriptedBackend>;
  signals: EventEmitter;
  exits: number[];
  engineCreated: boolean;
}

/** A launcher that records what happens to its one program: let go (`go`) or cancelled, and when it ends. */
function scriptedLauncher(pid: number, exit: LaunchedExit, options: { endsAfterGoMs?: number | null; createdSuspended?: boolean } = {}) {
  const log: string[] = [];
  let resolveExit!: (e: LaunchedExit) => void;
  const exited = new Promise<LaunchedExit>((r) => (resolveExit = r));
  let started = false;
  const launched: LaunchedProcess = {
    pid,
    get started() {
      return started;
    },
    go() {
      log.push('go');
      started = true;
      if (options.endsAfterGoMs !== null) setTimeout(() => resolveExit(exit), options.endsAfterGoMs ?? 1);
    },
    cancel() {
      log.push('cancel');
      resolveExit({ exitCode: 125, signal: null });
    },
    exited,
    ...(options.createdSuspended ? { createdSuspended: true } : {}),
    release() {
      log.push('release');
    },
  };
  const launcher: Launcher = {
    check(argv) {
      log.push(`check ${argv.join(' ')}`);
      if (argv[0] === 'no-such-program') throw new CliUsageError("--launch: no program named 'no-such-program' on the PATH.");
    },
    async start(argv) {
      log.push(`start ${argv.join(' ')}`);
      return launched;
    },
  };
  return { launcher, log };
}

function setUp(
  script: FakeCaptureScript,
  polls: ProcessSample[][] = [[row(4242, 'Tentacle')]],
  launcher: Launcher | null = null,
  platform: NodeJS.Platform = 'linux',
) {
  const engine = createFakeCaptureEngine(script);
  const backend = scriptedBackend(polls);
  const signals = new EventEmitter();
  const exits: number[] = [];
  const out = { stdout: '', stderr: '', engineCreated: false };
  const deps: WatchDeps = {
    createEngine: async () => {
      out.engineCreated = true;
      return engine;
    },
    createBackend: async () => backend,
    signals,
    onOutputError: (listener) => {
      signals.on('output-error', listener);
      return () => signals.off('output-error', listener);
    },
    exitNow: (code) => exits.push(code),
    platform,
    cwd: () => '/srv/dumps',
    waitPollMs: 5,
    waitLister: null,
    launch: launcher,
    selfPid: 99,
  };
  const io = { stdout: (t: string) => void (out.stdout += t), stderr: (t: string) => void (out.stderr += t) };
  const run = async (args: string[]): Promise<Run> => {
    const code = await runWatch(args, io, deps);
    return { code, ...out, engine, backend, signals, exits };
  };
  return { run, signals, engine, out };
}

const jsonLines = (stdout: string): CaptureEvent[] =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as CaptureEvent);

/** A hold's deadline in this machine's local time, as the readable line prints it: 10:11:12. */
const HELD_UNTIL_MS = new Date(2026, 11, 1, 10, 11, 12, 345).getTime();
const CHILD_EVENTS: FakeCaptureScript['events'] = [
  { event: 'seen', pid: 4250, ppid: 4242, name: 'Calamari', cmdline: 'Calamari run-script', startTimeMs: START_MS + 10 },
  { event: 'held', pid: 4250, name: 'Calamari', trigger: 'exit', deadlineMs: HELD_UNTIL_MS },
  { event: 'exited', pid: 4250, name: 'Calamari', exitCode: 3, signal: null, lifetimeMs: 12 },
  {
    event: 'dump', pid: 4250, name: 'Calamari', trigger: 'exit', path: '/srv/dumps/Calamari-at-exit_4250_20261201_101010_mini.core',
    fileBytes: 12_897_484, sha256: 'ab'.repeat(32), targetPauseMs: 40, unreadableBytes: 0,
  },
  { event: 'error', pid: 4251, trigger: 'exit', error: { code: 'process-gone', message: 'It was gone.' } },
];

describe('procscope watch', () => {
  it('starts the engine with the rule and the identity read from the backend, prints JSON lines, exits 0', async () => {
    const { run } = setUp({ events: CHILD_EVENTS, endReason: 'target-exited', mechanism: 'ptrace follow-fork' });
    const r = await run(['4242', '--children', '--name', 'Calamari*', '--on', 'exit', '--exit-code-nonzero', '--json']);
    expect(r.code).toBe(0);
    expect(r.engine.rules).toEqual([
      {
        target: { pid: 4242, startTimeMs: START_MS + 4242 },
        scope: 'descendants', nameGlob: 'Calamari*', cmdlineRegex: null, triggers: ['exit'], exitNonZeroOnly: true,
        kind: 'mini', outDir: '/srv/dumps', holdTimeoutMs: 60_000, maxDumps: null, timeoutMs: null,
      },
    ]);
    const lines = jsonLines(r.stdout);
    expect(lines.map((l) => l.event)).toEqual(['armed', 'seen', 'held', 'exited', 'dump', 'error', 'done']);
    expect(lines[0]).toMatchObject({ event: 'armed', pid: 4242, mechanism: 'ptrace follow-fork' });
    expect(lines[2]).toEqual({ event: 'held', atMs: expect.any(Number), pid: 4250, name: 'Calamari', trigger: 'exit', deadlineMs: HELD_UNTIL_MS });
    expect(lines[4]).toMatchObject({ pid: 4250, trigger: 'exit', path: expect.stringContaining('Calamari-at-exit'), fileBytes: 12_897_484 });
    expect(lines[6]).toMatchObject({ event: 'done', reason: 'target-exited', seenCount: 1, dumpCount: 1 });
    // JSON mode leaves stderr for people: the secrets warning is not mixed into a script's stream.
    expect(r.stderr).toBe('');
    expect(r.backend.disposed).toBe(1);
    expect(r.signals.eventNames()).toEqual([]);
  });

  it('prints one readable line per event, and the secrets warning once a dump was written', async () => {
    const { run } = setUp({ events: CHILD_EVENTS, endReason: 'max-dumps', limits: ['cannot see children that detach'] });
    const r = await run(['4242', '--children', '-t', '-n', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      'armed   pid 4242 (fake): from now on nothing matching can be missed',
      '        limit: cannot see children that detach',
      'seen    pid 4250 Calamari (parent 4242): Calamari run-script',
      'held    pid 4250 Calamari for its exit dump, until 10:11:12',
      'exited  pid 4250 Calamari, exit code 3, after 12 ms',
      'dump    pid 4250 Calamari at exit → /srv/dumps/Calamari-at-exit_4250_20261201_101010_mini.core (12.3 MiB)',
      'error   pid 4251 at exit: It was gone.',
      'done    max-dumps: 1 process seen, 1 dump',
    ]);
    expect(r.stderr).toMatch(/passwords, tokens, keys/);
  });

  it('a name or command line with control characters cannot write escape sequences to the terminal', async () => {
    const { run } = setUp({
      events: [{ event: 'seen', pid: 5, ppid: 4242, name: 'x\u001b[2J', cmdline: 'a\nb\u0007', startTimeMs: START_MS }],
      endReason: 'target-exited',
    });
    const r = await run(['4242', '--children', '-t']);
    expect(r.stdout).toContain('seen    pid 5 x?[2J (parent 4242): a?b?\n');
    expect(r.stdout).not.toContain('\u001b');
  });

  it('a watch that ends in error exits 1', async () => {
    const { run } = setUp({ events: [{ event: 'error', pid: null, trigger: null, error: { code: 'io-error', message: 'The tracer died.' } }], endReason: 'error' });
    const r = await run(['4242', '-e', '--json']);
    expect(r.code).toBe(1);
    expect(jsonLines(r.stdout).map((l) => l.event)).toEqual(['armed', 'error', 'done']);
  });

  it('Ctrl+C stops the watch once (release), prints done "stopped", exits 0; SIGTERM, SIGHUP and a broken stdout too', async () => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'output-error'] as const) {
      const { run, signals, engine } = setUp({ events: CHILD_EVENTS.slice(0, 1) });
      const running = run(['4242', '--children', '-t', '--json']);
      while (!engine.emitted.some((e) => e.event === 'seen')) await new Promise((r) => setTimeout(r, 1));
      signals.emit(signal);
      const r = await running;
      expect(r.code).toBe(0);
      expect(engine.stopCalls).toBe(1);
      expect(jsonLines(r.stdout).map((l) => l.event)).toEqual(['armed', 'seen', 'done']);
      expect(jsonLines(r.stdout).at(-1)).toMatchObject({ reason: 'stopped' });
      expect(r.stderr).toMatch(/releasing every held process/);
      expect(r.exits).toEqual([]);
      expect(r.signals.eventNames()).toEqual([]);
    }
  });

  it('a Ctrl+C while the engine arms still stops the watch as soon as it is armed', async () => {
    const { run, signals, engine } = setUp({});
    const running = run(['4242', '-t', '--json']);
    signals.emit('SIGINT');
    const r = await running;
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout).at(-1)).toMatchObject({ event: 'done', reason: 'stopped' });
    // Either it never started (stopped before the engine was made) or it was stopped right after arming.
    expect(engine.rules.length === 0 || engine.stopCalls === 1).toBe(true);
  });

  it('a second Ctrl+C during a slow release leaves at once (exit 130)', async () => {
    const { run, signals, engine } = setUp({ stopDelayMs: 200 });
    const running = run(['4242', '-t']);
    while (!engine.emitted.some((e) => e.event === 'armed')) await new Promise((r) => setTimeout(r, 1));
    signals.emit('SIGINT');
    signals.emit('SIGINT');
    const r = await running;
    expect(r.exits).toEqual([130]);
    expect(engine.stopCalls).toBe(1);
    expect(r.stderr).toMatch(/leaving now/);
  });

  it('a pid that is not running: exit 1, error then done, no engine started', async () => {
    const { run } = setUp({});
    const r = await run(['777', '-t', '--json']);
    expect(r.code).toBe(1);
    const lines = jsonLines(r.stdout);
    expect(lines).toMatchObject([
      { event: 'error', pid: 777, error: { code: 'process-gone', message: expect.stringMatching(/There is no process 777/) } },
      { event: 'done', reason: 'error', dumpCount: 0 },
    ]);
    expect(r.engineCreated).toBe(false);
  });

  it.each([
    ['needs-elevation', 1],
    ['bad-request', 2],
  ] as const)('an engine that cannot arm (%s) exits %i with its sentence', async (code, exit) => {
    const { run } = setUp({ startError: new DumpError(code, `Cannot arm: ${code}.`) });
    const r = await run(['4242', '-t']);
    expect(r.code).toBe(exit);
    expect(r.stdout).toBe(`error   pid 4242: Cannot arm: ${code}.\ndone    error: 0 processes seen, 0 dumps\n`);
  });

  it.each([
    [['-t', '--launch', '--', 'sh', '-c', 'exit 3'], /^procscope watch: --launch \(-x\) is not supported yet on Linux: .*kept from running until the watch holds it/],
    [['-e', '-x', '/d', 'sh'], /--launch \(-x\) is not supported yet/],
  ])('refuses %j by name with exit 2, nothing started', async (args, message) => {
    const { run } = setUp({});
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(r.engineCreated).toBe(false);
    expect(r.backend.snapshots).toBe(0);
  });

  it.each([
    [['4242', '--cpu', '90'], /^procscope watch: --cpu \(-c\) is not supported on darwin: only the Linux and Windows capture engines sample CPU/],
    [['4242', '-m', '800', '-n', '2'], /^procscope watch: --memory \(-m\) is not supported on darwin/],
    [['4242', '-n', '3', '-s', '5'], /^procscope watch: a series \(-n \/ -s without --on\) is not supported on darwin/],
  ])('refuses the sampled trigger %j where no engine samples (darwin) by name with exit 2, nothing started', async (args, message) => {
    const { run } = setUp({}, undefined, null, 'darwin');
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.engineCreated).toBe(false);
  });

  it.each(['linux', 'win32'] as const)('on %s --cpu / -m / a series reach the engine as sampled triggers with their monitor settings', async (platform) => {
    const { run, engine } = setUp({ endReason: 'max-dumps' }, undefined, null, platform);
    expect((await run(['4242', '-c', '50', '-s', '2', '--json'])).code).toBe(0);
    expect(engine.rules[0]).toMatchObject({ scope: 'self', triggers: ['cpu'], maxDumps: 1, monitor: { cpuPercent: 50, memoryMb: null, seconds: 2, count: 1 } });
    expect((await run(['4242', '-n', '3', '-s', '1', '--json'])).code).toBe(0);
    expect(engine.rules[1]).toMatchObject({ triggers: ['series'], maxDumps: 3, monitor: { cpuPercent: null, memoryMb: null, seconds: 1, count: 3 } });
  });

  it('--wait polls until one process matches (case-insensitively, by name or its .exe-less form), never itself', async () => {
    const polls = [[row(99, 'Tentacle.exe')], [row(99, 'Tentacle.exe'), row(1, 'init')], [row(99, 'Tentacle.exe'), row(1, 'init'), row(4242, 'Tentacle.exe')]];
    const { run } = setUp({ endReason: 'target-exited' }, polls);
    const r = await run(['--wait', 'tentacle', '-t', '--json']);
    expect(r.code).toBe(0);
    expect(r.backend.snapshots).toBe(3);
    expect(r.engine.rules[0]?.target).toEqual({ pid: 4242, startTimeMs: START_MS + 4242 });
    expect(r.stderr).toMatch(/waiting for a process named 'tentacle' \(polling every 5 ms or more\)/);
    expect(r.stderr).toMatch(/found Tentacle.exe, pid 4242/);
  });

  it('--wait with several matches refuses with their pids (exit 2); a --timeout ends the wait with done "timeout"', async () => {
    const several = setUp({}, [[row(10, 'pwsh'), row(11, 'pwsh')]]);
    const r1 = await several.run(['-w', 'pwsh', '-t']);
    expect(r1.code).toBe(2);
    expect(r1.stdout).toMatch(/^error {3}2 processes match 'pwsh' \(pids 10, 11\): give the pid/);
    expect(r1.engineCreated).toBe(false);

    const none = setUp({}, [[row(10, 'bash')]]);
    const r2 = await none.run(['-w', 'Calamari*', '-t', '--timeout', '0.05', '--json']);
    expect(r2.code).toBe(0);
    expect(jsonLines(r2.stdout)).toMatchObject([{ event: 'done', reason: 'timeout', seenCount: 0 }]);
    expect(r2.backend.snapshots).toBeGreaterThan(1);
    expect(r2.engineCreated).toBe(false);
  });

  it('Ctrl+C during --wait ends it with done "stopped", exit 0', async () => {
    const { run, signals } = setUp({}, [[row(10, 'bash')]]);
    const running = run(['-w', 'Calamari*', '-t', '--json']);
    await new Promise((r) => setTimeout(r, 20));
    signals.emit('SIGINT');
    const r = await running;
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout)).toMatchObject([{ event: 'done', reason: 'stopped' }]);
  });
});

describe('procscope watch --launch (scripted launcher and engine)', () => {
  const polls = [[row(4242, 'Tentacle'), row(5000, 'sh')]];

  it('the program is let go only once the watch is armed; done carries its exit code; the CLI exits 0 (the watch ended)', async () => {
    const { launcher, log } = scriptedLauncher(5000, { exitCode: 3, signal: null });
    const { run, engine } = setUp({ events: CHILD_EVENTS, endReason: 'target-exited' }, polls, launcher);
    const originalStart = engine.start;
    engine.start = async (rule, onEvent) => {
      log.push('engine.start');
      const w = await originalStart(rule, (e) => {
        if (e.event === 'armed') log.push('armed');
        onEvent(e);
      });
      log.push('engine.started');
      return w;
    };
    const r = await run(['-t', '--children', '--json', '--launch', '--', 'deploy.sh', '--env', 'prod']);
    expect(r.code).toBe(0);
    expect(log.slice(0, 6)).toEqual(['check deploy.sh --env prod', 'start deploy.sh --env prod', 'engine.start', 'armed', 'engine.started', 'go']);
    expect(r.engine.rules[0]).toMatchObject({ target: { pid: 5000, startTimeMs: START_MS + 5000 }, scope: 'descendants', triggers: ['exit'] });
    const lines = jsonLines(r.stdout);
    expect(lines.at(-1)).toMatchObject({ event: 'done', reason: 'target-exited', launched: { pid: 5000, state: 'exited', exitCode: 3, signal: null } });
    expect(lines.filter((l) => l.event === 'done')).toHaveLength(1);
    expect(r.stderr).toMatch(/launching deploy\.sh as pid 5000, held until the watch is armed/);
  });

  it('readable: the launched process is seen under its program\'s name (not the waiting shell\'s), done says its exit code', async () => {
    const { launcher } = scriptedLauncher(5000, { exitCode: 0, signal: null });
    const seen = { event: 'seen' as const, pid: 5000, ppid: 4999, name: 'sh', cmdline: '/bin/sh -c echo $$ >&4; … procscope-launch deploy.sh -v', startTimeMs: START_MS };
    const { run } = setUp({ events: [seen], endReason: 'target-exited' }, polls, launcher);
    const r = await run(['--on', 'start', '-x', '/srv/dumps', '/opt/deploy/deploy.sh', '-v']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toContain('seen    pid 5000 deploy.sh (parent 4999): /opt/deploy/deploy.sh -v');
    expect(lines.at(-1)).toBe('done    target-exited: 1 process seen, 0 dumps; the launched program (pid 5000) exited with code 0');
  });

  it('an engine that cannot arm: the program is never run (cancelled), error then done "never run", exit 1', async () => {
    const { launcher, log } = scriptedLauncher(5000, { exitCode: 3, signal: null });
    const { run } = setUp({ startError: new DumpError('needs-elevation', 'Run it as root.') }, polls, launcher);
    const r = await run(['-t', '--json', '--launch', '--', 'deploy.sh']);
    expect(r.code).toBe(1);
    expect(log).toContain('cancel');
    expect(log).not.toContain('go');
    expect(jsonLines(r.stdout)).toMatchObject([
      { event: 'error', pid: 5000, error: { code: 'needs-elevation' } },
      { event: 'done', reason: 'error', launched: { pid: 5000, state: 'not-started', exitCode: null } },
    ]);
  });

  it('after --timeout the CLI waits for the program, then reports its exit code', async () => {
    const { launcher } = scriptedLauncher(5000, { exitCode: 7, signal: null }, { endsAfterGoMs: 400 });
    const { run } = setUp({ endReason: 'timeout' }, polls, launcher);
    const r = await run(['-t', '--json', '--launch', '--', 'deploy.sh']);
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout).at(-1)).toMatchObject({ event: 'done', reason: 'timeout', launched: { state: 'exited', exitCode: 7 } });
    expect(r.stderr).toMatch(/waiting for the launched program \(pid 5000\) to finish/);
  });

  it('Ctrl+C: the watch stops; a program that keeps running is left running and reported so', async () => {
    const { launcher } = scriptedLauncher(5000, { exitCode: 0, signal: null }, { endsAfterGoMs: null });
    const { run, signals, engine } = setUp({}, polls, launcher);
    const running = run(['-t', '--json', '--launch', '--', 'server']);
    while (!engine.emitted.some((e) => e.event === 'armed')) await new Promise((r) => setTimeout(r, 1));
    signals.emit('SIGINT');
    const r = await running;
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout).at(-1)).toMatchObject({ event: 'done', reason: 'stopped', launched: { pid: 5000, state: 'running' } });
  });

  it('on Windows a program created suspended is watched as new (targetHeldAtLaunch), seen under its own name, its exit code in done', async () => {
    const { launcher, log } = scriptedLauncher(5000, { exitCode: 3, signal: null }, { createdSuspended: true });
    const seen = { event: 'seen' as const, pid: 5000, ppid: 99, name: 'cmd.exe', cmdline: 'cmd /c "hostname & exit 3"', startTimeMs: START_MS };
    const { run } = setUp({ events: [seen], endReason: 'target-exited' }, polls, launcher, 'win32');
    const r = await run(['--on', 'start', '--json', '--launch', '--', 'cmd', '/c', 'hostname & exit 3']);
    expect(r.code).toBe(0);
    expect(log).toEqual(['check cmd /c hostname & exit 3', 'start cmd /c hostname & exit 3', 'go']);
    expect(r.engine.rules[0]).toMatchObject({ target: { pid: 5000 }, scope: 'self', triggers: ['start'], targetHeldAtLaunch: true });
    const lines = jsonLines(r.stdout);
    expect(lines.find((l) => l.event === 'seen')).toMatchObject({ name: 'cmd.exe', cmdline: 'cmd /c "hostname & exit 3"' });
    expect(lines.at(-1)).toMatchObject({ event: 'done', launched: { pid: 5000, state: 'exited', exitCode: 3 } });
  });

  it('a launcher shell (Linux) is not announced as held at launch: it ran before the watch', async () => {
    const { launcher } = scriptedLauncher(5000, { exitCode: 0, signal: null });
    const { run } = setUp({ endReason: 'target-exited' }, polls, launcher);
    const r = await run(['-t', '--json', '--launch', '--', 'deploy.sh']);
    expect(r.engine.rules[0]).not.toHaveProperty('targetHeldAtLaunch');
  });

  it('a program left running after a stop is released, so it keeps the CLI alive no longer', async () => {
    const { launcher, log } = scriptedLauncher(5000, { exitCode: 0, signal: null }, { endsAfterGoMs: null, createdSuspended: true });
    const { run, signals, engine } = setUp({}, polls, launcher, 'win32');
    const running = run(['-t', '--json', '--launch', '--', 'server']);
    while (!engine.emitted.some((e) => e.event === 'armed')) await new Promise((r) => setTimeout(r, 1));
    signals.emit('SIGINT');
    const r = await running;
    expect(jsonLines(r.stdout).at(-1)).toMatchObject({ event: 'done', reason: 'stopped', launched: { state: 'running' } });
    expect(log.at(-1)).toBe('release');
  });

  it('where no launcher exists --launch is refused by name (exit 2): nothing is started', async () => {
    const { run } = setUp({}, polls, null, 'darwin');
    const r = await run(['-t', '--launch', '--', 'ls']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^procscope watch: --launch \(-x\) is not supported yet on darwin: .*Linux \(a launcher shell\) and Windows \(created suspended\)/);
    expect(r.engineCreated).toBe(false);
  });

  it('a program that cannot run is bad usage (exit 2), refused before anything starts', async () => {
    const { launcher, log } = scriptedLauncher(5000, { exitCode: 0, signal: null });
    const { run } = setUp({}, polls, launcher);
    await expect(run(['-t', '--launch', '--', 'no-such-program'])).rejects.toThrow(/no program named 'no-such-program' on the PATH/);
    expect(log).toEqual(['check no-such-program']);
  });
});

describe('procscope watch in the command list', () => {
  const capture = () => {
    const out = { stdout: '', stderr: '' };
    return { out, io: { stdout: (t: string) => void (out.stdout += t), stderr: (t: string) => void (out.stderr += t) } };
  };

  it('procscope --help lists watch; watch --help shows its options and the ProcDump spellings', async () => {
    const a = capture();
    expect(await runCli(['--help'], a.io)).toBe(0);
    expect(a.out.stdout).toMatch(/^ {2}watch +Hold and dump short-lived processes/m);
    const b = capture();
    expect(await runCli(['watch', '--help'], b.io)).toBe(0);
    for (const flag of ['--children', '--name GLOB', '--exit-code-nonzero', '--wait NAME, -w', '-t ', '-e ', '-mm', '-ma', '--hold-timeout', '--json']) {
      expect(b.out.stdout).toContain(flag);
    }
  });

  it('bad usage exits 2 with the sentence and the usage, before anything starts', async () => {
    const c = capture();
    expect(await runCli(['watch', '4242', '-n', '0', '-t'], c.io)).toBe(2);
    expect(c.out.stderr).toMatch(/^procscope watch: -n takes a number of dumps/);
    expect(c.out.stderr).toMatch(/Usage: procscope watch <pid>/);
  });
});
