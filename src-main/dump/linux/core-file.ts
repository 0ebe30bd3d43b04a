/*
 * The dump file on disk: created exclusively (O_CREAT|O_EXCL, mode 0600) so an existing file is never replaced —
 * under the next free name (`…_2.core`, …) when one is taken — written with synchronous positional writes on the
 * dump's thread so all-zero pages stay holes, sized at the end with ftruncate, and removed on any failure. Given an
 * opened folder (the root helper, root's CLI) it creates and removes relative to that descriptor with the
 * requester's rights and never resolves the folder's path again. Also the up-front free-space check (statvfs via
 * fs.statfsSync) and the errno → DumpError mapping.
 */
import { closeSync, fstatSync, ftruncateSync, lstatSync, openSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DUMP_NAME_ATTEMPTS } from '../../../src-shared/model/dump';
import { DumpError, type LinuxOpenedFolder } from '../dump-writer';
import { createFileInFolderSync, removeFileInFolderSync } from './opened-folder';

/**
 * Largest single write. Measured on this kernel (6.18, ext4): 1 GiB in 1 MiB pwrites takes 0.3-0.6 s, in 2 or 4 MiB
 * pwrites 3.7-5 s — larger writes make the page cache allocate large folios, which here means compaction.
 */
const MAX_WRITE_BYTES = 1024 * 1024;

/** Leave this much free on the file system beyond the estimate. */
const FREE_SPACE_MARGIN_BYTES = 64 * 1024 * 1024;

function errnoCode(err: unknown): string {
  return (err as NodeJS.ErrnoException | null)?.code ?? '';
}

/**
 * pwrite(2) of all `length` bytes of `buffer` from `offset` at file `position`, in writes of at most MAX_WRITE_BYTES.
 * Throws the errno exception as it comes, and a write that takes nothing as ENOSPC (the disk is full).
 */
export function writeAllAtSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    const n = writeSync(fd, buffer, offset + done, Math.min(MAX_WRITE_BYTES, length - done), position + done);
    if (n <= 0) throw Object.assign(new Error('a write took no bytes'), { code: 'ENOSPC' });
    done += n;
  }
}

export function diskFullError(path: string): DumpError {
  return new DumpError('disk-full', `The disk holding ${path} is full. Free some space or choose another folder, then dump again.`);
}

export function toFileError(err: unknown, path: string): DumpError {
  if (err instanceof DumpError) return err;
  const code = errnoCode(err);
  if (code === 'ENOSPC' || code === 'EDQUOT') return diskFullError(path);
  return new DumpError('io-error', `Writing ${path} failed (${code || String(err)}). Check the disk and try again.`);
}

/** statvfs: refuse up front when the estimate (plus a margin) does not fit. `shownDir` names `dir` in the sentence. */
export function checkFreeSpaceSync(dir: string, estimatedBytes: number, shownDir = dir): void {
  let freeBytes: number;
  try {
    const s = statfsSync(dir);
    freeBytes = Number(s.bavail) * Number(s.bsize);
  } catch {
    return; // the open that follows reports a missing or unreadable folder precisely
  }
  if (freeBytes < estimatedBytes + FREE_SPACE_MARGIN_BYTES) {
    const mib = (n: number): string => `${Math.ceil(n / 2 ** 20)} MiB`;
    throw new DumpError(
      'disk-full',
      `The dump needs about ${mib(estimatedBytes)} but ${shownDir} has ${mib(freeBytes)} free. Free some space or choose another folder.`,
    );
  }
}

export interface CoreFile {
  readonly path: string;
  /** Open for writing; the hash worker reads back through it. Closed by finishSync or discardSync. */
  readonly fd: number;
  /** pwrite(2), all of it (a short write means the disk is full). */
  writeAtSync(buffer: Buffer, position: number): void;
  /**
   * Sets the length (trailing holes) and returns the allocated bytes (st_blocks × 512), leaving it open: the file
   * is complete, and the hash worker may still read it back through the same descriptor.
   */
  completeSync(lengthBytes: number): number;
  /** Sets the length (trailing holes), closes, and returns the allocated bytes (st_blocks × 512). */
  finishSync(lengthBytes: number): number;
  /** Close and remove the file if its name still holds it; safe to call more than once. */
  discardSync(): void;
}

