/*
 * Turns a capture watch's `dump` event into the DumpResult of a finished dump job (issue 12), for the dump engine's
 * recordCaptureDump: the capture engine wrote the file, so nothing here writes, moves or deletes anything. The event
 * comes from a runner in another process (possibly the elevated helper), so the file is looked at again: it must be
 * a regular file reached without a link, as long as the event says, and start like a core or a minidump.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { CaptureTrigger } from '../../src-shared/model/capture';
import type { DumpErrorInfo, DumpKind, DumpResult } from '../../src-shared/model/dump';

/** What a watch's `dump` event says about one file, with the watch and the process it belongs to. */
export interface CaptureDumpRecord {
  watchId: string;
  trigger: CaptureTrigger;
  pid: number;
  /** The dumped process's start time as the watch saw it (0 when the watch never reported it). */
  startTimeMs: number;
  name: string;
  kind: DumpKind;
  path: string;
  fileBytes: number;
  sha256: string;
  targetPauseMs: number;
  unreadableBytes: number;
  /** True when the watch ran in the elevated helper. */
  elevated: boolean;
}

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const MDMP_MAGIC = Buffer.from('MDMP', 'latin1');

/** The result to record, or the sentence saying why the file cannot stand as a finished dump. */
export async function checkCaptureDumpFile(record: CaptureDumpRecord): Promise<{ result: DumpResult } | { error: DumpErrorInfo }> {
  const fail = (why: string): { error: DumpErrorInfo } => ({
    error: { code: 'io-error', message: `The capture dump ${record.path} ${why}, so it is listed as failed.` },
  });
  // O_NOFOLLOW: a link planted where the file should be is refused instead of followed (0 where the OS lacks it).
  let handle;
  try {
    handle = await open(record.path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return fail('is not there any more');
    if (code === 'ELOOP') return fail('is a link, not the file the watch wrote');
    return fail(`could not be opened (${code ?? String(err)})`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return fail('is not a regular file');
    if (stat.size !== record.fileBytes) return fail(`is ${stat.size} bytes long, not the ${record.fileBytes} bytes the watch reported`);
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    const format = bytesRead === 4 && head.equals(ELF_MAGIC) ? 'elf-core' : bytesRead === 4 && head.equals(MDMP_MAGIC) ? 'minidump' : null;
    if (!format) return fail('is neither an ELF core nor a minidump');
    // Blocks are what the file takes on disk (a core is sparse); where the OS reports none, its length stands in.
    const bytesOnDisk = Number.isFinite(stat.blocks) && stat.blocks > 0 ? stat.blocks * 512 : stat.size;
    return {
      result: {
        path: record.path,
        kind: record.kind,
        pid: record.pid,
        bytesOnDisk,
        fileBytes: stat.size,
        sha256: record.sha256,
        // The process was held for the whole write, so the pause is also how long the dump took.
        durationMs: record.targetPauseMs,
        targetPauseMs: record.targetPauseMs,
        unreadableBytes: record.unreadableBytes,
        method: 'live',
        format,
      },
    };
  } finally {
    await handle.close();
  }
}
