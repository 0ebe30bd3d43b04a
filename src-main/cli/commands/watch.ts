/*
 * `procscope watch`: the CLI on top of the capture engine (src-main/capture), for headless servers and fleets. It
 * resolves the watched process's identity through the platform backend (a pid, --wait NAME, or a program it
 * launches held before its first instruction: watch-launch.ts), starts the engine and prints every event — one JSON
 * object per line with --json, one readable line otherwise — until the watch ends; Ctrl+C / SIGTERM stop it, which
 * releases every held process. It never holds, signals or kills a process itself, and it refuses what no engine
 * does on this OS (thresholds and series off Linux) by name instead of ignoring it. Exit codes: 0 the watch ended
 * normally (or was stopped), 1 the watch failed, 2 bad usage (nothing was started); a launched program's own exit
 * code is in the `done` line, so a script tells a failed watch from a failed program.
 */
import { basename } from 'node:path';
import type { CaptureDoneReason, CaptureEvent } from '../../../src-shared/model/capture';
import { DUMP_SECRETS_WARNING, type DumpTarget } from '../../../src-shared/model/dump';
import type { CaptureEngine, CaptureWatch } from '../../capture/capture-engine';
import { DumpError } from '../../dump/dump-writer';
import type { ProcessBackend } from '../../platform/backend';
import type { CliCommand, CliIo } from '../cli-command';
import { parseWatchArgs, type WatchArgs } from './watch-args';
import { launchHeldLinux, type LaunchedExit, type LaunchedProcess, type Launcher } from './watch-launch';
import { launchHeldWin32 } from './watch-launch-win32';
import { formatCaptureEvent, type LaunchedReport } from './watch-output';
import { backendLister, LINUX_WAIT_POLL_MS, listProcForWait, WAIT_POLL_MS, waitForProcess, type WaitLister } from './watch-wait';

const USAGE = [
  'Usage: procscope watch <pid> [--children] [--name GLOB] [--cmdline REGEX] [--on start|exit|crash]',
  '                       [--exit-code-nonzero] [--full | --mini] [--out DIR] [--hold-timeout S] [--timeout S]',
  '                       [-n N] [--json]',
  '       procscope watch --wait NAME [options]',
  '       procscope watch [options] --launch -- CMD [ARGS…]',
  '',
  'Holds each matching process the instant it exists and dumps it when a trigger fires, then lets it run on.',
  'Runs until the watched process ends, N dumps are written, --timeout passes or Ctrl+C; then every held',
  'process is released. A watch never kills what it watches. Start the work only after the "armed" line.',
  '',
  '  <pid>               the process to watch (ProcDump: <PID>)',
  '  --wait NAME, -w     poll the process list (Linux: /proc every 10 ms; Windows: every 250 ms) for the one process',
  '                      whose name matches the glob, then watch it; several matches are refused with their pids.',
  '                      A poll misses what lives less than that: use it to find a long-lived parent (the service),',
  '                      and --children to catch its short-lived children',
  '  --launch -- CMD …   start CMD held before its first instruction and watch it (with --children: its',
  '  -x DIR CMD …        descendants); it shares this terminal (stdin, stdout, stderr) and the watch\'s options come',
  '                      before it. Its exit code is in the done line. Linux and Windows',
  '  --children          watch every later descendant (children, grandchildren…) instead of the process itself',
  '  --name GLOB         only descendants whose image name matches (* and ?, any case), e.g. \'Calamari*\'',
  '  --cmdline REGEX     only descendants whose command line matches this JavaScript regular expression',
  '  --exec PATH         Linux, root: do not trace the watched process (for JVM, Go, .NET parents that take many',
  '                      signals); hold each descendant when it execs this binary (fanotify; repeat, up to 16)',
  '  --on TRIGGER        start (after exec), exit, crash; repeat or comma-separate for several',
  '  -t                  = --on exit (ProcDump: dump when the process terminates)',
  '  -e                  = --on crash (fatal signal on Linux; second-chance and fatal first-chance exceptions on Windows)',
  '  --exit-code-nonzero with --on exit: only when the exit code is not 0 or a signal ended the process',
  '  --mini, -mm         threads, registers, stacks and module headers: enough for backtraces (default, as ProcDump)',
  '  --full, -ma         all readable memory',
  '  --out DIR           absolute folder for the dumps (default: the current folder); file names say the trigger',
  '  --hold-timeout S    release a held process undumped after S seconds (default 60; its parent waits meanwhile)',
  '  --timeout S         end the watch after S seconds',
  '  -n N                end the watch after N dumps (with --cpu / --memory: N dumps of each process, default 1)',
  '  --cpu PCT, -c PCT   dump when the process uses >= PCT % of one core (100 per busy core) for -s seconds in a row',
  '  --memory MB, -m MB  dump when its memory reaches MB (Linux: resident + swapped; Windows: commit charge)',
  '  -s S                seconds a --cpu threshold must hold, and the pause after each dump (default 10, as ProcDump)',
  '                      -n N -s S without --on, --cpu or --memory: a series of N dumps S seconds apart (hang)',
  '  --json              one JSON object per line: armed, then seen / exited / dump / error, then done',
  '',
  'Exit codes: 0 the watch ended (also after Ctrl+C), 1 the watch failed, 2 bad usage (nothing was started).',
  'Ctrl+C, SIGTERM or SIGHUP stops the watch and releases every held process; a second Ctrl+C leaves at once.',
].join('\n');

