/*
 * The minidump's own file, for the Windows writer: created exclusively under the first free name of the second
 * (dumpFileName attempts), owner-only for the person it is for; then hashed and, on failure, removed through its
 * handle. Given the elevated helper's opened folder it is created relative to that folder's handle, so no path is
 * resolved again; without one (the unelevated writer, which lends no rights) it is created by path.
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { win32 } from 'node:path';
import { DUMP_NAME_ATTEMPTS, dumpFileName, type DumpRequest } from '../../../src-shared/model/dump';
import { readTokenUserSid, withOwnerOnlySecurityDescriptor } from '../../platform/win32/ffi/advapi32';
import { createNewFileIn, markDeleteOnClose, NtStatus, readFileAtAsync } from '../../platform/win32/ffi/file-handles';
import { handleToFd } from '../../platform/win32/ffi/crt-fd';
import { createFileNew, currentProcess, getFileSize } from '../../platform/win32/ffi/kernel32';
import { WinError, type WinHandle } from '../../platform/win32/ffi/win-types';
import { DumpError, type Win32OpenedFolder } from '../dump-writer';

export interface DumpFile {
  readonly handle: WinHandle;
  /** Where it is, for the result and messages; never opened again when it was created in an opened folder. */
  readonly path: string;
  /** Whether the name may be used to remove it (only without an opened folder). */
  readonly byPath: boolean;
}

type CreateOutcome = { handle: WinHandle } | { taken: true } | { error: DumpError };

function createInFolder(folder: Win32OpenedFolder, name: string, sd: unknown): CreateOutcome {
  const { handle, status } = createNewFileIn(folder.handle, name, sd);
  if (handle) return { handle };
  if (status === NtStatus.OBJECT_NAME_COLLISION) return { taken: true };
  const path = win32.join(folder.path, name);
  if (status === NtStatus.DISK_FULL) return { error: new DumpError('disk-full', `The disk holding ${path} is full.`) };
  return { error: new DumpError('folder-unwritable', `Cannot create ${path} (NTSTATUS 0x${status.toString(16)}): choose another folder.`) };
}

function createByPath(path: string, sd: unknown): CreateOutcome {
  const { handle, error } = createFileNew(path, sd);
  if (handle) return { handle };
  if (error === WinError.FILE_EXISTS || error === WinError.ALREADY_EXISTS) return { taken: true };
  if (error === WinError.DISK_FULL || error === WinError.HANDLE_DISK_FULL) return { error: new DumpError('disk-full', `The disk holding ${path} is full.`) };
  return { error: new DumpError('folder-unwritable', `Cannot create ${path} (Windows error ${error}): choose another folder.`) };
}

/** One exclusive create by the dump's rules: relative to the opened folder's handle (the helper), else by path. */
function createOne(folder: Win32OpenedFolder | undefined, name: string, path: string, sd: unknown): CreateOutcome {
  return folder ? createInFolder(folder, name, sd) : createByPath(path, sd);
}

/**
 * Runs `use` with an owner-only security descriptor for the file's reader: `readerSid` (the elevated helper's
 * requester), or else the user we run as. Null when that user cannot be read.
 */
function withReaderDescriptor<T>(readerSid: string | undefined, use: (sd: unknown) => T): T | null {
  const sid = readerSid ?? readTokenUserSid(currentProcess());
  return sid ? withOwnerOnlySecurityDescriptor(sid, use) : null;
}

/**
 * Creates `<name>_<pid>_<stamp>_<kind>[_<n>].dmp` under the first attempt whose name is free, readable by
 * `readerSid` (the elevated helper's requester) or else by the user we run as. A taken name is never replaced;
 * 'file-exists' only when all DUMP_NAME_ATTEMPTS are taken.
 */
