/*
 * The helper's watch job (issue 12), in the helper's own process once runHelper has proven the channel and
 * re-validated the target and the folder: it runs the platform's CaptureEngine on the folder the helper opened,
 * streams every CaptureEvent to the app as a `capture` message (clipped to the wire limits), and ends the watch —
 * releasing every held process — as soon as the app sends `stop`, misbehaves or closes the channel. The helper
 * serves this one watch and exits when it is done. There is no lifetime cap beyond the rule's own timeout: the
 * channel is the lease (the kernel closes it when the app dies), and a cap would end a service's watch unasked.
 */
import type { CaptureEvent } from '../../../src-shared/model/capture';
import type { CaptureEngine, CaptureWatch } from '../../capture/capture-engine';
import { toDumpErrorInfo } from '../dump-errors';
import type { DumpWriter, OpenedFolder } from '../dump-writer';
import type { HelperDeps, HelperSession } from './helper-session';
import { CAPTURE_WIRE_LIMITS, HELPER_PROTOCOL_VERSION } from './helper-protocol';
import type { HelperWatchJob } from './helper-watch-args';

/** Resolves to the helper's exit code: 0 the watch ended, 1 it could not arm or ended in error. */
export async function runWatchJob(job: HelperWatchJob, deps: HelperDeps, session: HelperSession, folder: OpenedFolder | null): Promise<number> {
  let watch: CaptureWatch;
  try {
    const engine = await (deps.createCaptureEngine ?? ((f: OpenedFolder | null) => platformEngine(deps, f)))(folder);
    watch = await engine.start(job.rule, (event) => session.send({ v: HELPER_PROTOCOL_VERSION, kind: 'capture', event: clipCaptureEvent(event) }));
  } catch (err) {
    return session.finish(toDumpErrorInfo(err));
  }
  const stop = (): void => void watch.stop();
  if (session.signal.aborted) stop();
  else session.signal.addEventListener('abort', stop, { once: true });
  const reason = await watch.finished;
  session.signal.removeEventListener('abort', stop);
  const code = await session.finish(null);
  return reason === 'error' ? 1 : code;
}

/** The engine of this OS, writing into the folder the helper opened (and, on Windows, readable by the requester). */
async function platformEngine(deps: HelperDeps, folder: OpenedFolder | null): Promise<CaptureEngine> {
  if (deps.platform === 'linux') {
    const { createLinuxCaptureEngine } = await import('../../capture/linux/linux-capture-engine');
    return createLinuxCaptureEngine(folder?.platform === 'linux' ? { folder } : {});
  }
  if (deps.platform === 'win32') {
    const [{ createWin32CaptureEngine }, { createWin32MinidumpWriter }] = await Promise.all([
      import('../../capture/win32/win32-capture-engine'),
      import('../win32/win32-minidump-writer'),
    ]);
    const base = createWin32MinidumpWriter();
    const readerSid = deps.win32?.requesterSid ?? undefined;
    // Every capture dump goes through the helper's checked folder handle, made readable by who asked, as a dump does.
    const writer: DumpWriter = {
      format: base.format,
      write: (request, options) => base.write(request, { ...options, ...(folder ? { folder } : {}), ...(readerSid ? { readerSid } : {}) }),
    };
    return createWin32CaptureEngine({ writer });
  }
  const { selectCaptureEngine } = await import('../../capture/select-capture-engine');
  return selectCaptureEngine(deps.platform);
}

const clip = (text: string, chars: number): string => (text.length > chars ? text.slice(0, chars - 1) + '…' : text);

/** The event as the wire schema allows it: a long command line or name is cut, never a reason to drop the watch. */
export function clipCaptureEvent(event: CaptureEvent): CaptureEvent {
  const L = CAPTURE_WIRE_LIMITS;
  switch (event.event) {
    case 'armed':
      return { ...event, mechanism: clip(event.mechanism, L.mechanismChars), limits: event.limits.slice(0, L.limitCount).map((l) => clip(l, L.limitChars)) };
    case 'seen':
      return { ...event, name: clip(event.name, L.nameChars), cmdline: clip(event.cmdline, L.cmdlineChars) };
    case 'held':
    case 'exited':
    case 'dump':
      return { ...event, name: clip(event.name, L.nameChars) };
    case 'error':
      return { ...event, error: { code: event.error.code, message: clip(event.error.message, 2000) } };
    case 'done':
      return event;
  }
}
