/*
 * What goes into a Windows minidump's analysis pack, decided without koffi (so the Linux tests run it on synthetic
 * dumps and PE files): the module list read back from the dump just written (its ModuleList stream: path, base,
 * SizeOfImage, TimeDateStamp — the identity the analysis will compare), and per module the entry of
 * analysis/modules/pe-pack.ts built from its file. Each file is opened once and read only through that handle;
 * it is used only when it is a regular file whose own headers carry the dump's TimeDateStamp and SizeOfImage
 * (another build at that path, or a file swapped in since the load, would unwind another program), and — given the
 * target's memory (the writer still holds it open) — only if its .pdata and export directory are byte for byte the
 * loaded image's: both are read-only and never relocated, and .pdata lists every function of that build, so a file
 * that merely shares the two header fields (a path swapped to another file the requester may not read, in the
 * elevated helper) is left out. The pack is capped at PACK_CAP_BYTES of content: modules past the cap are left out,
 * each named.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { encodeAnalysisPack, type PackModule } from '../../analysis/modules/analysis-pack-format';
import { buildPePackModule } from '../../analysis/modules/pe-pack';
import { PE_HEADER_PROBE_BYTES, PeFormatError, PeImage, parsePeHeaders, IMAGE_FILE_MACHINE_AMD64, type PeHeaders } from '../../analysis/pe/pe-image';

/** Content bytes (before deflate) a pack may hold: below the reader's 64 MiB file limit even if nothing shrinks. */
export const PACK_CAP_BYTES = 60 * 2 ** 20;
const MDMP_SIGNATURE = 0x504d444d;
const MODULE_LIST_STREAM = 4;
const MODULE_BYTES = 108;
const MAX_MODULES = 4096;

export interface DumpedModule {
  path: string;
  base: bigint;
  sizeOfImage: number;
  timeDateStamp: number;
}

/** Positional reads of the dump file (through its handle in the writer). */
export type DumpReader = (offset: number, length: number) => Promise<Buffer | null>;

/** The ModuleList of a minidump; [] when the dump has none or it is malformed (then no pack is written). */
export async function readDumpedModules(read: DumpReader): Promise<DumpedModule[]> {
  const header = await read(0, 32);
  if (!header || header.readUInt32LE(0) !== MDMP_SIGNATURE) return [];
  const streams = header.readUInt32LE(8);
  if (streams > 1024) return [];
  const dir = await read(header.readUInt32LE(12), streams * 12);
  if (!dir) return [];
  for (let i = 0; i < streams; i++) {
    if (dir.readUInt32LE(i * 12) !== MODULE_LIST_STREAM) continue;
    const rva = dir.readUInt32LE(i * 12 + 8);
    const countBytes = await read(rva, 4);
    if (!countBytes) return [];
    const count = countBytes.readUInt32LE(0);
    if (count > MAX_MODULES) return [];
    const list = await read(rva + 4, count * MODULE_BYTES);
    if (!list) return [];
    const out: DumpedModule[] = [];
    for (let m = 0; m < count; m++) {
      const o = m * MODULE_BYTES;
      const nameRva = list.readUInt32LE(o + 20);
      const len = (await read(nameRva, 4))?.readUInt32LE(0) ?? 0;
      const name = len > 0 && len <= 2 * 4096 ? await read(nameRva + 4, len) : null;
      if (!name) continue;
      out.push({ path: name.toString('utf16le'), base: list.readBigUInt64LE(o), sizeOfImage: list.readUInt32LE(o + 8), timeDateStamp: list.readUInt32LE(o + 16) });
    }
    return out;
  }
  return [];
}

export interface Win32PackBuild {
  /** The encoded pack; null when no module could be packed. */
  bytes: Buffer | null;
  modules: number;
  /** Modules left out (or packed in part), one sentence each. */
  skipped: string[];
}

