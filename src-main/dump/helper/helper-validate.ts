/*
 * The elevated helper's own checks of its one job, done after the channel is proven and before anything is
 * written: the target is still the process the person chose (pid and start time), and the folder is a real
 * folder of the requesting user reached without a symlink or junction, through ancestors no other user can
 * swap. The folder check is a walk by descriptors (Linux) or handles (Windows) that hands the opened folder to the
 * writer, which creates the file relative to it. It runs with the rights of an administrator, so it must never
 * follow a link or trust the app's word about who asked.
 */
import { normalize as normalizeWin32, parse as parseWin32 } from 'node:path/win32';
import type { DumpErrorInfo } from '../../../src-shared/model/dump';
import {
  FILE_ATTRIBUTE_DIRECTORY, FILE_ATTRIBUTE_REPARSE_POINT, isSingleEntryName, ntPathOfDriveRoot,
} from '../../platform/win32/ffi/nt-structs';
import type { WinHandle } from '../../platform/win32/ffi/win-types';
import { DumpError, type OpenedFolder, type Win32OpenedFolder } from '../dump-writer';
import { openFolderByWalkSync } from '../linux/opened-folder';
import type { HelperJob } from './helper-args';
import { whoElseMaySwapFolder } from './win32-folder-acl';

/** A folder the Windows walk could not open, by NTSTATUS (src-main/dump/win32/helper-requester.ts sorts them). */
export interface Win32OpenFailure {
  failure: 'missing' | 'not-a-folder' | 'denied' | 'failed';
  status: number;
}

/** What the walk reads from each folder it opened, through the handle (never by path). */
export interface Win32FolderFacts {
  /** FILE_ATTRIBUTE_* of the object the handle holds. */
  attributes: number;
  /** The owner SID, or null when it cannot be read. */
  ownerSid: string | null;
  /** The DACL in SDDL ("D:…"), or null when it cannot be read. */
  daclSddl: string | null;
}

/** What the Windows checks need from the OS (src-main/dump/win32/helper-requester.ts reads it). */
export interface Win32HelperFacts {
  /** The requesting user's SID, or null when it cannot be known (the job is then refused). */
  requesterSid: string | null;
  /**
   * Opens a drive root by its NT path (`\??\C:\`) when `parent` is null, else the one entry `name` of the open
   * `parent`, as a folder and without following a reparse point.
   */
  openFolder(parent: WinHandle | null, name: string): { handle: WinHandle } | Win32OpenFailure;
  /** Attributes, owner and DACL of an open folder, or null when they cannot be read. */
  describeFolder(folder: WinHandle): Win32FolderFacts | null;
}

export interface HelperValidationDeps {
  /** Start time of a live pid in ms since the epoch, or null when it is gone. */
  readStartTimeMs(pid: number): number | null;
  platform: NodeJS.Platform;
  /** pkexec puts the caller's real uid in PKEXEC_UID; it must agree with the job's uid. */
  env: NodeJS.ProcessEnv;
  /** The helper's own uid (null on Windows). */
  ownUid: number | null;
  /** Windows only: the requester (the helper's parent process) and folder owners, from the OS. */
  win32?: Win32HelperFacts;
}

const bad = (message: string): DumpErrorInfo => ({ code: 'bad-request', message });

/**
 * The verdict on a job: a refusal, or the go-ahead with the job's folder opened once and checked on its handle
 * (null where the helper lends no rights and the writer may use the path). The caller closes the folder.
 */
export type HelperJobCheck = { ok: false; error: DumpErrorInfo } | { ok: true; folder: OpenedFolder | null };

