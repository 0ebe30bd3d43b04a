/*
 * `procscope watch`: the CLI on top of the capture engine (src-main/capture), for headless servers and fleets. It
 * resolves the watched process's identity through the platform backend (a pid, or --wait NAME), starts the engine
 * and prints every event — one JSON object per line with --json, one readable line otherwise — until the watch
 * ends; Ctrl+C / SIGTERM stop it, which releases every held process. It never holds, signals or kills a process
 * itself, and it refuses what no engine does yet (thresholds, series, --launch) by name instead of ignoring it.
 * Exit codes: 0 the watch ended normally (or was stopped), 1 the watch failed, 2 bad usage (nothing was started).
 */
import type { CaptureDoneReason, CaptureEvent } from '../../../src-shared/model/capture';
import { DUMP_SECRETS_WARNING, type DumpTarget } from '../../../src-shared/model/dump';
import type { CaptureEngine, CaptureWatch } from '../../capture/capture-engine';
import { DumpError } from '../../dump/dump-writer';
import type { ProcessBackend } from '../../platform/backend';
import type { CliCommand, CliIo } from '../cli-command';
import { parseWatchArgs, type WatchArgs } from './watch-args';
import { formatCaptureEvent } from './watch-output';
import { WAIT_POLL_MS, waitForProcess } from './watch-wait';

const USAGE = [
  'Usage: procscope watch <pid> [--children] [--name GLOB] [--cmdline REGEX] [--on start|exit|crash]',
  '                       [--exit-code-nonzero] [--full | --mini] [--out DIR] [--hold-timeout S] [--timeout S]',
  '                       [-n N] [--json]',
  '       procscope watch --wait NAME [options]',
  '',
  'Holds each matching process the instant it exists and dumps it when a trigger fires, then lets it run on.',
  'Runs until the watched process ends, N dumps are written, --timeout passes or Ctrl+C; then every held',
  'process is released. A watch never kills what it watches. Start the work only after the "armed" line.',
  '',
  '  <pid>               the process to watch (ProcDump: <PID>)',
  '  --wait NAME, -w     poll the process list (every 250 ms) for the one process whose name matches the glob, then',
  '                      watch it. A poll misses what lives less than that: use it to find a long-lived parent',
  '                      (the service), and --children to catch its short-lived children',
  '  --children          watch every later descendant (children, grandchildren…) instead of the process itself',
  '  --name GLOB         only descendants whose image name matches (* and ?, any case), e.g. \'Calamari*\'',
  '  --cmdline REGEX     only descendants whose command line matches this JavaScript regular expression',
  '  --on TRIGGER        start (after exec), exit, crash; repeat or comma-separate for several',
  '  -t                  = --on exit (ProcDump: dump when the process terminates)',
  '  -e                  = --on crash (fatal signal on Linux; second-chance and fatal first-chance exceptions on Windows)',
  '  --exit-code-nonzero with --on exit: only when the exit code is not 0 or a signal ended the process',
  '  --mini, -mm         threads, registers, stacks and module headers: enough for backtraces (default, as ProcDump)',
  '  --full, -ma         all readable memory',
  '  --out DIR           absolute folder for the dumps (default: the current folder); file names say the trigger',
  '  --hold-timeout S    release a held process undumped after S seconds (default 60; its parent waits meanwhile)',
  '  --timeout S         end the watch after S seconds',
  '  -n N                end the watch after N dumps',
  '  --json              one JSON object per line: armed, then seen / exited / dump / error, then done',
  '',
  'Recognised but refused until an engine implements them (each says so): --cpu PCT (-c), --memory MB (-m),',
  '-s S, a series (-n / -s without a trigger), --launch -- CMD ARGS (-x DIR CMD ARGS).',
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
  selfPid: number;
}

function platformName(platform: NodeJS.Platform): string {
  return platform === 'linux' ? 'Linux' : platform === 'win32' ? 'Windows' : platform;
}

