/*
 * Writes the analysis pack beside a Linux core (`<core>.pack`, format in analysis/modules/analysis-pack-format.ts):
 * per mapped module its unwind tables and function symbols, so a mini core unwinds by CFI and names its frames on a
 * machine that has none of the target's files. Runs after the last byte of the target's memory is read and the
 * threads are let go, so it never lengthens the pause. Identity: a module is packed only if the file opened at its
 * /proc/PID/maps path now is the mapped one — the same inode the maps line named at dump time, and the build id the
 * core's own copy of its header page holds (read back from the core we just wrote). A file that differs, has no
 * build id, or was deleted is left out. The path is resolved once, without following a final link and without
 * opening what it names (O_PATH: a FIFO or a device the target's owner put there is neither blocked on nor
 * touched); only a regular file with the mapped inode is then opened for reading, through that descriptor
 * (/proc/self/fd), never by the path again. The pack is created like the core (core-file.ts: O_CREAT|O_EXCL, 0600, the
 * requester's rights in an opened folder), never over an existing name or through a planted link.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { encodeAnalysisPack, PACK_SUFFIX, REGION_EH_FRAME, REGION_EH_FRAME_HDR, type PackModule, type PackRegion, type PackSymbol } from '../../analysis/modules/analysis-pack-format';
import { ElfFile, readImageHeaders, type ImageReader } from '../../analysis/modules/elf-image';
import { ElfFormatError, SHT_DYNSYM, SHT_NOBITS, SHT_SYMTAB } from '../../analysis/elf/elf-format';
import type { LinuxOpenedFolder } from '../dump-writer';
import { createNamedFileSync, type CoreFile } from './core-file';
import { O_CLOEXEC, O_PATH } from './ffi/libc-files';
import type { LoadSegment } from './elf-core-layout';
import { isFileBacked, type ProcMapping } from './proc-maps';


export interface AnalysisPackInput {
  /** The core being written, still open: the header pages are read back from it. */
  coreFd: number;
  corePath: string;
  /** The core's segments with their file offsets (layoutCore set them). */
  segments: readonly LoadSegment[];
  /** /proc/PID/maps at dump time. */
  maps: readonly ProcMapping[];
  folder?: LinuxOpenedFolder;
  signal?: AbortSignal;
}

export interface AnalysisPackResult {
  /** The pack, open and written but not yet closed: the caller finishes it with the core, or discards it. */
  file: CoreFile;
  lengthBytes: number;
  modules: number;
  /** Modules left out, one sentence each. */
  skipped: string[];
}

/** Reads the dumped memory of one module from the core: module-relative address → core file offset. */
function coreReader(fd: number, segments: readonly LoadSegment[], base: number): ImageReader {
  return async (at, length) => {
    const addr = base + Number(at);
    const s = segments.find((x) => x.fileBytes > 0 && addr >= x.vaddr && addr + length <= x.vaddr + x.fileBytes);
    if (!s || length > 1024 * 1024) return null;
    const out = Buffer.alloc(length);
    return readSync(fd, out, 0, length, s.fileOffset + (addr - s.vaddr)) === length ? out : null;
  };
}

/**
 * Every function symbol of the file, as ElfFile names them (its choice among aliases): the starts come from one
 * pass over the same table ElfFile reads (.symtab, else .dynsym; STT_FUNC/STT_GNU_IFUNC, defined), each name from
 * its lookup.
 */
async function functionSymbols(file: ElfFile): Promise<PackSymbol[]> {
  const table = file.sections.find((s) => s.type === SHT_SYMTAB) ?? file.sections.find((s) => s.type === SHT_DYNSYM);
  if (!table || table.type === SHT_NOBITS) return [];
  const raw = await file.src.read(table.offset, table.sizeBytes, `${file.src.path}'s symbol table`);
  const named = await file.symbols();
  const base = file.headers.vaddrBase;
  const out: PackSymbol[] = [];
  const seen = new Set<bigint>();
  for (let o = 0; o + 24 <= raw.length; o += 24) {
    const kind = raw[o + 4]! & 0xf;
    if ((kind !== 2 && kind !== 10) || raw.readUInt16LE(o + 6) === 0) continue;
    const value = raw.readBigUInt64LE(o + 8);
    if (value < base || seen.has(value)) continue;
    seen.add(value);
    const sym = named.get(value - base);
    if (sym) out.push({ rva: sym.rva, sizeBytes: sym.sizeBytes, name: sym.name });
  }
  return out;
}