export async function validateHelperJob(job: HelperJob, deps: HelperValidationDeps): Promise<HelperJobCheck> {
  const error = await checkJobBeforeFolder(job, deps);
  if (error) return { ok: false, error };
  if (deps.platform === 'win32') {
    const opened = await checkFolderWin32(job.outDir, deps.win32);
    return 'platform' in opened ? { ok: true, folder: opened } : { ok: false, error: opened };
  }
  // A helper that is not root and is the requester (the engine's unelevated child process) has no rights to
  // lend: the kernel already holds it to what the person may do, so links and shared folders are theirs to use.
  const lendsNoRights = deps.ownUid !== null && deps.ownUid !== 0 && deps.ownUid === job.uid;
  if (lendsNoRights) {
    const plain = checkPlainPath(job.outDir);
    return plain ? { ok: false, error: plain } : { ok: true, folder: null };
  }
  return openFolderPosix(job.outDir, job.uid, deps.ownUid);
}

/**
 * The folder checks alone, for a job with no target process (the persist job): the same Windows walk as a dump's,
 * so the folder Windows will later write into is a real folder of the requester that nobody else can swap.
 */
export async function validateHelperFolder(outDir: string, deps: HelperValidationDeps): Promise<HelperJobCheck> {
  if (deps.platform !== 'win32') return { ok: false, error: bad('Only a Windows helper checks a folder on its own.') };
  const opened = await checkFolderWin32(outDir, deps.win32);
  return 'platform' in opened ? { ok: true, folder: opened } : { ok: false, error: opened };
}

/** The identity checks, which need no folder. */
async function checkJobBeforeFolder(job: HelperJob, deps: HelperValidationDeps): Promise<DumpErrorInfo | null> {
  if (!Number.isSafeInteger(job.pid) || job.pid <= 0) return bad(`Process id ${job.pid} cannot be dumped.`);
  const pkexecUid = deps.env['PKEXEC_UID'];
  if (pkexecUid !== undefined && job.uid !== null && pkexecUid !== String(job.uid)) {
    return bad('The job names a different user than the one who authorised it, so it was refused.');
  }
  const startTimeMs = deps.readStartTimeMs(job.pid);
  if (startTimeMs === null) {
    return { code: 'process-gone', message: `Process ${job.pid} has exited, so there is nothing to dump. Refresh the list and pick a running process.` };
  }
  if (startTimeMs !== job.startTimeMs) {
    return {
      code: 'pid-recycled',
      message: `Process ${job.pid} is no longer the process you chose: the id now belongs to a newer process. Refresh the list and try again.`,
    };
  }
  return null;
}

function checkPlainPath(outDir: string): DumpErrorInfo | null {
  return outDir.startsWith('/') ? null : bad(`The folder '${outDir}' is not an absolute path.`);
}

/**
 * The POSIX walk is the open (src-main/dump/linux/opened-folder.ts): each component opened relative to the one
 * before without following a link and checked on its descriptor. A root helper creates the file with the
 * requester's fsuid and the folder's gid (the group the helper used to chown it to): read from the descriptor just
 * checked, so no NSS lookup runs as root (the user's primary gid would need one), and the file is 0600 anyway.
 */
function openFolderPosix(outDir: string, uid: number | null, ownUid: number | null): HelperJobCheck {
  if (uid === null) return { ok: false, error: bad('The job does not say which user asked for it, so it was refused.') };
  try {
    return { ok: true, folder: openFolderByWalkSync(outDir, { kind: 'helper', requesterUid: uid, createAsRequester: ownUid === 0 && uid !== 0 }) };
  } catch (err) {
    if (err instanceof DumpError) return { ok: false, error: { code: err.code, message: err.message } };
    throw err;
  }
}

