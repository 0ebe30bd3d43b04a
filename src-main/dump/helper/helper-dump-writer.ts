/*
 * The app's side of an elevated dump (main process / CLI): a DumpWriter that does its one dump by starting the
 * app's own executable as the helper through an Elevator, and speaking to it over a fresh one-time channel. To
 * the dump engine it looks like any other writer (progress, abort, DumpResult or DumpError), so a retry as
 * administrator reuses the engine's whole job machinery. It never passes the helper anything but the one job.
 */
import { DumpError, type DumpWriteOptions, type DumpWriter } from '../dump-writer';
import type { DumpRequest, DumpResult } from '../../../src-shared/model/dump';
import { toDumpErrorInfo } from '../dump-errors';
import { createDirectElevator } from './direct-elevator';
import type { Elevator } from './elevator';
import { helperJobToArgs } from './helper-args';
import { helperLaunchSwitches } from './helper-argv';
import { openHelperChannel, type ProvenHelperMessage } from './helper-channel';
import { dispatch, HELPER_PROTOCOL_VERSION, type Handlers } from './helper-protocol';
import { settleOnce } from './settle-once';

/** The executable and the leading arguments that make it the helper; the job's arguments follow them. */
export interface HelperCommand {
  executable: string;
  args: readonly string[];
}

/**
 * Electron: the app binary with helperLaunchSwitches (--procscope-helper, after --no-sandbox on Linux), exactly
 * the switches checkHelperArgv lets the helper start with. Plain Node: node with the built CLI bundle and its
 * `helper` sub-command.
 */
export function defaultHelperCommand(runtime: {
  execPath: string;
  isElectron: boolean;
  cliScriptPath: string;
  platform?: NodeJS.Platform;
}): HelperCommand {
  if (!runtime.isElectron) return { executable: runtime.execPath, args: [runtime.cliScriptPath, 'helper'] };
  return { executable: runtime.execPath, args: helperLaunchSwitches(runtime.platform ?? process.platform) };
}

export interface HelperDumpWriterOptions {
  elevator: Elevator;
  command: HelperCommand;
  /** The requesting user's uid (process.getuid()); null on Windows. */
  uid: number | null;
  format: DumpWriter['format'];
  platform?: NodeJS.Platform;
}

/**
 * The same helper started directly with the app's own rights: the engine's way to run a dump off the main
 * process. The Linux writer holds the JS thread for up to about a second at a time (ptrace and memory reads stay
 * on the thread that attached), which would freeze the poll loop and IPC if it ran in the main process.
 */
export function createChildProcessDumpWriter(options: Omit<HelperDumpWriterOptions, 'elevator'> & { env?: NodeJS.ProcessEnv }): DumpWriter {
  const { env, ...rest } = options;
  return createHelperDumpWriter({ ...rest, elevator: createDirectElevator(env ? { env } : {}) });
}

/** After the helper exits, how long to wait for its last messages, which may arrive just after the exit. */
const EXIT_GRACE_MS = 1000;
/** How long a helper may take to stop after a cancel (the Linux writer checks the signal between reads). */
const CANCEL_GRACE_MS = 10_000;

export function createHelperDumpWriter(options: HelperDumpWriterOptions): DumpWriter {
  return {
    format: options.format,
    write: (request, writeOptions) => runElevated(options, request, writeOptions ?? {}),
  };
}