async function packModule(input: AnalysisPackInput, m: ProcMapping, skipped: string[]): Promise<PackModule | null> {
  const headers = await readImageHeaders(coreReader(input.coreFd, input.segments, m.startAddr), 'memory', m.path).catch((err: unknown) => {
    if (err instanceof ElfFormatError) return null;
    throw err;
  });
  if (!headers) return null; // not ELF (a font, a locale archive) or its header page was not dumped
  if (!headers.buildId) {
    skipped.push(`${m.path}: no build id in the dumped header, so no file can be proven to be the mapped one.`);
    return null;
  }
  let file: ElfFile;
  let pathFd = -1;
  try {
    pathFd = openSync(m.path, O_PATH | constants.O_NOFOLLOW | O_CLOEXEC);
    const st = fstatSync(pathFd);
    // Inode and device: an inode number alone may repeat on another file system (a directory of the path swapped
    // for a link into one the requester cannot read).
    if (!st.isFile() || st.ino !== m.inode || st.dev !== m.dev) {
      skipped.push(`${m.path}: the file there now is not the one that was mapped (not a regular file, or another inode or device).`);
      return null;
    }
    file = await ElfFile.open(`/proc/self/fd/${pathFd}`);
  } catch (err) {
    skipped.push(`${m.path}: not read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
    return null;
  } finally {
    if (pathFd >= 0) closeSync(pathFd);
  }
  try {
    const st = await file.src.stat();
    if (st.ino !== m.inode || st.dev !== m.dev || file.headers.buildId !== headers.buildId) {
      skipped.push(`${m.path}: the file there now is not the one that was mapped (inode or build id differs).`);
      return null;
    }
    const regions: PackRegion[] = [];
    for (const [name, kind] of [['.eh_frame_hdr', REGION_EH_FRAME_HDR], ['.eh_frame', REGION_EH_FRAME]] as const) {
      const s = file.section(name);
      if (!s || s.type === SHT_NOBITS || s.addr < file.headers.vaddrBase || s.sizeBytes === 0) continue;
      const rva = s.addr - file.headers.vaddrBase;
      const bytes = await file.readRva(rva, s.sizeBytes);
      if (bytes) regions.push({ kind, rva, bytes });
    }
    const symbols = await functionSymbols(file);
    if (regions.length === 0 && symbols.length === 0) return null;
    return { path: m.path, buildId: headers.buildId, base: BigInt(m.startAddr), regions, symbols };
  } catch (err) {
    if (!(err instanceof ElfFormatError)) throw err;
    skipped.push(`${m.path}: ${err.message}`);
    return null;
  } finally {
    await file.close();
  }
}

/**
 * Builds and writes the pack for a core. Returns null when no module could be packed or the pack's name is taken
 * (a file or a link already there: never replaced, never followed). Throws only on cancel or a write error, after
 * removing its own file.
 */
export async function writeAnalysisPack(input: AnalysisPackInput): Promise<AnalysisPackResult | null> {
  const skipped: string[] = [];
  const modules: PackModule[] = [];
  const seen = new Set<string>();
  for (const m of input.maps) {
    if (!isFileBacked(m) || m.fileOffset !== 0 || m.path.endsWith(' (deleted)')) continue;
    const key = `${m.startAddr}:${m.path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (input.signal?.aborted) return null;
    const packed = await packModule(input, m, skipped);
    if (packed) modules.push(packed);
  }
  if (modules.length === 0 || input.signal?.aborted) return null;
  const bytes = encodeAnalysisPack(modules);
  const name = `${basename(input.corePath)}${PACK_SUFFIX}`;
  let file: CoreFile;
  try {
    file = createNamedFileSync(input.folder ? input.folder.path : dirname(input.corePath), name, input.folder);
  } catch {
    skipped.push(`${name}: the name is taken (or the folder refused it), so no pack was written.`);
    return null;
  }
  try {
    file.writeAtSync(bytes, 0);
  } catch (err) {
    file.discardSync();
    throw err;
  }
  return { file, lengthBytes: bytes.length, modules: modules.length, skipped };
}