async function checkFolderWin32(outDir: string, facts: Win32HelperFacts | undefined): Promise<DumpErrorInfo | Win32OpenedFolder> {
  if (!facts?.requesterSid) {
    return bad('The helper could not tell which user started it (its parent process is gone or unreadable), so it was refused. Try again.');
  }
  const requesterSid = facts.requesterSid;
  const plain = bad(`The folder '${outDir}' must be a plain local path such as C:\\Users\\you\\Dumps.`);
  const normalized = normalizeWin32(outDir);
  const trimmed = normalized.length > 3 ? normalized.replace(/\\+$/, '') : normalized;
  if (outDir.replace(/\\+$/, '') !== trimmed || outDir.startsWith('\\\\')) return plain;
  const root = parseWin32(trimmed).root;
  const rootNtPath = ntPathOfDriveRoot(root);
  const parts = trimmed.slice(root.length).split('\\').filter(Boolean);
  if (!rootNtPath || !parts.every(isSingleEntryName)) return plain;
  // The walk IS the open: the drive root, then each entry relative to the handle before it, none of them followed
  // if it is a reparse point, and every check reads the handle. The file is later created relative to the last
  // handle, so nothing here is looked up by name twice and a swap after this walk redirects nothing.
  let held: WinHandle | null = null;
  let path = root;
  try {
    for (let i = 0; i <= parts.length; i++) {
      if (i > 0) path = path.endsWith('\\') ? path + parts[i - 1] : `${path}\\${parts[i - 1]}`;
      const opened = facts.openFolder(held, i === 0 ? rootNtPath : parts[i - 1]!);
      held?.close();
      held = null;
      if ('failure' in opened) return openFailure(path, opened);
      held = opened.handle;
      const refusal = judgeWin32Folder(path, facts.describeFolder(held), { isRoot: i === 0, isLast: i === parts.length, requesterSid });
      if (refusal) return refusal;
    }
    const folder: Win32OpenedFolder = { platform: 'win32', path: trimmed, handle: held! };
    held = null;
    return folder;
  } finally {
    held?.close();
  }
}

function openFailure(path: string, opened: Win32OpenFailure): DumpErrorInfo {
  switch (opened.failure) {
    case 'missing':
      return { code: 'folder-unwritable', message: `The folder '${path}' does not exist. Choose an existing folder.` };
    case 'not-a-folder':
      return { code: 'folder-unwritable', message: `'${path}' is not a folder. Choose a folder.` };
    case 'denied':
      return { code: 'folder-unwritable', message: `The folder '${path}' could not be opened (access denied). Choose a folder in your profile.` };
    default:
      return { code: 'folder-unwritable', message: `The folder '${path}' could not be opened (NTSTATUS 0x${opened.status.toString(16)}). Choose another folder.` };
  }
}

/** The checks on one opened folder of the walk, read from its handle; null when it may be walked through (or into). */
function judgeWin32Folder(
  path: string,
  facts: Win32FolderFacts | null,
  at: { isRoot: boolean; isLast: boolean; requesterSid: string },
): DumpErrorInfo | null {
  if (!facts) return bad(`The folder '${path}' could not be read through its handle, so the elevated helper will not write there.`);
  // Opened with FILE_OPEN_REPARSE_POINT, a junction, mount point or symbolic link is the handle itself, so its
  // attributes say so. A drive root is the volume the drive letter names (Wine marks its Z:\ as one), not a link
  // anyone can plant.
  if (!at.isRoot && (facts.attributes & FILE_ATTRIBUTE_REPARSE_POINT) !== 0) {
    return bad(`'${path}' is a symbolic link or junction; the elevated helper only writes into real folders. Choose the real folder.`);
  }
  if ((facts.attributes & FILE_ATTRIBUTE_DIRECTORY) === 0) return { code: 'folder-unwritable', message: `'${path}' is not a folder. Choose a folder.` };
  // An administrator's helper must not write into a folder some other account owns (say C:\Windows\Temp, or
  // another user's profile) on the requester's behalf,
  if (at.isLast && facts.ownerSid !== at.requesterSid) {
    return bad(`The folder '${path}' does not belong to you, so the elevated helper will not write there. Choose a folder of your own.`);
  }
  // nor in or below a folder another account could rename, delete or take over (the POSIX check reads the same
  // from owners and mode bits).
  const why = whoElseMaySwapFolder(facts.ownerSid, facts.daclSddl, at.requesterSid);
  if (why) {
    return bad(`The folder '${path}' can be changed by another user (${why}), so the elevated helper will not write ${at.isLast ? 'there' : 'below it'}. Choose a folder in your profile.`);
  }
  return null;
}