/** What no engine does yet, refused by name: a watch that silently ignored --cpu would never fire. */
function unsupportedReason(args: WatchArgs, platform: NodeJS.Platform): string | null {
  const on = platformName(platform);
  if (args.cpuPercent !== null) return `--cpu (-c) is not supported yet on ${on}: no capture engine samples CPU for a trigger.`;
  if (args.memoryMb !== null) return `--memory (-m) is not supported yet on ${on}: no capture engine samples memory for a trigger.`;
  if (args.series) return `a series (-n / -s without --on) is not supported yet on ${on}; for a hang, run \`procscope dump <pid>\` a few times.`;
  if (args.source.kind === 'launch') {
    return (
      `--launch (-x) is not supported yet on ${on}: a launched process is held from its first instruction only if the ` +
      'tracer itself starts it, and the capture engine cannot start processes yet; start the command after the ' +
      '"armed" line of a watch on its parent with --children.'
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
  const refusal = unsupportedReason(parsed, deps.platform);
  if (refusal) {
    io.stderr(`procscope watch: ${refusal}\n`);
    return 2;
  }
  let doneSeen = false;
  let dumpCount = 0;
  const print = (event: CaptureEvent): void => {
    if (event.event === 'done') doneSeen = true;
    if (event.event === 'dump') dumpCount++;
    io.stdout(`${formatCaptureEvent(event, parsed.json)}\n`);
  };
  const finish = (reason: CaptureDoneReason): void => {
    if (!doneSeen) print({ event: 'done', atMs: Date.now(), reason, seenCount: 0, dumpCount });
  };
  const fail = (err: unknown, pid: number | null): number => {
    const e = asDumpError(err);
    print({ event: 'error', atMs: Date.now(), pid, trigger: null, error: { code: e.code, message: e.message } });
    finish('error');
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
    const found = await resolveTarget(parsed, io, deps, stopping.signal);
    if (found === 'stopped' || found === 'timeout') {
      finish(found);
      return 0;
    }
    pid = found.pid;
    const engine = await deps.createEngine();
    if (stopping.signal.aborted) {
      finish('stopped');
      return 0;
    }
    // A --timeout covers the wait too: what is left of it goes to the watch.
    const timeoutMs = parsed.rule.timeoutMs === null ? null : Math.max(1, parsed.rule.timeoutMs - (Date.now() - startedAtMs));
    watch = await engine.start({ ...parsed.rule, target: found, timeoutMs }, print);
    if (stopping.signal.aborted) void watch.stop();
    const reason = await watch.finished;
    finish(reason);
    if (dumpCount > 0 && !parsed.json) io.stderr(`${DUMP_SECRETS_WARNING}\n`);
    return reason === 'error' ? 1 : 0;
  } catch (err) {
    return fail(err, pid);
  } finally {
    for (const s of STOP_SIGNALS) deps.signals.off(s, onSignal);
    offOutput();
  }
}

/** The watched process's identity (pid and start time), so a recycled pid is refused before anything is held. */
async function resolveTarget(parsed: WatchArgs, io: CliIo, deps: WatchDeps, stop: AbortSignal): Promise<DumpTarget | 'stopped' | 'timeout'> {
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
    if (source.kind !== 'wait') throw new DumpError('unsupported', 'Only a pid or --wait NAME can be watched.');
    const waitEnd = new AbortController();
    const onStop = (): void => waitEnd.abort();
    stop.addEventListener('abort', onStop);
    const timer = parsed.rule.timeoutMs === null ? null : setTimeout(() => waitEnd.abort(), parsed.rule.timeoutMs);
    try {
      io.stderr(`procscope watch: waiting for a process named '${source.nameGlob}' (polling every ${deps.waitPollMs} ms)…\n`);
      const found = await waitForProcess(backend, source.nameGlob, {
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
  waitPollMs: WAIT_POLL_MS,
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