function createError(err: unknown, path: string): DumpError {
  if (err instanceof DumpError) return err;
  const code = errnoCode(err);
  if (code === 'ENOSPC' || code === 'EDQUOT') return diskFullError(path);
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOENT' || code === 'ENOTDIR') {
    return new DumpError('folder-unwritable', `Procscope cannot create a file in that folder (${code}). Choose a folder you can write to.`);
  }
  return toFileError(err, path);
}

/**
 * Creates the first free name of `nameOf(1)`, `nameOf(2)`, … up to DUMP_NAME_ATTEMPTS in `outDir` — or, given
 * `folder`, relative to its descriptor (`outDir` is then not used). 'file-exists' only when every name is taken.
 */
export function createCoreFileSync(outDir: string, nameOf: (attempt: number) => string, folder?: LinuxOpenedFolder): CoreFile {
  const dir = folder?.path ?? outDir;
  for (let attempt = 1; attempt <= DUMP_NAME_ATTEMPTS; attempt++) {
    const name = nameOf(attempt);
    try {
      return createNamedFileSync(outDir, name, folder);
    } catch (err) {
      if (errnoCode(err) === 'EEXIST') continue;
      throw createError(err, join(dir, name));
    }
  }
  throw new DumpError(
    'file-exists',
    `${join(dir, nameOf(1))} already exists, and so do the ${DUMP_NAME_ATTEMPTS - 1} names Procscope tries after it. ` +
      'Procscope never overwrites a file: move them away or choose another folder.',
  );
}

/**
 * Creates exactly `name` (no numbered fallback) with the same rules: O_CREAT|O_EXCL (a link at the name is never
 * followed), 0600, in `folder` with the requester's rights when given. Throws the errno exception (EEXIST when the
 * name is taken) or a DumpError. The analysis pack beside a core is created this way.
 */
export function createNamedFileSync(outDir: string, name: string, folder?: LinuxOpenedFolder): CoreFile {
  const path = join(folder?.path ?? outDir, name);
  if (folder) {
    const created = createFileInFolderSync(folder, name);
    return openedCoreFile(path, created.fd, () => removeFileInFolderSync(folder, name, created));
  }
  const fd = openSync(path, 'wx+', 0o600); // read-write: the hash worker reads back what was written
  const made = fstatSync(fd, { bigint: true });
  return openedCoreFile(path, fd, () => {
    // Only our own file: someone may have moved it and put another at its name.
    const now = lstatSync(path, { bigint: true });
    if (now.dev === made.dev && now.ino === made.ino) unlinkSync(path);
  });
}

function openedCoreFile(path: string, fd: number, removeSync: () => void): CoreFile {
  let open = true;
  return {
    path,
    fd,
    writeAtSync(buffer, position) {
      // On the caller's thread: the headers and the pack. The core's memory goes through write-behind.ts.
      try {
        writeAllAtSync(fd, buffer, 0, buffer.length, position);
      } catch (err) {
        throw toFileError(err, path); // ENOSPC, also a write that took nothing: disk-full
      }
    },
    completeSync(lengthBytes) {
      try {
        ftruncateSync(fd, lengthBytes);
        return fstatSync(fd).blocks * 512;
      } catch (err) {
        throw toFileError(err, path);
      }
    },
    finishSync(lengthBytes) {
      try {
        // A file completeSync already sized is left as it is: a second ftruncate bumps its mtime, which makes a
        // saved dump look changed to whoever checked it at "saved" (an analysis, an upload package).
        if (fstatSync(fd).size !== lengthBytes) ftruncateSync(fd, lengthBytes);
        const blocks = fstatSync(fd).blocks;
        closeSync(fd);
        open = false;
        return blocks * 512;
      } catch (err) {
        throw toFileError(err, path);
      }
    },
    discardSync() {
      if (open) {
        open = false;
        try {
          closeSync(fd);
        } catch {
          // already closed
        }
      }
      try {
        removeSync();
      } catch {
        // already gone
      }
    },
  };
}
