/*
 * A CaptureEngine whose watch runs in the helper process (issue 12): start() opens a one-time channel, starts the
 * app's own executable as the helper with a `--job=watch` command line through an Elevator (createDirectElevator
 * for a watch with the app's own rights, pkexec / UAC when rights are missing) and resolves once the helper's
 * `armed` event arrived. Runs in Electron main or the browser host, which must never trace anything themselves.
 * Everything the helper sends is checked again here — schema, order (armed first, done last), the target's pid,
 * dumps inside the watch's folder — and a helper that breaks a rule, or dies without `done`, ends the watch with an
 * error event and done('error'): closing the channel makes a live helper release everything it holds.
 */
import { tmpdir } from 'node:os';
import { posix, win32 } from 'node:path';
import type { CaptureDoneReason, CaptureEvent, CaptureRule } from '../../../src-shared/model/capture';
import type { DumpErrorInfo } from '../../../src-shared/model/dump';
import { toDumpErrorInfo } from '../../dump/dump-errors';
import { DumpError } from '../../dump/dump-writer';
import type { Elevator } from '../../dump/helper/elevator';
import { openHelperChannel, type HelperChannel, type ProvenHelperMessage } from '../../dump/helper/helper-channel';
import type { HelperCommand } from '../../dump/helper/helper-dump-writer';
import { dispatch, HELPER_PROTOCOL_VERSION, type Handlers } from '../../dump/helper/helper-protocol';
import { helperWatchJobToArgs } from '../../dump/helper/helper-watch-args';
import type { CaptureEngine, CaptureWatch } from '../capture-engine';

export interface HelperCaptureEngineOptions {
  elevator: Elevator;
  command: HelperCommand;
  /** The requesting user's uid (process.getuid()); null on Windows. */
  uid: number | null;
  platform?: NodeJS.Platform;
  /** Its TMPDIR is where the channel's private folder is made (os.tmpdir() when unset). */
  env?: NodeJS.ProcessEnv;
}

/** After the helper exits or closes the channel, how long its last lines may still take to arrive. */
const EXIT_GRACE_MS = 1000;
/** How long the helper may take to end its watch after `stop` (a dump in progress is cancelled between reads). */
export const STOP_GRACE_MS = 10_000;

export function createHelperCaptureEngine(options: HelperCaptureEngineOptions): CaptureEngine {
  return { start: (rule, onEvent) => startHelperWatch(options, rule, onEvent) };
}

/** Is `path` a file directly inside `folder`? Windows paths compare without case, as the file system does. */
function isInFolder(path: string, folder: string, platform: NodeJS.Platform): boolean {
  const api = platform === 'win32' ? win32 : posix;
  const trim = (p: string): string => {
    const n = api.normalize(p);
    return n.length > api.parse(n).root.length ? n.replace(/[\\/]+$/, '') : n;
  };
  const [dir, want] = [trim(api.dirname(path)), trim(folder)];
  return api.isAbsolute(path) && (platform === 'win32' ? dir.toLowerCase() === want.toLowerCase() : dir === want);
}

