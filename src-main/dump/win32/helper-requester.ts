/*
 * Who asked for the elevated helper's job on Windows, learned from the OS rather than from the app's word: the
 * process that called ShellExecuteExW "runas" is the helper's parent (UAC's AppInfo service creates the elevated
 * process with the caller as its parent; Wine does the same), and its token names the user. With
 * over-the-shoulder elevation the helper runs as the administrator who typed the password while the parent is
 * still the person at the desk, so the parent, not the helper's own token, is the requester. The Linux
 * counterpart is pkexec's PKEXEC_UID.
 */
import { readHandleOwnerAndDacl, readTokenUserSid } from '../../platform/win32/ffi/advapi32';
import { NtStatus, openFolderNoReparse, readHandleFileInformation } from '../../platform/win32/ffi/file-handles';
import type { Win32FolderFacts, Win32HelperFacts, Win32OpenFailure } from '../helper/helper-validate';
import { currentProcess, getProcessCreateTime100ns, openProcess, ProcessAccess } from '../../platform/win32/ffi/kernel32';
import type { WinHandle } from '../../platform/win32/ffi/win-types';

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

/** Sorts an NTSTATUS from opening a folder into what the refusal says. */
export function folderOpenFailure(status: number): Win32OpenFailure {
  switch (status) {
    case NtStatus.OBJECT_NAME_NOT_FOUND:
    case NtStatus.OBJECT_PATH_NOT_FOUND:
      return { failure: 'missing', status };
    case NtStatus.NOT_A_DIRECTORY:
      return { failure: 'not-a-folder', status };
    case NtStatus.ACCESS_DENIED:
      return { failure: 'denied', status };
    default:
      return { failure: 'failed', status };
  }
}

function openFolder(parent: WinHandle | null, name: string): { handle: WinHandle } | Win32OpenFailure {
  const { handle, status } = openFolderNoReparse(parent, name);
  return handle ? { handle } : folderOpenFailure(status);
}

function describeFolder(folder: WinHandle): Win32FolderFacts | null {
  const info = readHandleFileInformation(folder);
  return info ? { attributes: info.attributes, ...readHandleOwnerAndDacl(folder) } : null;
}

export function readWin32HelperFacts(): Win32HelperFacts {
  return { requesterSid: readRequesterSid(), openFolder, describeFolder };
}