/** SIGHUP too: an SSH session that drops must release the tree, not leave a half-written dump behind. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];

export interface SignalSource {
  on(signal: StopSignal, listener: () => void): unknown;
  off(signal: StopSignal, listener: () => void): unknown;
}

/** What the command needs from outside, so its tests can script the engine, the backend and the signals. */
export interface WatchDeps {
  createEngine: () => Promise<CaptureEngine>;
  createBackend: () => Promise<ProcessBackend>;
  signals: SignalSource;
  /** Calls back when stdout breaks (`| head -1` gone: EPIPE); returns the unsubscribe. The watch then stops. */
  onOutputError: (listener: () => void) => () => void;
  /** Leaves the process at once (the second Ctrl+C). */
  exitNow: (code: number) => void;
  platform: NodeJS.Platform;
  cwd: () => string;
  waitPollMs: number;
  /** One pass over the process list for --wait; null: the backend's snapshot. */
  waitLister: WaitLister | null;
  /** Starts a --launch program held before its first instruction; null where no launcher exists (not Linux or Windows). */
  launch: Launcher | null;
  selfPid: number;
}

function platformName(platform: NodeJS.Platform): string {
  return platform === 'linux' ? 'Linux' : platform === 'win32' ? 'Windows' : platform;
}

/** What no engine does yet, refused by name: a watch that silently ignored --cpu would never fire. */
function unsupportedReason(args: WatchArgs, platform: NodeJS.Platform, launch: Launcher | null): string | null {
  const on = platformName(platform);
  // The sampled triggers run in the Linux and Windows engines (capture/monitor.ts); elsewhere they would never fire.
  if (platform !== 'linux' && platform !== 'win32') {
    if (args.cpuPercent !== null) return `--cpu (-c) is not supported on ${on}: only the Linux and Windows capture engines sample CPU for a trigger.`;
    if (args.memoryMb !== null) return `--memory (-m) is not supported on ${on}: only the Linux and Windows capture engines sample memory for a trigger.`;
    if (args.series) return `a series (-n / -s without --on) is not supported on ${on}; for a hang, run \`procscope dump <pid>\` a few times.`;
  }
  if (args.rule.execPaths && platform !== 'linux') {
    return `--exec (fanotify exec mode) is Linux only: on ${on} the watch already sees every descendant without debugging the watched process; drop --exec.`;
  }
  if (args.source.kind === 'launch' && !launch) {
    return (
      `--launch (-x) is not supported yet on ${on}: a launched process is held from its first instruction only if it ` +
      'is kept from running until the watch holds it, which this CLI does on Linux (a launcher shell) and Windows ' +
      '(created suspended) only; start the command after the "armed" line of a watch on its parent with --children.'
    );
  }
  return null;
}

function asDumpError(err: unknown): DumpError {
  if (err instanceof DumpError) return err;
  return new DumpError('io-error', err instanceof Error ? err.message : String(err));
}

