/*
 * One loaded ELF module of a core behind one interface: bytes by module-relative address, its segments and
 * sections, function symbols and where its unwind table lives. Bytes come, in order, from the core's own memory,
 * then from the analysis pack Procscope wrote beside its core (.eh_frame_hdr, .eh_frame and function symbols of a
 * module whose build id it recorded: an entry with another build id is refused and noted), then from a file whose
 * build id equals the one in the core's copy of the module's header page: the file at the
 * NT_FILE path on this machine, then files in the user's folders (`.build-id/xx/rest.debug`, `.build-id/xx/rest`,
 * or the module's file name). A file with another build id, or none to compare, is refused and the refusal noted:
 * its bytes would unwind another program. Each image says where its unwind table and its names came from.
 */
import { basename, join } from 'node:path';
import type { ElfCore } from '../elf/elf-core-reader';
import type { CoreFileMapping } from '../elf/elf-core-notes';
import { ElfFormatError, PF_X, type SectionHeader } from '../elf/elf-format';
import type { LoadedPack, PackEntry } from './analysis-pack-reader';
import { ElfFile, readImageHeaders, type ElfImageHeaders, type FunctionSymbol } from './elf-image';

export type ImageSourceKind = 'core' | 'pack' | 'file' | 'folder';
export interface ImageSource {
  kind: ImageSourceKind;
  /** The file read ('pack', 'file', 'folder'); null for the core. */
  path: string | null;
}

export interface ModuleImage {
  /** The NT_FILE path (or "[vdso]"). */
  path: string;
  name: string;
  /** Start of the mapping of file offset 0: module-relative addresses count from here. */
  base: bigint;
  end: bigint;
  mappings: readonly CoreFileMapping[];
  /** From the core's copy of the header page; null if the core does not hold it or it has no build id. */
  buildId: string | null;
  headers: ElfImageHeaders | null;
  /** Where .eh_frame_hdr / .eh_frame are read from; null: no unwind table for this module. */
  unwindSource: ImageSource | null;
  /** Where function names come from (.symtab / .dynsym of a matching file); null: none. */
  symbolSource: ImageSource | null;
  /** Why candidate files were refused, one sentence each. */
  notes: readonly string[];
  sections: readonly SectionHeader[];
  contains(address: bigint): boolean;
  /** Whether a module-relative address lies in one of the module's executable segments. */
  isExecutableRva(rva: bigint): boolean;
  read(rva: bigint, length: number): Promise<Buffer | null>;
  /** The function symbol starting exactly at `rva`, if the symbol source has one. */
  symbolStartingAt(rva: bigint): Promise<FunctionSymbol | null>;
}

export interface ImageOptions {
  /** Use the file at the NT_FILE path when its build id matches (default true). */
  localFiles?: boolean;
  /** Folders to search, in order, after the local file. */
  symbolFolders?: readonly string[];
  /** The core's analysis pack (analysis-pack-reader.ts), consulted after the core and before any file. */
  pack?: LoadedPack | null;
}

/** The pack's entry for this module, if its build id is the one the core holds; each refusal noted. */
function packEntryFor(pack: LoadedPack, path: string, base: bigint, name: string, buildId: string | null, notes: string[]): PackEntry | null {
  const entries = pack.entriesFor(path);
  if (entries.length === 0) return null;
  const entry = entries.find((e) => e.module.base === base) ?? entries[0]!;
  if (buildId === null) {
    notes.push(`The analysis pack's entry for ${name} was not used: the core holds no build id to compare it with.`);
    return null;
  }
  if (entry.module.buildId !== buildId) {
    notes.push(`The analysis pack's entry for ${name} was refused: its build id ${entry.module.buildId} is not the dumped module's ${buildId}.`);
    return null;
  }
  return entry;
}

interface Candidate {
  file: ElfFile;
  source: ImageSource;
}

