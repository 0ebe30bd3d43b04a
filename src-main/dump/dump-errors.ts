/*
 * Turns whatever a dump attempt threw into a DumpErrorInfo: a code and a sentence with the next step, for the
 * jobs panel, the CLI and the helper channel alike. Writers already throw DumpError with good sentences; this
 * file covers the rest (file-system errors, surprises) and must never pass a stack trace to a person.
 */
import type { DumpErrorInfo } from '../../src-shared/model/dump';
import { DumpError } from './dump-writer';

export function toDumpErrorInfo(err: unknown): DumpErrorInfo {
  if (err instanceof DumpError) return { code: err.code, message: err.message };
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return { code: 'disk-full', message: 'The disk is full. Free some space or choose a folder on another disk, then try again.' };
    case 'EEXIST':
      return { code: 'file-exists', message: 'A file with that name already exists. Choose another folder or name.' };
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return { code: 'folder-unwritable', message: 'Procscope may not write into that folder. Choose a folder you can write to.' };
    case 'ENOENT':
    case 'ENOTDIR':
      return { code: 'folder-unwritable', message: 'The folder does not exist any more. Choose an existing folder.' };
    case 'ABORT_ERR':
      return cancelledInfo();
    default: {
      // The first line of the message only: some errors embed a stack or a multi-line dump of their state.
      const raw = err instanceof Error ? err.message : String(err);
      const firstLine = (raw.split('\n')[0] ?? '').trim().slice(0, 300) || 'an unknown error';
      return { code: 'io-error', message: `The dump failed: ${firstLine.replace(/\.$/, '')}. Try again; if it fails again, report it with this message.` };
    }
  }
}

export function cancelledInfo(): DumpErrorInfo {
  return { code: 'cancelled', message: 'The dump was cancelled and its partial file removed.' };
}

export function elevationCancelledInfo(): DumpErrorInfo {
  return { code: 'elevation-cancelled', message: 'Elevation was cancelled, so nothing was dumped. Retry as administrator when you are ready.' };
}
