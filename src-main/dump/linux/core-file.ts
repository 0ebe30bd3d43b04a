/*
 * The dump file on disk: created exclusively (O_CREAT|O_EXCL|O_RDWR, mode 0600) so an existing file is never
 * replaced, written with synchronous positional writes on the dump's thread so all-zero pages stay holes, sized at
 * the end with ftruncate, and removed on any failure. Also the up-front free-space check (statvfs via
 * fs.statfsSync). Maps errno codes to DumpErrors.
 */
import { closeSync, fstatSync, ftruncateSync, openSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import { DumpError } from '../dump-writer';

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

export function diskFullError(path: string): DumpError {
  return new DumpError('disk-full', `The disk holding ${path} is full. Free some space or choose another folder, then dump again.`);
}

export function toFileError(err: unknown, path: string): DumpError {
  if (err instanceof DumpError) return err;
  const code = errnoCode(err);
  if (code === 'ENOSPC' || code === 'EDQUOT') return diskFullError(path);
  return new DumpError('io-error', `Writing ${path} failed (${code || String(err)}). Check the disk and try again.`);
}

/** statvfs: refuse up front when the estimate (plus a margin) does not fit. */
export function checkFreeSpaceSync(dir: string, estimatedBytes: number): void {
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
      `The dump needs about ${mib(estimatedBytes)} but ${dir} has ${mib(freeBytes)} free. Free some space or choose another folder.`,
    );
  }
}

export interface CoreFile {
  readonly path: string;
  /** Open for writing; the hash worker reads back through it. Closed by finishSync or discardSync. */
  readonly fd: number;
  /** pwrite(2), all of it (a short write means the disk is full). */
  writeAtSync(buffer: Buffer, position: number): void;
  /** Sets the length (trailing holes), closes, and returns the allocated bytes (st_blocks × 512). */
  finishSync(lengthBytes: number): number;
  /** Close and unlink; safe to call more than once. */
  discardSync(): void;
}

export function createCoreFileSync(path: string): CoreFile {
  let fd: number;
  try {
    fd = openSync(path, 'wx+', 0o600); // read-write: the hash worker reads back what was written
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EEXIST') {
      throw new DumpError('file-exists', `${path} already exists. Procscope never overwrites a file: move it away or choose another folder.`);
    }
    if (code === 'ENOSPC' || code === 'EDQUOT') throw diskFullError(path);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOENT' || code === 'ENOTDIR') {
      throw new DumpError('folder-unwritable', `Procscope cannot create a file in that folder (${code}). Choose a folder you can write to.`);
    }
    throw toFileError(err, path);
  }
  let open = true;
  return {
    path,
    fd,
    writeAtSync(buffer, position) {
      // On the caller's thread, one after another: handing writes to the libuv pool cost a thread wake-up per
      // batch (seconds per GiB on a loaded 2-core machine), and concurrent pwrites contend on the inode lock.
      let done = 0;
      while (done < buffer.length) {
        let n: number;
        try {
          n = writeSync(fd, buffer, done, Math.min(MAX_WRITE_BYTES, buffer.length - done), position + done);
        } catch (err) {
          throw toFileError(err, path);
        }
        if (n <= 0) throw diskFullError(path);
        done += n;
      }
    },
    finishSync(lengthBytes) {
      try {
        ftruncateSync(fd, lengthBytes);
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
        unlinkSync(path);
      } catch {
        // never created or already gone
      }
    },
  };
}