export async function runWatch(args: string[], io: CliIo, deps: WatchDeps): Promise<number> {
  const parsed = parseWatchArgs(args, deps.cwd());
  const refusal = unsupportedReason(parsed, deps.platform, deps.launch);
  if (refusal) {
    io.stderr(`procscope watch: ${refusal}\n`);
    return 2;
  }
  // A program that cannot run is bad usage, refused before anything starts (a CliUsageError, exit 2).
  if (parsed.source.kind === 'launch') deps.launch?.check(parsed.source.argv);
  let doneSeen = false;
  let dumpCount = 0;
  // With --launch the engine's `done` waits here until the program's exit is known, then goes out with it.
  let launched: LaunchedProcess | null = null;
  let heldDone: Extract<CaptureEvent, { event: 'done' }> | null = null;
  const write = (event: CaptureEvent, report?: LaunchedReport): void => {
    io.stdout(`${formatCaptureEvent(event, parsed.json, report)}\n`);
  };
  const print = (event: CaptureEvent): void => {
    if (launched && !launched.createdSuspended && event.event === 'seen' && event.pid === launched.pid && parsed.source.kind === 'launch') {
      // The engine sees the launched process while it still waits in the launcher shell: name it after the
      // program it becomes at go(), not after the shell's script.
      const argv = parsed.source.argv;
      event = { ...event, name: basename(argv[0]!).slice(0, 15), cmdline: argv.join(' ') };
    }
    if (event.event === 'done') {
      doneSeen = true;
      if (launched) {
        heldDone = event;
        return;
      }
    }
    if (event.event === 'dump') dumpCount++;
    write(event);
  };
  const finish = (reason: CaptureDoneReason): void => {
    if (!doneSeen) print({ event: 'done', atMs: Date.now(), reason, seenCount: 0, dumpCount });
  };
  /** The held `done`, with how the launched program ended (it is let go undumped if the watch never armed). */
  const finishLaunched = async (): Promise<void> => {
    if (!launched) return;
    const report = await settleLaunched(launched, stopping.signal, io);
    if (heldDone) write(heldDone, report);
    heldDone = null;
  };
  const fail = async (err: unknown, pid: number | null): Promise<number> => {
    const e = asDumpError(err);
    print({ event: 'error', atMs: Date.now(), pid, trigger: null, error: { code: e.code, message: e.message } });
    finish('error');
    await finishLaunched();
    return e.code === 'bad-request' ? 2 : 1;
  };

  const stopping = new AbortController();
  let watch: CaptureWatch | null = null;
  let interrupts = 0;
  const onSignal = (): void => {
    interrupts++;
    if (interrupts === 1) {
      io.stderr('procscope watch: stopping; releasing every held process (Ctrl+C again to leave at once).\n');
      stopping.abort();
      if (watch) void watch.stop();
    } else {
      io.stderr('procscope watch: leaving now; a held process is released when the tracer ends, since it never kills.\n');
      deps.exitNow(130);
    }
  };
  for (const s of STOP_SIGNALS) deps.signals.on(s, onSignal);
  // A reader that went away is a stop, once: its lost lines must not crash the process mid-hold.
  let outputBroken = false;
  const offOutput = deps.onOutputError(() => {
    if (outputBroken) return;
    outputBroken = true;
    if (interrupts === 0) onSignal();
  });
  const startedAtMs = Date.now();
  let pid: number | null = parsed.source.kind === 'pid' ? parsed.source.pid : null;
  try {
    const found = await resolveTarget(parsed, io, deps, stopping.signal, (l) => (launched = l));
    if (found === 'stopped' || found === 'timeout') {
      finish(found);
      await finishLaunched();
      return 0;
    }
    pid = found.pid;
    const engine = await deps.createEngine();
    if (stopping.signal.aborted) {
      finish('stopped');
      await finishLaunched();
      return 0;
    }
    // A --timeout covers the wait too: what is left of it goes to the watch.
    const timeoutMs = parsed.rule.timeoutMs === null ? null : Math.max(1, parsed.rule.timeoutMs - (Date.now() - startedAtMs));
    const heldAtLaunch = (launched as LaunchedProcess | null)?.createdSuspended === true;
    watch = await engine.start({ ...parsed.rule, target: found, timeoutMs, ...(heldAtLaunch ? { targetHeldAtLaunch: true } : {}) }, print);
    // Armed: only now may the launched program exec (the engine sees that exec, before CMD's first instruction).
    (launched as LaunchedProcess | null)?.go();
    if (stopping.signal.aborted) void watch.stop();
    const reason = await watch.finished;
    finish(reason);
    await finishLaunched();
    if (dumpCount > 0 && !parsed.json) io.stderr(`${DUMP_SECRETS_WARNING}\n`);
    return reason === 'error' ? 1 : 0;
  } catch (err) {
    return await fail(err, pid);
  } finally {
    for (const s of STOP_SIGNALS) deps.signals.off(s, onSignal);
    offOutput();
  }
}

/** How long a stopped watch waits for its launched program (a terminal's Ctrl+C reached it too) before leaving it. */
const LAUNCHED_GRACE_MS = 1_000;

/**
 * Waits for the launched program and says how it ended. A program the watch never let go is cancelled (it exits
 * without running CMD). After a normal end (the program exited, N dumps, --timeout) the CLI waits for it, so a
 * script gets its exit code; after a stop (Ctrl+C, SIGTERM, a gone reader) it waits a second, then leaves it running.
 */
