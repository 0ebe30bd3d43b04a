/*
 * One dump file → its redacted report, as `procscope analyze` does it: open by magic, build, close. The host runs
 * this in a worker thread (analysis-worker-entry.ts) so a long analysis never holds its event loop; tests and the
 * fake host call it directly. Errors that describe the input (not a dump, malformed) are AnalysisInputFailure
 * with one sentence; anything else is a bug and keeps its own message.
 */
import type { AnalysisReport } from '../../../src-shared/model/analysis-report';
import { ElfFormatError } from '../elf/elf-format';
import { MinidumpFormatError } from '../minidump/minidump-reader';
import { UnwindDataError } from '../unwind/dwarf-cursor';
import { buildReport } from './build-report';
import { DumpInputError, openDump } from './open-dump';

export async function analyzeDumpFile(path: string, symbolFolders: readonly string[] = []): Promise<AnalysisReport> {
  const input = await openDump(path, { symbolFolders });
  try {
    return await buildReport(input, path);
  } finally {
    await input.close();
  }
}

/** True for the errors that say what is wrong with the file (the user's to fix), not with Procscope. */
export function isDumpFileError(err: unknown): boolean {
  return err instanceof DumpInputError || err instanceof ElfFormatError || err instanceof MinidumpFormatError || err instanceof UnwindDataError;
}
