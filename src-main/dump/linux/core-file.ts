/*
 * The dump file on disk: created exclusively (O_CREAT|O_EXCL, mode 0600) so an existing file is never replaced,
 * written with positional writes so all-zero pages stay holes, sized at the end with ftruncate, and removed on any
 * failure. Also the up-front free-space check (statvfs via fs.statfsSync). Maps errno codes to DumpErrors.
 */
import { closeSync, fstatSync, ftruncateSync, openSync, statfsSync, unlinkSync, write } from 'node:fs';
import { DumpError } from '../dump-writer';

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
  /** pwrite(2) through the libuv pool; `buffer` must stay untouched until the promise settles. */
  writeAt(buffer: Buffer, position: number): Promise<void>;
  /** Sets the length (trailing holes), closes, and returns the allocated bytes (st_blocks × 512). */
  finishSync(lengthBytes: number): number;
  /** Close and unlink; safe to call more than once. */
  discardSync(): void;
}

export function createCoreFileSync(path: string): CoreFile {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
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
    writeAt(buffer, position) {
      return new Promise<void>((resolve, reject) => {
        write(fd, buffer, 0, buffer.length, position, (err, written) => {
          if (err) reject(toFileError(err, path));
          else if (written !== buffer.length) reject(diskFullError(path));
          else resolve();
        });
      });
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
