/*
 * The dump folder as a root process must use it: opened once by a walk from "/" in which every component is opened
 * relative to its parent's descriptor without following a link (the walk IS the check: each name is resolved
 * exactly once, and the rules are applied to the descriptor's own fstat), then the file created relative to that
 * descriptor with the requester's file-system rights, and a partial file removed the same way. Used by the
 * elevated helper and by `procscope dump` run as root; it never opens a path a second time.
 */
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { normalize } from 'node:path/posix';
import { DumpError, type LinuxOpenedFolder } from '../dump-writer';
import { O_CLOEXEC, O_PATH, openatSync, setfsgidSync, setfsuidSync, unlinkatSync } from './ffi/libc-files';

/** Who walks, and so which rules hold. */
export type FolderWalkPolicy =
  /**
   * The elevated helper for `requesterUid`: the folder must be theirs, and every ancestor root's or theirs and not
   * writable by others (unless sticky), so nobody else can swap a component. With `createAsRequester`, the file is
   * created with the requester's fsuid and the folder's gid (see createAs below).
   */
  | { readonly kind: 'helper'; readonly requesterUid: number; readonly createAsRequester: boolean }
  /** `procscope dump` as root: root may write anywhere, so only links are refused (someone may have planted one). */
  | { readonly kind: 'root-cli' };

const ERRNO_NAMES = new Map<number, string>(Object.entries(osConstants.errno).map(([name, n]) => [n, name]));
const errnoName = (errno: number): string => ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
const { ELOOP, ENOTDIR } = osConstants.errno;

const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW | O_CLOEXEC;
const CREATE_FLAGS = constants.O_CREAT | constants.O_EXCL | constants.O_RDWR | constants.O_NOFOLLOW | O_CLOEXEC;

const bad = (message: string): DumpError => new DumpError('bad-request', message);

function linkMessage(path: string, policy: FolderWalkPolicy): string {
  return policy.kind === 'helper'
    ? `'${path}' is a symbolic link; the elevated helper only writes into folders reached without links. Choose the real folder.`
    : `'${path}' is a symbolic link; as root, procscope dump only writes into folders reached without links. Give the real folder.`;
}