async function settleLaunched(l: LaunchedProcess, stop: AbortSignal, io: CliIo): Promise<LaunchedReport> {
  if (!l.started) {
    l.cancel();
    await l.exited;
    return { pid: l.pid, state: 'not-started', exitCode: null, signal: null };
  }
  const grace = (): Promise<null> => new Promise((resolve) => setTimeout(() => resolve(null), LAUNCHED_GRACE_MS).unref());
  let ended: LaunchedExit | null;
  if (stop.aborted) {
    ended = await Promise.race([l.exited, grace()]);
  } else {
    // The launcher shell reaps the program a moment after the tracer saw it end: say nothing for that moment.
    const early = await Promise.race([l.exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 250).unref())]);
    if (early === null) io.stderr(`procscope watch: the watch ended; waiting for the launched program (pid ${l.pid}) to finish (Ctrl+C leaves it running).\n`);
    const stopped = new Promise<null>((resolve) => stop.addEventListener('abort', () => resolve(null), { once: true }));
    ended = early ?? (await Promise.race([l.exited, stopped.then(grace)]));
  }
  if (ended === null) {
    l.release?.();
    return { pid: l.pid, state: 'running', exitCode: null, signal: null };
  }
  return { pid: l.pid, state: 'exited', exitCode: ended.exitCode, signal: ended.signal };
}

/** The watched process's identity (pid and start time), so a recycled pid is refused before anything is held. */
async function resolveTarget(
  parsed: WatchArgs,
  io: CliIo,
  deps: WatchDeps,
  stop: AbortSignal,
  onLaunched: (l: LaunchedProcess) => void,
): Promise<DumpTarget | 'stopped' | 'timeout'> {
  const backend = await deps.createBackend();
  try {
    const source = parsed.source;
    if (source.kind === 'pid') {
      const startTimeMs = backend.readStartTimeMs(source.pid);
      if (startTimeMs === null) {
        throw new DumpError('process-gone', `There is no process ${source.pid}. Check the pid with \`procscope list\`.`);
      }
      return { pid: source.pid, startTimeMs };
    }
    if (source.kind === 'launch') {
      if (!deps.launch) throw new DumpError('unsupported', '--launch is not available on this platform.');
      const l = await deps.launch.start(source.argv);
      onLaunched(l);
      const startTimeMs = backend.readStartTimeMs(l.pid);
      if (startTimeMs === null) throw new DumpError('process-gone', `The launched process ${l.pid} ended before the watch could hold it.`);
      io.stderr(`procscope watch: launching ${source.argv[0]!.slice(0, 200)} as pid ${l.pid}, held until the watch is armed.\n`);
      return { pid: l.pid, startTimeMs };
    }
    const waitEnd = new AbortController();
    const onStop = (): void => waitEnd.abort();
    stop.addEventListener('abort', onStop);
    const timer = parsed.rule.timeoutMs === null ? null : setTimeout(() => waitEnd.abort(), parsed.rule.timeoutMs);
    try {
      io.stderr(`procscope watch: waiting for a process named '${source.nameGlob}' (polling every ${deps.waitPollMs} ms or more)…\n`);
      const found = await waitForProcess(deps.waitLister ?? backendLister(backend), backend, source.nameGlob, {
        pollMs: deps.waitPollMs,
        signal: waitEnd.signal,
        excludePids: new Set([deps.selfPid]),
      });
      if (found === null) return stop.aborted ? 'stopped' : 'timeout';
      io.stderr(`procscope watch: found ${found.name}, pid ${found.pid}.\n`);
      return { pid: found.pid, startTimeMs: found.startTimeMs };
    } finally {
      if (timer) clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
    }
  } finally {
    backend.dispose();
  }
}

const defaultDeps: WatchDeps = {
  // Loaded only when a watch runs, so the other commands never load ptrace or debugger declarations. The Linux
  // engine runs on this process's own thread: this command must never start a child process (waitpid(-1) would
  // take it from libuv, CAPTURE.md §6).
  createEngine: async () => (await import('../../capture/select-capture-engine')).selectCaptureEngine(),
  createBackend: async () => (await import('../../platform/select-backend')).createPlatformBackend(),
  signals: process,
  onOutputError: (listener) => {
    process.stdout.on('error', listener);
    return () => process.stdout.off('error', listener);
  },
  exitNow: (code) => process.exit(code),
  platform: process.platform,
  cwd: () => process.cwd(),
  // Linux: a /proc scan of comm costs ~14 µs a process, so 10 ms is affordable; the backend snapshot elsewhere.
  waitPollMs: process.platform === 'linux' ? LINUX_WAIT_POLL_MS : WAIT_POLL_MS,
  waitLister: process.platform === 'linux' ? listProcForWait : null,
  launch: process.platform === 'linux' ? launchHeldLinux : process.platform === 'win32' ? launchHeldWin32 : null,
  selfPid: process.pid,
};

export function createWatchCommand(deps: WatchDeps = defaultDeps): CliCommand {
  return {
    name: 'watch',
    summary: 'Hold and dump short-lived processes at start, exit or crash (ProcDump -t/-e/-w spellings)',
    usage: USAGE,
    run: (args, io) => runWatch(args, io, deps),
  };
}

export const watchCommand = createWatchCommand();
