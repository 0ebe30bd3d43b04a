/*
 * A persist action in this very process, for a CLI that already runs elevated (an administrator's console) and for
 * `list`, which only reads HKLM: the same folder walk the helper does (with this process's own user as the
 * requester) and the same plan on the real registry. Windows only; loaded lazily by the CLI.
 */
import { readTokenFacts } from '../../platform/win32/ffi/advapi32';
import { currentProcess } from '../../platform/win32/ffi/kernel32';
import { readWin32HelperFacts } from '../../dump/win32/helper-requester';
import { validateHelperFolder } from '../../dump/helper/helper-validate';
import { DumpError } from '../../dump/dump-writer';
import { runPersistAction, type PersistAction, type PersistReport } from './persistent-apply';
import { createWin32Registry } from './win32-registry';

/** True when this process's token is elevated (an administrator's, past UAC): HKLM may then be written directly. */
export function isProcessElevated(): boolean {
  return readTokenFacts(currentProcess()).elevated === true;
}

export async function runPersistLocally(action: PersistAction): Promise<PersistReport> {
  if (action.action === 'add') {
    const own = readTokenFacts(currentProcess()).userSid;
    if (!own) throw new DumpError('bad-request', 'Procscope could not read its own user, so it cannot check the folder. Nothing was changed.');
    const checked = await validateHelperFolder(action.request.folder, { ...baseDeps(), win32: { ...readWin32HelperFacts(), requesterSid: own } });
    if (!checked.ok) throw new DumpError(checked.error.code, checked.error.message);
    if (checked.folder?.platform === 'win32') checked.folder.handle.close();
  }
  return runPersistAction(createWin32Registry(), action);
}

function baseDeps() {
  return { platform: 'win32' as const, env: {}, ownUid: null, readStartTimeMs: () => null };
}
