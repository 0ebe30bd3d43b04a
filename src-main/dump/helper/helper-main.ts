/*
 * The elevated dump helper's life, in its own process (`procscope helper …`, started by an Elevator): read the
 * one job from the command line, connect back to the app's channel and prove the secret, re-validate the job,
 * write the dump with the same DumpWriter the app uses, stream progress and the result, and exit. A watch job
 * (`--job=watch`) is validated the same way and then served by helper-watch-job.ts for the helper's lifetime; a
 * persist job (`--job=persist`, helper-persist-job.ts) writes or removes registry keys and answers once. It
 * never does a second job, never writes before the job is validated, and leaves no partial file behind on any failure.
 */
import { closeSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type { DumpErrorInfo, DumpProgress } from '../../../src-shared/model/dump';
import { cancelledInfo, toDumpErrorInfo } from '../dump-errors';
import type { OpenedFolder } from '../dump-writer';
import { compileCaptureRule } from '../../capture/capture-rule';
import { parseHelperArgs, type HelperJob } from './helper-args';
import {
  createLineSplitter,
  decodeAppMessage,
  dispatch,
  encodeMessage,
  HELPER_PROTOCOL_VERSION,
  type AppMessage,
  type Handlers,
  type HelperMessage,
} from './helper-protocol';
import { validateHelperJob } from './helper-validate';
import { isHelperWatchJob, parseHelperWatchArgs, type HelperWatchJob } from './helper-watch-args';
import type { HelperDeps, HelperSession } from './helper-session';
import { runWatchJob } from './helper-watch-job';
import { isHelperPersistJob, parseHelperPersistArgs } from './helper-persist-args';
import { runPersistJob } from './helper-persist-job';

export type { HelperDeps, HelperSession } from './helper-session';

/** How long the helper waits for the app to accept its hello. */
const WELCOME_TIMEOUT_MS = 15_000;
const PROGRESS_INTERVAL_MS = 100;
/** How long the helper waits, after its last message, for the app to read it and close the channel. */
const FINAL_READ_GRACE_MS = 5_000;

/** Resolves to the exit code: 0 dumped, 1 refused or failed, 2 bad arguments. Refusals go to the channel when it can be reached. */
export async function runHelper(args: readonly string[], deps: HelperDeps): Promise<number> {
  const parsed = isHelperPersistJob(args)
    ? parseHelperPersistArgs(args, deps.platform)
    : isHelperWatchJob(args) ? parseHelperWatchArgs(args, deps.platform) : parseHelperArgs(args, deps.platform);
  const replyTo = parsed.ok ? parsed.job : parsed.replyTo;
  if (!replyTo) {
    deps.stderr(`procscope helper: ${parsed.ok ? '' : parsed.error}\n`);
    return 2;
  }
  const session = await openSession(replyTo.channel, replyTo.secret, deps, parsed.ok ? null : parsed.error);
  if (!session) return parsed.ok ? 1 : 2;
  try {
    await session.welcomed;
  } catch (err) {
    return session.finish(err as DumpErrorInfo);
  }
  if (!parsed.ok) {
    await session.finish({ code: 'bad-request', message: `The helper refused its job: ${parsed.error}` });
    return 2;
  }
  if ('persist' in parsed.job) return runPersistJob(parsed.job, deps, session);
  const job = parsed.job;
  const watch = 'rule' in job ? job : null;
  if (watch) {
    try {
      compileCaptureRule(watch.rule);
    } catch (err) {
      return session.finish({ ...toDumpErrorInfo(err), code: 'bad-request' });
    }
  }
  // A watch's target and folder pass exactly the checks of a dump's: same identity, same walk, same file rights.
  const checked = await validateHelperJob(watch ? dumpShapeOf(watch) : (job as HelperJob), deps);
  if (!checked.ok) return session.finish(checked.error);
  try {
    if (session.signal.aborted) return await session.finish(abortReason(session.signal));
    if (watch) return await runWatchJob(watch, deps, session, checked.folder);
    return await session.finish(await writeDump(job as HelperJob, deps, session.signal, session.send, checked.folder));
  } finally {
    if (checked.folder) closeOpenedFolder(checked.folder);
  }
}

function dumpShapeOf(watch: HelperWatchJob): HelperJob {
  const { target, kind, outDir } = watch.rule;
  return { pid: target.pid, startTimeMs: target.startTimeMs, kind, outDir, uid: watch.uid, nameHint: null, channel: watch.channel, secret: watch.secret };
}

function closeOpenedFolder(folder: OpenedFolder): void {
  if (folder.platform === 'win32') folder.handle.close();
  else closeSync(folder.fd);
}


async function openSession(channel: string, secret: string, deps: HelperDeps, argumentError: string | null): Promise<HelperSession | null> {
  let socket: Socket;
  try {
    socket = await openSocket(channel);
  } catch {
    deps.stderr(`procscope helper: ${argumentError ?? 'cannot reach the app on its channel; the job was not done.'}\n`);
    return null;
  }
  const abort = new AbortController();
  const send = (message: HelperMessage): void => {
    if (!socket.destroyed) socket.write(encodeMessage(message));
  };
  let welcomed: () => void = () => {};
  let refused: (error: DumpErrorInfo) => void = () => {};
  const welcome = new Promise<void>((resolve, reject) => {
    welcomed = resolve;
    refused = reject;
  });
  // Settled by a timer or a refusal only if nobody awaits yet: never an unhandled rejection.
  welcome.catch(() => {});
  const stop = (error: DumpErrorInfo): void => {
    refused(error);
    abort.abort(error);
  };
  const handlers: Handlers<AppMessage> = {
    welcome: () => welcomed(),
    cancel: () => abort.abort(),
    stop: () => abort.abort(),
  };
  const splitter = createLineSplitter(
    (line) => {
      const decoded = decodeAppMessage(line);
      if (!decoded.ok) {
        splitter.stop();
        stop({ code: 'bad-request', message: `${decoded.error} The helper stopped without dumping.` });
        return;
      }
      dispatch(handlers, decoded.message);
    },
    () => stop({ code: 'bad-request', message: 'The app sent an oversized message. The helper stopped without dumping.' }),
  );
  socket.on('data', (chunk: Buffer) => splitter.push(chunk));
  socket.on('error', () => {});
  // Nobody is waiting for the dump any more: stop, and let the writer remove its partial file.
  socket.on('close', () => stop({ code: 'cancelled', message: 'The app closed the channel, so the helper stopped.' }));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  send({ v: HELPER_PROTOCOL_VERSION, kind: 'hello', secret });
  const timer = setTimeout(() => stop({ code: 'bad-request', message: 'The app did not accept the helper within 15 s.' }), WELCOME_TIMEOUT_MS);
  void welcome.finally(() => clearTimeout(timer)).catch(() => {});
  return {
    welcomed: welcome,
    signal: abort.signal,
    send,
    async finish(error) {
      if (error) {
        send({ v: HELPER_PROTOCOL_VERSION, kind: 'error', error });
        deps.stderr(`procscope helper: ${error.message}\n`);
      }
      // Half-close, then wait for the app to close its end, which it does once it has read our last message. A
      // helper that exits first can lose that message: under Wine a named pipe dropped what its reader had not read
      // yet when the writer's process ended (the Wine refusal tests saw "stopped without reporting a result").
      if (!socket.destroyed) socket.end();
      const grace = setTimeout(() => socket.destroy(), FINAL_READ_GRACE_MS);
      await closed;
      clearTimeout(grace);
      return error ? 1 : 0;
    },
  };
}

async function writeDump(
  job: HelperJob,
  deps: HelperDeps,
  signal: AbortSignal,
  send: (message: HelperMessage) => void,
  folder: OpenedFolder | null,
): Promise<DumpErrorInfo | null> {
  let lastSentMs = 0;
  let lastPhase: DumpProgress['phase'] | null = null;
  const onProgress = (progress: DumpProgress): void => {
    const now = Date.now();
    // Phase changes always go out; within a phase, at most one message per interval.
    if (progress.phase === lastPhase && now - lastSentMs < PROGRESS_INTERVAL_MS) return;
    lastSentMs = now;
    lastPhase = progress.phase;
    send({ v: HELPER_PROTOCOL_VERSION, kind: 'progress', progress });
  };
  try {
    const writer = await deps.createWriter();
    const result = await writer.write(
      {
        pid: job.pid,
        startTimeMs: job.startTimeMs,
        kind: job.kind,
        outDir: job.outDir,
        ...(job.stamp !== undefined ? { stamp: job.stamp } : {}),
        ...(job.snapshot === true ? { snapshot: true } : {}),
      },
      {
        signal,
        onProgress,
        ...(job.nameHint !== null ? { nameHint: job.nameHint } : {}),
        ...(deps.win32?.requesterSid ? { readerSid: deps.win32.requesterSid } : {}),
        ...(folder ? { folder } : {}),
        // Saved before the hash (issue 15): the app's job is done here, and the hash follows in `result`.
        onFileComplete: (saved) => send({ v: HELPER_PROTOCOL_VERSION, kind: 'saved', result: saved }),
      },
    );
    // No chown by path afterwards: by then the requester may have put a link to any file at result.path. A root
    // helper's Linux file was created with the requester's rights, so it is theirs from birth.
    send({ v: HELPER_PROTOCOL_VERSION, kind: 'result', result });
    return null;
  } catch (err) {
    if (signal.aborted) return abortReason(signal);
    return toDumpErrorInfo(err);
  }
}

function abortReason(signal: AbortSignal): DumpErrorInfo {
  const reason: unknown = signal.reason;
  // A DOMException also has code and message, but a numeric code: only our own DumpErrorInfo has a string one.
  if (typeof reason === 'object' && reason !== null && 'code' in reason && typeof reason.code === 'string' && 'message' in reason) {
    return reason as DumpErrorInfo;
  }
  return cancelledInfo();
}

/** How long the helper keeps trying to reach the app's channel before it gives up (a Windows pipe may be busy). */
const CONNECT_RETRY_MS = 3000;

function connectOnce(address: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(address);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/**
 * Connects, trying again for a moment on the errors a named pipe gives while its server is between instances
 * (ERROR_PIPE_BUSY is EBUSY; a pipe not yet listening is ENOENT): the app's channel accepts only its one helper, so
 * a retry can reach nothing else. Anything else, or the time up, is the last error.
 */
async function openSocket(address: string): Promise<Socket> {
  const deadline = Date.now() + CONNECT_RETRY_MS;
  for (;;) {
    try {
      return await connectOnce(address);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (!['EBUSY', 'ENOENT', 'EAGAIN', 'ECONNREFUSED'].includes(code ?? '') || Date.now() >= deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
