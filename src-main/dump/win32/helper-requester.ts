/*
 * Who asked for the elevated helper's job on Windows, learned from the OS rather than from the app's word: the
 * process that called ShellExecuteExW "runas" is the helper's parent (UAC's AppInfo service creates the elevated
 * process with the caller as its parent; Wine does the same), and its token names the user. With
 * over-the-shoulder elevation the helper runs as the administrator who typed the password while the parent is
 * still the person at the desk, so the parent, not the helper's own token, is the requester. The Linux
 * counterpart is pkexec's PKEXEC_UID.
 */
import { readFileDaclSddl, readFileOwnerSid, readTokenUserSid } from '../../platform/win32/ffi/advapi32';
import type { Win32HelperFacts } from '../helper/helper-validate';
import { currentProcess, getProcessCreateTime100ns, openProcess, ProcessAccess } from '../../platform/win32/ffi/kernel32';

/** The user SID of the process that started us, or null when it is gone, newer than us (a reused pid) or unreadable. */
export function readRequesterSid(parentPid: number = process.ppid): string | null {
  if (!parentPid) return null;
  // The open handle pins the parent for the checks below: its pid cannot be reused while we hold it.
  const parent = openProcess(parentPid, ProcessAccess.QUERY_LIMITED_INFORMATION);
  if (!parent) return null;
  try {
    const parentCreated = getProcessCreateTime100ns(parent);
    const ownCreated = getProcessCreateTime100ns(currentProcess());
    if (parentCreated === null || ownCreated === null || parentCreated > ownCreated) return null;
    return readTokenUserSid(parent);
  } finally {
    parent.close();
  }
}

export function readWin32HelperFacts(): Win32HelperFacts {
  return { requesterSid: readRequesterSid(), readOwnerSid: readFileOwnerSid, readDaclSddl: readFileDaclSddl };
}