async function startHelperWatch(options: HelperCaptureEngineOptions, rule: CaptureRule, onEvent: (event: CaptureEvent) => void): Promise<CaptureWatch> {
  const platform = options.platform ?? process.platform;
  let state: 'arming' | 'armed' | 'done' = 'arming';
  let seenCount = 0;
  let dumpCount = 0;
  let exitCode: number | null = null;
  let noDoneTimer: NodeJS.Timeout | null = null;
  let stopTimer: NodeJS.Timeout | null = null;
  let channel: HelperChannel | null = null;
  let armed!: { resolve: (w: CaptureWatch) => void; reject: (e: DumpError) => void };
  const armedPromise = new Promise<CaptureWatch>((resolve, reject) => (armed = { resolve, reject }));
  let resolveFinished!: (reason: CaptureDoneReason) => void;
  const finished = new Promise<CaptureDoneReason>((resolve) => (resolveFinished = resolve));

  const closeChannel = (): void => {
    if (noDoneTimer) clearTimeout(noDoneTimer);
    if (stopTimer) clearTimeout(stopTimer);
    // Closing is also the last word to a live helper: it stops its watch and releases everything at once.
    void channel?.close();
  };
  const deliver = (event: CaptureEvent): void => {
    try {
      onEvent(event);
    } catch {
      // A listener that throws must not leave the helper holding processes.
    }
    if (event.event === 'done') {
      state = 'done';
      closeChannel();
      resolveFinished(event.reason);
    }
  };
  /** Ends an armed watch here, whatever the helper does next. */
  const endHere = (reason: CaptureDoneReason, error: DumpErrorInfo | null): void => {
    if (state !== 'armed') return;
    if (error) deliver({ event: 'error', atMs: Date.now(), pid: null, trigger: null, error });
    deliver({ event: 'done', atMs: Date.now(), reason, seenCount, dumpCount });
  };
  /** The helper or the channel failed or broke a rule: before arming start() rejects, after it the watch ends. */
  const refuse = (error: DumpErrorInfo): void => {
    if (state === 'arming') {
      state = 'done';
      closeChannel();
      resolveFinished('error');
      armed.reject(new DumpError(error.code, error.message));
    } else {
      endHere('error', error);
    }
  };
  const broke = (why: string): void => refuse({ code: 'bad-request', message: `The helper ${why}, so the watch was ended. Try again; report a bug if it keeps happening.` });

  const watch: CaptureWatch = {
    finished,
    async stop() {
      if (state === 'armed') {
        channel?.send({ v: HELPER_PROTOCOL_VERSION, kind: 'stop' });
        stopTimer ??= setTimeout(
          () => endHere('error', { code: 'io-error', message: `The helper did not end its watch within ${STOP_GRACE_MS / 1000} s of the stop; its channel was closed, which makes it release every process it holds.` }),
          STOP_GRACE_MS,
        );
      }
      await finished;
    },
  };

  const onCapture = (event: CaptureEvent): void => {
    if (state === 'done') return;
    if (state === 'arming') {
      if (event.event !== 'armed') return broke(`sent a '${event.event}' event before its watch was armed`);
      if (event.pid !== rule.target.pid) return broke(`armed a watch on process ${event.pid} instead of ${rule.target.pid}`);
      state = 'armed';
      deliver(event);
      armed.resolve(watch);
      return;
    }
    if (event.event === 'armed') return broke('armed its watch twice');
    if (event.event === 'dump' && !isInFolder(event.path, rule.outDir, platform)) return broke(`reported a dump outside the watch's folder (${event.path.slice(0, 200)})`);
    if (event.event === 'held' && !rule.triggers.includes(event.trigger)) return broke(`held process ${event.pid} for a ${event.trigger} dump its rule does not ask for`);
    // A hold ends within the rule's deadline; a later one would show a process held longer than the user allowed.
    if (event.event === 'held' && event.deadlineMs > event.atMs + rule.holdTimeoutMs + 1000) return broke(`held process ${event.pid} past the rule's ${rule.holdTimeoutMs} ms hold deadline`);
    if (event.event === 'seen') seenCount++;
    if (event.event === 'dump') dumpCount++;
    deliver(event);
  };
  const handlers: Handlers<ProvenHelperMessage> = {
    capture: (m) => onCapture(m.event),
    error: (m) => (state === 'arming' ? refuse(m.error) : endHere('error', m.error)),
    progress: () => broke("sent a dump's progress during a watch"),
    result: () => broke("sent a dump's result during a watch"),
    saved: () => broke("sent a dump's result during a watch"),
    persist: () => broke('sent a persistent-capture report during a watch'),
  };
  const noDone = (): void => {
    const how = exitCode === null ? 'closed its channel' : `stopped (exit code ${exitCode})`;
    if (state === 'arming') refuse({ code: 'io-error', message: `The helper ${how} before the watch was armed. Try again; if it fails again, watch from a terminal with \`procscope watch\` as root.` });
    else endHere('error', { code: 'io-error', message: `The helper ${how} without ending its watch; every process it held was let go when it ended.` });
  };
  const noDoneSoon = (): void => {
    if (state !== 'done') noDoneTimer ??= setTimeout(noDone, EXIT_GRACE_MS);
  };

  channel = await openHelperChannel(
    { onMessage: (m) => dispatch(handlers, m), onFailure: refuse, onClose: noDoneSoon },
    platform,
    options.env?.TMPDIR || tmpdir(),
  );
  const args = [...options.command.args, ...helperWatchJobToArgs({ rule, uid: options.uid, channel: channel.address, secret: channel.secret })];
  options.elevator.run(options.command.executable, args).then(
    (code) => {
      exitCode = code;
      noDoneSoon();
    },
    (err: unknown) => refuse(toDumpErrorInfo(err)),
  );
  return armedPromise;
}