async function runElevated(options: HelperDumpWriterOptions, request: DumpRequest, writeOptions: DumpWriteOptions): Promise<DumpResult> {
  const { signal, onProgress } = writeOptions;
  if (signal?.aborted) throw new DumpError('cancelled', 'The dump was cancelled before the helper started.');
  const outcome = settleOnce<DumpResult, DumpError>();
  const { resolve, reject } = outcome;
  let channelClosed = false;
  let onChannelClosed: () => void = () => {};

  // The helper answers `saved` (file complete, target running), then `result` (the same file with its hash). Both
  // must be of the dump we asked for, and the hash of the very file that was saved: anything else is refused.
  let saved: DumpResult | null = null;
  const refuse = (what: string): void =>
    reject(new DumpError('bad-request', `The helper sent ${what}, so its answer was refused. Check the folder and try again.`));
  const handlers: Handlers<ProvenHelperMessage> = {
    progress: (m) => onProgress?.(m.progress),
    saved: (m) => {
      if (outcome.settled) return;
      if (saved) return refuse('a second saved dump during one job');
      if (!ofRequest(m.result, request)) return refuse(`a saved dump of another process or kind (pid ${m.result.pid}, ${m.result.kind})`);
      saved = m.result;
      writeOptions.onFileComplete?.({ ...m.result });
    },
    result: (m) => {
      if (!ofRequest(m.result, request)) return refuse(`a result for another process or kind (pid ${m.result.pid}, ${m.result.kind})`);
      if (saved && !sameFile(saved, m.result)) return refuse(`a hash for ${m.result.path}, not for the dump it saved (${saved.path})`);
      resolve(m.result);
    },
    error: (m) => reject(new DumpError(m.error.code, m.error.message)),
    // A dump job's helper never watches: a capture event here is a helper that is not doing the job it was given.
    capture: () => reject(new DumpError('bad-request', 'The helper sent a capture event during a dump job, so the dump was refused. Try again.')),
    persist: () => reject(new DumpError('bad-request', 'The helper sent a persistent-capture report during a dump job, so the dump was refused. Try again.')),
  };
  const channel = await openHelperChannel(
    {
      onMessage: (m) => dispatch(handlers, m),
      onFailure: (e) => reject(new DumpError(e.code, e.message)),
      onClose: () => {
        channelClosed = true;
        onChannelClosed();
      },
    },
    options.platform,
  );
  const onAbort = (): void => {
    if (channel.isConnected()) {
      channel.send({ v: HELPER_PROTOCOL_VERSION, kind: 'cancel' });
      // The helper answers a cancel within a moment; one that does not is stuck, and the job must not hang on it.
      setTimeout(() => reject(new DumpError('cancelled', 'The dump was cancelled; the helper did not confirm, so check the folder for a partial file.')), CANCEL_GRACE_MS).unref();
    }
    // Still at the prompt (or never connected): the helper will find the channel gone and exit without dumping.
    else reject(new DumpError('cancelled', 'The dump was cancelled before the helper started.'));
  };
  signal?.addEventListener('abort', onAbort);
  try {
    const args = [
      ...options.command.args,
      ...helperJobToArgs({
        pid: request.pid,
        startTimeMs: request.startTimeMs,
        kind: request.kind,
        outDir: request.outDir,
        uid: options.uid,
        nameHint: writeOptions.nameHint ?? null,
        ...(request.stamp !== undefined ? { stamp: request.stamp } : {}),
        ...(request.snapshot === true ? { snapshot: true } : {}),
        channel: channel.address,
        secret: channel.secret,
      }),
    ];
    options.elevator.run(options.command.executable, args).then(
      (exitCode) => {
        const afterExit = (): void =>
          reject(new DumpError('io-error', `The helper stopped (exit code ${exitCode}) without reporting a result. Try again; if it fails again, dump from a terminal with \`procscope dump\` as root.`));
        if (outcome.settled) return;
        if (channelClosed) return afterExit();
        onChannelClosed = afterExit;
        setTimeout(afterExit, EXIT_GRACE_MS);
      },
      (err: unknown) => {
        const info = toDumpErrorInfo(err);
        reject(new DumpError(info.code, info.message));
      },
    );
    return await outcome.promise;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await channel.close();
  }
}

function ofRequest(result: DumpResult, request: DumpRequest): boolean {
  return result.pid === request.pid && result.kind === request.kind;
}

/** The final result names the file `saved` named, as it was then. */
function sameFile(saved: DumpResult, result: DumpResult): boolean {
  return (
    saved.path === result.path &&
    saved.fileBytes === result.fileBytes &&
    saved.format === result.format &&
    saved.method === result.method &&
    saved.targetPauseMs === result.targetPauseMs &&
    saved.fileCompleteMs === result.fileCompleteMs
  );
}