/** Opens `outDir` component by component from "/"; throws a DumpError with the helper's sentences on any refusal. */
export function openFolderByWalkSync(outDir: string, policy: FolderWalkPolicy): LinuxOpenedFolder {
  if (!outDir.startsWith('/')) throw bad(`The folder '${outDir}' is not an absolute path.`);
  const trimmed = outDir.length > 1 ? outDir.replace(/\/+$/, '') : outDir;
  if (normalize(trimmed) !== trimmed || trimmed.split('/').includes('..')) {
    throw bad(`The folder '${outDir}' contains '.', '..' or doubled slashes; give its plain absolute path.`);
  }
  const parts = trimmed.split('/').filter(Boolean);
  // "/" cannot be a link; every other component is opened relative to the descriptor of the one before.
  let fd = openSync('/', DIR_FLAGS);
  let path = '/';
  try {
    for (let i = 0; ; i++) {
      const st = fstatSync(fd);
      if (!st.isDirectory()) throw new DumpError('folder-unwritable', `'${path}' is not a folder. Choose a folder.`);
      const last = i === parts.length;
      if (policy.kind === 'helper') checkHelperRules(path, st, last, policy.requesterUid);
      if (last) {
        const createAs = policy.kind === 'helper' && policy.createAsRequester ? { uid: policy.requesterUid, gid: st.gid } : null;
        return { platform: 'linux', path: trimmed, fd, createAs };
      }
      const name = parts[i]!;
      path = `${path === '/' ? '' : path}/${name}`;
      const next = openatSync(fd, name, DIR_FLAGS, 0);
      if (next < 0) throw walkError(-next === ENOTDIR && isSymbolicLinkAt(fd, name) ? ELOOP : -next, path, policy);
      closeSync(fd);
      fd = next;
    }
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

function checkHelperRules(path: string, st: { uid: number; mode: number }, last: boolean, uid: number): void {
  if (last) {
    if (st.uid !== uid) {
      throw bad(`The folder '${path}' does not belong to you, so the elevated helper will not write there. Choose a folder of your own.`);
    }
    return;
  }
  // Another user who can rename entries in an ancestor could put a folder of their choosing on the path before the walk.
  const othersMayRename = (st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0;
  if ((st.uid !== 0 && st.uid !== uid) || othersMayRename) {
    throw bad(`The folder '${path}' can be changed by another user, so the elevated helper will not write below it. Choose a folder in your home.`);
  }
}

/**
 * With O_DIRECTORY as well as O_NOFOLLOW, a symbolic link fails with ENOTDIR rather than ELOOP; this tells the two
 * apart for the message only (an O_PATH descriptor of the entry itself; nothing is opened through it).
 */
function isSymbolicLinkAt(dirFd: number, name: string): boolean {
  const fd = openatSync(dirFd, name, O_PATH | constants.O_NOFOLLOW | O_CLOEXEC, 0);
  if (fd < 0) return false;
  try {
    return fstatSync(fd).isSymbolicLink();
  } finally {
    closeSync(fd);
  }
}

function walkError(errno: number, path: string, policy: FolderWalkPolicy): DumpError {
  const name = errnoName(errno);
  if (name === 'ELOOP') return bad(linkMessage(path, policy));
  if (name === 'ENOENT') return new DumpError('folder-unwritable', `The folder '${path}' does not exist. Choose an existing folder.`);
  if (name === 'ENOTDIR') return new DumpError('folder-unwritable', `'${path}' is not a folder. Choose a folder.`);
  if (name === 'EACCES' || name === 'EPERM') {
    return new DumpError('folder-unwritable', `Procscope cannot open the folder '${path}' (${name}). Choose a folder you can write to.`);
  }
  return new DumpError('io-error', `Opening the folder '${path}' failed (${name}). Check the disk and try again.`);
}

export function closeOpenedFolderSync(folder: LinuxOpenedFolder): void {
  try {
    closeSync(folder.fd);
  } catch {
    // already closed
  }
}

/** A path that names the opened folder itself (the kernel's link to the descriptor), for statfs only. */
export function openedFolderProcPath(folder: LinuxOpenedFolder): string {
  return `/proc/self/fd/${folder.fd}`;
}

/**
 * Runs `action` with the thread's fsuid/fsgid set to `createAs` (when given) and restores them before returning or
 * throwing. Only file-system checks use them, so the process keeps its own rights for everything else; the caller
 * must not read /proc or ptrace inside `action` (those checks use the fsuid too).
 */
function withFsIdsSync<T>(createAs: LinuxOpenedFolder['createAs'], action: () => T): T {
  if (!createAs) return action();
  // gid first, while the fsuid is still ours; undone in the reverse order.
  const previousGid = setfsgidSync(createAs.gid);
  const previousUid = setfsuidSync(createAs.uid);
  try {
    if (setfsuidSync(-1) !== createAs.uid || setfsgidSync(-1) !== createAs.gid) {
      throw new DumpError('io-error', `Procscope could not take on the file rights of user ${createAs.uid} to create the dump, so it wrote nothing.`);
    }
    return action();
  } finally {
    setfsuidSync(previousUid);
    setfsgidSync(previousGid);
    // Cannot fail for a root thread; if it ever did, the thread would keep the requester's smaller rights, never
    // more than its own, and the dump stops here.
    if (setfsuidSync(-1) !== previousUid || setfsgidSync(-1) !== previousGid) {
      // eslint-disable-next-line no-unsafe-finally
      throw new DumpError('io-error', 'Procscope could not restore its own file rights after creating the dump, so it stopped.');
    }
  }
}

/** An errno exception like Node's own, so core-file.ts maps it as it maps fs errors. */
function errnoException(errno: number, syscall: string, path: string): NodeJS.ErrnoException {
  const code = errnoName(errno);
  return Object.assign(new Error(`${code}: ${syscall} '${path}'`), { errno: -errno, code, syscall, path });
}

export interface CreatedFile {
  readonly fd: number;
  /** The inode made, so a later removal can tell it from whatever the requester may have put at its name. */
  readonly dev: bigint;
  readonly ino: bigint;
}

/**
 * Creates `name` in the folder (O_CREAT|O_EXCL|O_NOFOLLOW, 0600, read-write) with the folder's createAs rights:
 * the file belongs to the requester from birth, so root never hands a file over by path. Throws an errno exception
 * (EEXIST when the name is taken) or a DumpError.
 */
export function createFileInFolderSync(folder: LinuxOpenedFolder, name: string): CreatedFile {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw bad(`'${name}' is not a plain file name.`);
  }
  const fd = withFsIdsSync(folder.createAs, () => openatSync(folder.fd, name, CREATE_FLAGS, 0o600));
  if (fd < 0) throw errnoException(-fd, 'openat', `${folder.path}/${name}`);
  const st = fstatSync(fd, { bigint: true });
  const owner = folder.createAs?.uid ?? process.geteuid!();
  if (!st.isFile() || st.nlink !== 1n || st.uid !== BigInt(owner)) {
    closeSync(fd);
    throw new DumpError('io-error', `The new file ${folder.path}/${name} is not the plain file Procscope created, so it wrote nothing. Try again.`);
  }
  return { fd, dev: st.dev, ino: st.ino };
}

/**
 * Removes `name` from the folder if it is still the file we created (the requester may have renamed ours away and
 * put something else there), with the same createAs rights: never more than the requester could remove themselves.
 */
export function removeFileInFolderSync(folder: LinuxOpenedFolder, name: string, created: Pick<CreatedFile, 'dev' | 'ino'>): void {
  withFsIdsSync(folder.createAs, () => {
    const fd = openatSync(folder.fd, name, O_PATH | constants.O_NOFOLLOW | O_CLOEXEC, 0);
    if (fd < 0) return;
    const st = (() => {
      try {
        return fstatSync(fd, { bigint: true });
      } finally {
        closeSync(fd);
      }
    })();
    if (st.dev === created.dev && st.ino === created.ino) unlinkatSync(folder.fd, name);
  });
}
