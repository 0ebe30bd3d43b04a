/*
 * Checks a DumpRequest before anything is opened: it may come from the elevated helper's channel, so nothing in it
 * is trusted. Pure apart from one stat of the output folder, which is skipped when the writer was handed the folder
 * already opened (the path is then not looked at again). Throws DumpError('bad-request' | 'folder-unwritable').
 */
import { statSync } from 'node:fs';
import { win32 } from 'node:path';
import type { DumpRequest } from '../../../src-shared/model/dump';
import { DumpError } from '../dump-writer';

export function validateDumpRequest(
  request: DumpRequest,
  isAbsolute: (p: string) => boolean = win32.isAbsolute,
  { folderExists = true }: { folderExists?: boolean } = {},
): void {
  if (typeof request !== 'object' || request === null) throw new DumpError('bad-request', 'The dump request is empty.');
  const { pid, startTimeMs, kind, outDir } = request;
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid > 0xffffffff) {
    throw new DumpError('bad-request', `${String(pid)} is not a Windows process id.`);
  }
  if (pid === 4) throw new DumpError('bad-request', 'The System process (pid 4) is the kernel: it cannot be dumped with MiniDumpWriteDump.');
  if (!Number.isSafeInteger(startTimeMs) || startTimeMs < 0) {
    throw new DumpError('bad-request', 'The request has no valid process start time, so the target cannot be checked.');
  }
  if (kind !== 'full' && kind !== 'mini') throw new DumpError('bad-request', `Unknown dump kind '${String(kind)}': use full or mini.`);
  if (typeof outDir !== 'string' || !outDir || outDir.includes('\0') || !isAbsolute(outDir)) {
    throw new DumpError('bad-request', `The output folder must be an absolute path, not '${String(outDir)}'.`);
  }
  if (!folderExists) return;
  let isDir: boolean;
  try {
    isDir = statSync(outDir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new DumpError('folder-unwritable', `The output folder ${outDir} does not exist.`);
}
