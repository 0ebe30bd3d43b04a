/*
 * The elevated helper's own checks of its one job, done after the channel is proven and before anything is
 * opened: the target is still the process the person chose (pid and start time), and the folder is a real
 * folder of the requesting user reached without a symlink or junction, through ancestors no other user can
 * swap. It runs with the rights of an administrator, so it must never follow a link or trust the app's word
 * about who asked.
 */
import type { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { normalize as normalizePosix } from 'node:path/posix';
import { normalize as normalizeWin32, parse as parseWin32 } from 'node:path/win32';
import type { DumpErrorInfo } from '../../../src-shared/model/dump';
import type { HelperJob } from './helper-args';
import { whoElseMaySwapFolder } from './win32-folder-acl';

/** What the Windows checks need from the OS (src-main/dump/win32/helper-requester.ts reads it). */
export interface Win32HelperFacts {
  /** The requesting user's SID, or null when it cannot be known (the job is then refused). */
  requesterSid: string | null;
  /** The owner SID of a folder, or null when it cannot be read. */
  readOwnerSid(path: string): string | null;
  /** A folder's DACL in SDDL ("D:…"), or null when it cannot be read. */
  readDaclSddl(path: string): string | null;
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

export async function validateHelperJob(job: HelperJob, deps: HelperValidationDeps): Promise<DumpErrorInfo | null> {
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
  if (deps.platform === 'win32') return checkFolderWin32(job.outDir, deps.win32);
  // A helper that is not root and is the requester (the engine's unelevated child process) has no rights to
  // lend: the kernel already holds it to what the person may do, so links and shared folders are theirs to use.
  if (deps.ownUid !== null && deps.ownUid !== 0 && deps.ownUid === job.uid) return checkPlainPath(job.outDir);
  return checkFolderPosix(job.outDir, job.uid);
}

function checkPlainPath(outDir: string): DumpErrorInfo | null {
  return outDir.startsWith('/') ? null : bad(`The folder '${outDir}' is not an absolute path.`);
}

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch {
    return null;
  }
}

async function checkFolderPosix(outDir: string, uid: number | null): Promise<DumpErrorInfo | null> {
  if (uid === null) return bad('The job does not say which user asked for it, so it was refused.');
  if (!outDir.startsWith('/')) return bad(`The folder '${outDir}' is not an absolute path.`);
  const trimmed = outDir.length > 1 ? outDir.replace(/\/+$/, '') : outDir;
  if (normalizePosix(trimmed) !== trimmed || trimmed.split('/').includes('..')) {
    return bad(`The folder '${outDir}' contains '.', '..' or doubled slashes; give its plain absolute path.`);
  }
  const parts = trimmed.split('/').filter(Boolean);
  let path = '';
  for (let i = 0; i <= parts.length; i++) {
    path = i === 0 ? '/' : `${path === '/' ? '' : path}/${parts[i - 1]}`;
    const st = await lstatOrNull(path);
    if (!st) return { code: 'folder-unwritable', message: `The folder '${path}' does not exist. Choose an existing folder.` };
    if (st.isSymbolicLink()) {
      return bad(`'${path}' is a symbolic link; the elevated helper only writes into folders reached without links. Choose the real folder.`);
    }
    if (!st.isDirectory()) return { code: 'folder-unwritable', message: `'${path}' is not a folder. Choose a folder.` };
    const last = i === parts.length;
    if (last) {
      if (st.uid !== uid) {
        return bad(`The folder '${path}' does not belong to you, so the elevated helper will not write there. Choose a folder of your own.`);
      }
    } else {
      // Another user who can rename entries in an ancestor could swap the path after this check.
      const othersMayRename = (st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0;
      if ((st.uid !== 0 && st.uid !== uid) || othersMayRename) {
        return bad(`The folder '${path}' can be changed by another user, so the elevated helper will not write below it. Choose a folder in your home.`);
      }
    }
  }
  return null;
}

async function checkFolderWin32(outDir: string, facts: Win32HelperFacts | undefined): Promise<DumpErrorInfo | null> {
  if (!facts?.requesterSid) {
    return bad('The helper could not tell which user started it (its parent process is gone or unreadable), so it was refused. Try again.');
  }
  const normalized = normalizeWin32(outDir);
  const trimmed = normalized.length > 3 ? normalized.replace(/\\+$/, '') : normalized;
  if (outDir.replace(/\\+$/, '') !== trimmed || outDir.startsWith('\\\\')) {
    return bad(`The folder '${outDir}' must be a plain local path such as C:\\Users\\you\\Dumps.`);
  }
  const root = parseWin32(trimmed).root;
  const parts = trimmed.slice(root.length).split('\\').filter(Boolean);
  const walked: string[] = [];
  let path = root;
  for (let i = 0; i <= parts.length; i++) {
    if (i > 0) path = path.endsWith('\\') ? path + parts[i - 1] : `${path}\\${parts[i - 1]}`;
    const st = await lstatOrNull(path);
    if (!st) return { code: 'folder-unwritable', message: `The folder '${path}' does not exist. Choose an existing folder.` };
    // Node's lstat reports junctions and symbolic links alike as links on Windows.
    if (st.isSymbolicLink()) {
      return bad(`'${path}' is a symbolic link or junction; the elevated helper only writes into real folders. Choose the real folder.`);
    }
    if (!st.isDirectory()) return { code: 'folder-unwritable', message: `'${path}' is not a folder. Choose a folder.` };
    walked.push(path);
  }
  // Checked after the walk, on the folder the walk proved real: an administrator's helper must not write into a
  // folder some other account owns (say C:\Windows\Temp, or another user's profile) on the requester's behalf.
  if (facts.readOwnerSid(trimmed) !== facts.requesterSid) {
    return bad(`The folder '${trimmed}' does not belong to you, so the elevated helper will not write there. Choose a folder of your own.`);
  }
  // Nor below a folder another account could rename, delete or take over: it could swap the path after this check
  // (the POSIX check reads the same from owners and mode bits).
  for (const folder of walked) {
    const why = whoElseMaySwapFolder(facts.readOwnerSid(folder), facts.readDaclSddl(folder), facts.requesterSid);
    if (why) {
      const where = folder === walked.at(-1) ? 'there' : 'below it';
      return bad(`The folder '${folder}' can be changed by another user (${why}), so the elevated helper will not write ${where}. Choose a folder in your profile.`);
    }
  }
  return null;
}
