/*
 * Writes the analysis pack beside a Windows minidump (`<name>.dmp.pack`; what it holds: analysis/modules/pe-pack.ts,
 * what goes in: win32-pack-build.ts), so a mini dump unwinds by .pdata/UNWIND_INFO and names its frames by exports
 * on a machine without the target's files. Runs after the dump is written and hashed (the target runs again; its
 * pause is not lengthened). The module list is read back from the dump through the dump's own handle; each module's
 * file is opened once and used only if its headers carry the dumped TimeDateStamp and SizeOfImage and its .pdata and
 * export directory equal the target's loaded ones (read through `target`, the dump's process handle). The pack is
 * created like the dump (win32-dump-file.ts createSiblingFile: exclusively, owner-only for the requester, in the
 * helper's opened folder through its handle), written through its handle, and removed through it on failure.
 */
import { win32 } from 'node:path';
import { PACK_SUFFIX } from '../../analysis/modules/analysis-pack-format';
import { readFileAtAsync, writeFileAtSync } from '../../platform/win32/ffi/file-handles';
import { getFileSize, readProcessMemory } from '../../platform/win32/ffi/kernel32';
import type { WinHandle } from '../../platform/win32/ffi/win-types';
import type { Win32OpenedFolder } from '../dump-writer';
import { createSiblingFile, discardDumpFile, type DumpFile } from './win32-dump-file';
import { buildWin32Pack, readDumpedModules } from './win32-pack-build';

export interface Win32PackResult {
  path: string;
  lengthBytes: number;
  modules: number;
  skipped: string[];
}

/** Builds and writes the pack of `dump` (still open). Null when nothing could be packed or the name is taken. */
export async function writeWin32AnalysisPack(
  dump: DumpFile,
  options: { folder?: Win32OpenedFolder | undefined; readerSid?: string | undefined; signal?: AbortSignal | undefined; target: WinHandle },
): Promise<Win32PackResult | null> {
  const dumpBytes = getFileSize(dump.handle);
  const modules = await readDumpedModules(async (offset, length) => {
    if (offset < 0 || length <= 0 || offset + length > dumpBytes) return null;
    const b = Buffer.alloc(length);
    return (await readFileAtAsync(dump.handle, offset, b)) === length ? b : null;
  });
  const built = await buildWin32Pack(modules, { signal: options.signal, loadedBytes: (address, length) => readProcessMemory(options.target, address, length) });
  if (!built.bytes || options.signal?.aborted) return null;
  const name = `${win32.basename(dump.path)}${PACK_SUFFIX}`;
  const file = createSiblingFile(win32.dirname(dump.path), name, { folder: options.folder, readerSid: options.readerSid });
  if (!file) return null;
  if (!writeFileAtSync(file.handle, 0, built.bytes)) {
    discardDumpFile(file);
    return null;
  }
  file.handle.close();
  return { path: file.path, lengthBytes: built.bytes.length, modules: built.modules, skipped: built.skipped };
}