/** Opens the file once and returns the handle only if it is a regular file; null (and a note) otherwise. */
async function openOnce(path: string, skipped: string[]): Promise<FileHandle | null> {
  let fh: FileHandle;
  try {
    // Non-blocking where a FIFO can sit at a path (not Windows): its open must not wait for a writer.
    fh = await open(path, process.platform === 'win32' ? constants.O_RDONLY : constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    skipped.push(`${path}: not read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
    return null;
  }
  if (!(await fh.stat()).isFile()) {
    skipped.push(`${path}: not a regular file.`);
    await fh.close();
    return null;
  }
  return fh;
}

/** Bytes of the target's memory at an address; null when they cannot be read. */
export type LoadedBytes = (address: bigint, length: number) => Buffer | null;

/** Why the file's .pdata or export directory are not the loaded image's; null when they are. */
function differsFromLoaded(m: DumpedModule, headers: PeHeaders, regions: PackModule['regions'], loaded: LoadedBytes): string | null {
  for (const [what, d] of [['.pdata', headers.exceptionDir], ['export directory', headers.exportDir]] as const) {
    if (!d) continue;
    const r = regions.find((x) => Number(x.rva) === d.rva);
    if (!r) continue;
    const mine = r.bytes.subarray(0, Math.min(d.bytes, r.bytes.length));
    const theirs = loaded(m.base + BigInt(d.rva), mine.length);
    if (!theirs) return `its loaded ${what} is not readable in the process, so the file cannot be compared with it`;
    if (!theirs.equals(mine)) return `the file's ${what} is not the loaded image's`;
  }
  return null;
}

async function packOne(m: DumpedModule, skipped: string[], openModule: typeof openOnce, loaded: LoadedBytes | undefined): Promise<{ module: PackModule; bytes: number } | null> {
  const fh = await openModule(m.path, skipped);
  if (!fh) return null;
  try {
    const size = (await fh.stat()).size;
    const readAt = async (offset: number, length: number): Promise<Buffer | null> => {
      if (offset < 0 || length < 0 || offset + length > size) return null;
      const b = Buffer.alloc(length);
      const { bytesRead } = await fh.read(b, 0, length, offset);
      return bytesRead === length ? b : null;
    };
    const head = (await readAt(0, Math.min(size, PE_HEADER_PROBE_BYTES))) ?? null;
    let headers: PeHeaders;
    try {
      if (!head) throw new PeFormatError('too short for a PE header');
      headers = parsePeHeaders(head, m.path);
    } catch (err) {
      if (!(err instanceof PeFormatError)) throw err;
      skipped.push(`${m.path}: not a PE image (${err.message}).`);
      return null;
    }
    if (headers.machine !== IMAGE_FILE_MACHINE_AMD64) {
      skipped.push(`${m.path}: not an x64 image.`);
      return null;
    }
    if (headers.timeDateStamp !== m.timeDateStamp || headers.sizeOfImage !== m.sizeOfImage) {
      skipped.push(`${m.path}: the file there now is not the loaded image (TimeDateStamp or SizeOfImage differs).`);
      return null;
    }
    const built = await buildPePackModule(m.path, m.base, PeImage.fileReader(readAt, () => headers), headers);
    const differs = loaded ? differsFromLoaded(m, headers, built.module.regions, loaded) : null;
    if (differs) {
      skipped.push(`${m.path}: left out: ${differs}.`);
      return null;
    }
    skipped.push(...built.notes);
    return { module: built.module, bytes: built.bytes };
  } catch (err) {
    if (!(err instanceof PeFormatError)) throw err;
    skipped.push(`${m.path}: ${err.message}`);
    return null;
  } finally {
    await fh.close();
  }
}

/** Builds the pack of the dumped modules from their files. Stops (null bytes) when `signal` aborts. */
export async function buildWin32Pack(
  modules: readonly DumpedModule[],
  options: { signal?: AbortSignal | undefined; capBytes?: number; openModule?: typeof openOnce; loadedBytes?: LoadedBytes } = {},
): Promise<Win32PackBuild> {
  const cap = options.capBytes ?? PACK_CAP_BYTES;
  const skipped: string[] = [];
  const packed: PackModule[] = [];
  const overCap: string[] = [];
  let total = 0;
  for (const m of modules) {
    if (options.signal?.aborted) return { bytes: null, modules: 0, skipped };
    const one = await packOne(m, skipped, options.openModule ?? openOnce, options.loadedBytes);
    if (!one) continue;
    if (total + one.bytes > cap) {
      overCap.push(m.path);
      continue;
    }
    total += one.bytes;
    packed.push(one.module);
  }
  if (overCap.length) skipped.push(`Left out to keep the pack under ${Math.round(cap / 2 ** 20)} MiB: ${overCap.join(', ')}.`);
  return { bytes: packed.length ? encodeAnalysisPack(packed) : null, modules: packed.length, skipped };
}
