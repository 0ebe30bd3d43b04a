/*
 * What a dump file says about its process, for the manifest of `procscope pack FILE` (a file with no job behind
 * it): name, pid, start time and kind, read from the headers and notes only (the ELF core's NT_PRPSINFO and
 * Procscope note, the minidump's MiscInfo, first module and flags), never the memory. A field the dump does not hold,
 * or a dump the readers cannot parse, gives null: the package is still made, the manifest says "not recorded".
 */
import type { UploadPackageSource } from '../../../src-shared/model/upload-package';
import { openElfCore } from '../../analysis/elf/elf-core-reader';
import { openMinidump } from '../../analysis/minidump/minidump-reader';

const MINIDUMP_WITH_FULL_MEMORY = 0x2n;

const NOTHING: UploadPackageSource = { processName: null, pid: null, startTimeMs: null, kind: null, mode: null, pauseMs: null, sha256: null };

export async function readDumpIdentity(path: string, format: 'elf-core' | 'minidump'): Promise<UploadPackageSource> {
  try {
    if (format === 'elf-core') {
      const core = await openElfCore(path);
      try {
        const kind = core.procscope?.dumpKind;
        return {
          ...NOTHING,
          processName: core.process?.fileName || null,
          pid: core.process?.pid ?? null,
          startTimeMs: core.procscope?.processStartTimeMs ?? null,
          kind: kind === 'full' || kind === 'mini' ? kind : null,
        };
      } finally {
        await core.close();
      }
    }
    const md = await openMinidump(path);
    try {
      const first = md.modules[0];
      return {
        ...NOTHING,
        processName: first ? (first.path.split(/[\\/]/).pop() ?? first.name) || null : null,
        pid: md.processId ?? md.miscInfo?.processId ?? null,
        startTimeMs: md.miscInfo?.processCreateTimeMs ?? null,
        kind: (md.flags & MINIDUMP_WITH_FULL_MEMORY) !== 0n ? 'full' : 'mini',
      };
    } finally {
      await md.close();
    }
  } catch {
    return NOTHING;
  }
}
