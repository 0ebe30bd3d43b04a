/*
 * Opens a dump file as an AnalysisInput by its magic: "\x7fELF" → the ELF core reader, "MDMP" → the minidump
 * reader. Reads the first bytes only; the readers themselves read by position, so a multi-GiB dump is never
 * loaded whole. A file that is neither is refused with one sentence (DumpInputError).
 */
import { open } from 'node:fs/promises';
import type { AnalysisInput } from '../dump-analysis-input';
import { openElfAnalysisInput } from '../elf/elf-analysis-input';
import { openMinidumpAnalysisInput } from '../minidump/minidump-analysis-input';

export class DumpInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DumpInputError';
  }
}

export interface OpenDumpOptions {
  /** Folders holding module files (searched by build id, then name), in order. */
  symbolFolders?: readonly string[];
  /** The analysis pack to use instead of the `<dump>.pack` beside the core or minidump. */
  packPath?: string;
}

export type DumpFileKind = 'elf-core' | 'minidump';

export async function detectDumpKind(path: string): Promise<{ kind: DumpFileKind; fileBytes: number }> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DumpInputError(`${path} does not exist.`);
    if (code === 'EISDIR') throw new DumpInputError(`${path} is a folder, not a dump file.`);
    if (code === 'EACCES' || code === 'EPERM') throw new DumpInputError(`${path} cannot be read: permission denied.`);
    throw new DumpInputError(`${path} cannot be opened: ${(err as Error).message}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new DumpInputError(`${path} is not a regular file.`);
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    if (bytesRead === 4 && head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) return { kind: 'elf-core', fileBytes: st.size };
    if (bytesRead === 4 && head.toString('latin1') === 'MDMP') return { kind: 'minidump', fileBytes: st.size };
    throw new DumpInputError(`${path} is not a dump: it starts with neither an ELF header (a Linux core) nor MDMP (a Windows minidump).`);
  } finally {
    await fh.close();
  }
}

export async function openDump(path: string, options: OpenDumpOptions = {}): Promise<AnalysisInput> {
  const { kind } = await detectDumpKind(path);
  if (kind === 'elf-core') return openElfAnalysisInput(path, { symbolFolders: options.symbolFolders ?? [], ...(options.packPath ? { packPath: options.packPath } : {}) });
  return openMinidumpAnalysisInput(path, { symbolFolders: options.symbolFolders ?? [], ...(options.packPath ? { packPath: options.packPath } : {}) });
}