export function createDumpFile(
  request: DumpRequest,
  processName: string,
  options: { folder?: Win32OpenedFolder | undefined; readerSid?: string | undefined },
  at: Date | string = request.stamp ?? new Date(),
): DumpFile {
  const { folder } = options;
  const dir = folder ? folder.path : request.outDir;
  const file = withReaderDescriptor(options.readerSid, (sd): DumpFile => {
    for (let attempt = 1; attempt <= DUMP_NAME_ATTEMPTS; attempt++) {
      const name = dumpFileName(processName, request.pid, request.kind, 'dmp', at, attempt);
      const path = win32.join(dir, name);
      const outcome = createOne(folder, name, path, sd);
      if ('handle' in outcome) return { handle: outcome.handle, path, byPath: !folder };
      if ('error' in outcome) throw outcome.error;
    }
    const first = win32.join(dir, dumpFileName(processName, request.pid, request.kind, 'dmp', at));
    throw new DumpError('file-exists', `${first} and the next ${DUMP_NAME_ATTEMPTS - 1} names after it already exist: move some dumps away and try again.`);
  });
  if (!file) throw new DumpError('io-error', 'Could not read the current user, so the dump file cannot be made private.');
  return file;
}

/**
 * Creates the file `name` beside a dump by the dump's rules: in the same opened folder through its handle (the
 * helper) or by path (no rights lent), exclusively (a taken name or a planted link is never replaced nor
 * followed), owner-only for the same reader. Null when the name is taken or the folder refuses it.
 */
export function createSiblingFile(
  dir: string,
  name: string,
  options: { folder?: Win32OpenedFolder | undefined; readerSid?: string | undefined },
): DumpFile | null {
  const { folder } = options;
  const path = win32.join(folder ? folder.path : dir, name);
  return withReaderDescriptor(options.readerSid, (sd) => {
    const outcome = createOne(folder, name, path, sd);
    return 'handle' in outcome ? { handle: outcome.handle, path, byPath: !folder } : null;
  });
}

/**
 * Creates `path` as `createSiblingFile` does without an opened folder (exclusively, owner-only for the user we run
 * as: unelevated code only) and hands it over as a C runtime descriptor for Node's fs (crt-fd.ts): the upload
 * package's files, which hold the dump's secrets, are private from the moment they exist.
 */
export function createPrivateFileDescriptor(path: string): { fd: number } | { taken: true } | { error: string } {
  const outcome = withReaderDescriptor(undefined, (sd) => createByPath(path, sd));
  if (!outcome) return { error: `${path} cannot be made private: the current user could not be read.` };
  if ('taken' in outcome) return outcome;
  if ('error' in outcome) return { error: outcome.error.message };
  const fd = handleToFd(outcome.handle);
  if (fd === null) {
    discardDumpFile({ handle: outcome.handle, path, byPath: true });
    return { error: `${path} cannot be created: this executable gives no C runtime descriptor for a file it did not open itself (uv_open_osfhandle).` };
  }
  return { fd };
}

/**
 * Closes the file and removes it as the object we created (delete-on-close through the handle). Only a file made
 * by path, where no rights were lent, falls back to its name if the handle could not be marked.
 */
export function discardDumpFile(file: DumpFile): void {
  const marked = markDeleteOnClose(file.handle);
  file.handle.close();
  if (!marked && file.byPath) rmSync(file.path, { force: true });
}

const HASH_CHUNK_BYTES = 1 << 20;

/**
 * SHA-256 and size of the written dump, read back through its own handle (no name is opened). An abort stops it
 * between chunks with DumpError('cancelled'); the file is left as it is.
 */
export async function hashDumpFile(file: DumpFile, signal?: AbortSignal): Promise<{ sha256: string; fileBytes: number }> {
  const fileBytes = getFileSize(file.handle);
  const hash = createHash('sha256');
  const chunk = Buffer.alloc(HASH_CHUNK_BYTES);
  for (let offset = 0; offset < fileBytes; ) {
    if (signal?.aborted) throw new DumpError('cancelled', 'The hash was cancelled; the dump file is saved and kept.');
    const read = await readFileAtAsync(file.handle, offset, chunk.subarray(0, Math.min(HASH_CHUNK_BYTES, fileBytes - offset)));
    if (read === 0) throw new DumpError('io-error', `Could not read ${file.path} back to hash it.`);
    hash.update(chunk.subarray(0, read));
    offset += read;
  }
  return { sha256: hash.digest('hex'), fileBytes };
}