async function tryCandidate(path: string, kind: 'file' | 'folder', buildId: string | null, notes: string[]): Promise<Candidate | null> {
  let file: ElfFile;
  try {
    file = await ElfFile.open(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    notes.push(`${path} was not read: ${err instanceof ElfFormatError ? err.message : String((err as Error).message ?? err)}`);
    return null;
  }
  const id = file.headers.buildId;
  if (buildId === null || id !== buildId) {
    notes.push(
      buildId === null
        ? `${path} was not used: the core holds no build id to compare it with.`
        : `${path} was refused: its build id ${id ?? '(none)'} is not the dumped module's ${buildId}.`,
    );
    await file.close();
    return null;
  }
  return { file, source: { kind, path } };
}

function folderPaths(folder: string, buildId: string | null, name: string): string[] {
  const out: string[] = [];
  if (buildId && buildId.length > 2) {
    const dir = join(folder, '.build-id', buildId.slice(0, 2));
    out.push(join(dir, `${buildId.slice(2)}.debug`), join(dir, buildId.slice(2)));
  }
  out.push(join(folder, name));
  return out;
}

/** Builds the image of one module and opens the files it needs; `dispose` closes them. */
export async function createModuleImage(
  core: ElfCore,
  path: string,
  mappings: readonly CoreFileMapping[],
  options: ImageOptions,
): Promise<{ image: ModuleImage; dispose: () => Promise<void> }> {
  const base = mappings[0]!.start;
  const end = mappings.reduce((m, x) => (x.end > m ? x.end : m), base);
  const name = basename(path);
  const notes: string[] = [];
  const fromCore = (rva: bigint, length: number): Promise<Buffer | null> => core.readMemory(base + rva, length);
  let headers: ElfImageHeaders | null = null;
  try {
    headers = await readImageHeaders(fromCore, 'memory', `${name} in the core`);
  } catch (err) {
    if (!(err instanceof ElfFormatError)) throw err;
    notes.push(`The core's copy of ${name}'s header is not usable: ${err.message}`);
  }
  const buildId = headers?.buildId ?? null;
  const pack = options.pack && path !== '[vdso]' ? packEntryFor(options.pack, path, base, name, buildId, notes) : null;
  const packSource: ImageSource | null = options.pack ? { kind: 'pack', path: options.pack.path } : null;

  const candidates: Candidate[] = [];
  const isFile = !path.startsWith('[');
  if (isFile && options.localFiles !== false) {
    const c = await tryCandidate(path.replace(/ \(deleted\)$/, ''), 'file', buildId, notes);
    if (c) candidates.push(c);
  }
  for (const folder of options.symbolFolders ?? []) {
    for (const p of folderPaths(folder, buildId, name)) {
      const c = await tryCandidate(p, 'folder', buildId, notes);
      if (c) candidates.push(c);
    }
  }
  headers ??= candidates[0]?.file.headers ?? null;
  const hdr = headers?.ehFrameHdr ?? null;
  const unwindFile = candidates.find((c) => c.file.hasEhFrameData()) ?? null;
  const symbolFile = candidates.find((c) => c.file.hasSymbols()) ?? null;
  let unwindSource: ImageSource | null = null;
  if (hdr && hdr.bytes > 0 && (await fromCore(hdr.rva, hdr.bytes))) unwindSource = { kind: 'core', path: null };
  else if (hdr && pack?.hasUnwindTable(hdr.rva)) unwindSource = packSource;
  else if (unwindFile) unwindSource = unwindFile.source;
  else if (hdr) notes.push(`No unwind table for ${name}: the core does not hold its .eh_frame_hdr and no file with its build id was found.`);

  const image: ModuleImage = {
    path,
    name,
    base,
    end,
    mappings,
    buildId,
    headers,
    unwindSource,
    symbolSource: pack && pack.module.symbols.length > 0 ? packSource : (symbolFile?.source ?? null),
    notes,
    sections: symbolFile?.file.sections ?? unwindFile?.file.sections ?? [],
    contains: (a) => mappings.some((m) => a >= m.start && a < m.end),
    isExecutableRva(rva) {
      const v = rva + (headers?.vaddrBase ?? 0n);
      return headers?.loads.some((p) => (p.flags & PF_X) !== 0 && v >= p.vaddr && v < p.vaddr + p.memBytes) ?? false;
    },
    async read(rva, length) {
      if (rva < 0n) return null;
      const own = await fromCore(rva, length);
      if (own) return own;
      const packed = pack?.read(rva, length);
      if (packed) return packed;
      return unwindFile ? unwindFile.file.readRva(rva, length) : null;
    },
    async symbolStartingAt(rva) {
      if (pack && pack.module.symbols.length > 0) return pack.symbolStartingAt(rva);
      if (!symbolFile) return null;
      return (await symbolFile.file.symbols()).get(rva) ?? null;
    },
  };
  return { image, dispose: async () => void (await Promise.all(candidates.map((c) => c.file.close()))) };
}
