/*
 * The helper's persist job (issue 12), in the elevated helper once runHelper has proven the channel: for `add` it
 * checks the folder with the same handle walk as a dump's (a real folder of the requester, no link or junction, no
 * other account able to swap it), then applies the plan to HKLM, and answers with one `persist` report or an
 * error. It writes registry keys only, never a file; the folder's handle is closed before the registry is touched,
 * since Windows opens the folder by its path when it writes a dump, perhaps months later.
 */
import type { DumpErrorInfo } from '../../../src-shared/model/dump';
import { PersistRefusal, runPersistAction, type PersistReport } from '../../capture/persistent/persistent-apply';
import { toDumpErrorInfo } from '../dump-errors';
import { HELPER_PROTOCOL_VERSION } from './helper-protocol';
import type { HelperPersistJob } from './helper-persist-args';
import type { HelperDeps, HelperSession } from './helper-session';
import { validateHelperFolder } from './helper-validate';

export async function runPersistJob(job: HelperPersistJob, deps: HelperDeps, session: HelperSession): Promise<number> {
  if (job.persist.action === 'add') {
    const checked = await validateHelperFolder(job.persist.request.folder, deps);
    if (!checked.ok) return session.finish(checked.error);
    if (checked.folder?.platform === 'win32') checked.folder.handle.close();
  }
  let report: PersistReport;
  try {
    const registry = deps.createRegistry?.() ?? (await import('../../capture/persistent/win32-registry')).createWin32Registry();
    report = runPersistAction(registry, job.persist);
  } catch (err) {
    const error: DumpErrorInfo = err instanceof PersistRefusal ? { code: 'bad-request', message: err.message.slice(0, 2000) } : toDumpErrorInfo(err);
    return session.finish(error);
  }
  session.send({ v: HELPER_PROTOCOL_VERSION, kind: 'persist', report: clipReport(report) });
  return session.finish(null);
}

/** The report as the wire schema allows it (a list can name as many marked keys as someone made). */
function clipReport(report: PersistReport): PersistReport {
  return {
    action: report.action,
    entries: report.entries.slice(0, 200).map((e) => ({ ...e, image: e.image.slice(0, 255), folder: e.folder === null ? null : e.folder.slice(0, 4096) })),
    changedKeys: report.changedKeys.slice(0, 20).map((k) => k.slice(0, 600)),
    notes: report.notes.slice(0, 20).map((n) => n.slice(0, 2000)),
  };
}
