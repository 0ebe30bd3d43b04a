/*
 * The modules of a minidump as PE images (pe/pe-image.ts), each from the first source that has it, in order:
 * the dump's own memory (a full dump holds every loaded image: headers, .pdata, .xdata, exports), then the
 * analysis pack Procscope wrote beside its dump (`<dump>.pack`: headers, .pdata, UNWIND_INFO and exports of each
 * module, modules/pe-pack.ts; an entry is used only if its TimeDateStamp and SizeOfImage are the dumped module's),
 * then a file on this machine at the module's path, then the user's folders (`name`, or the symbol-store layout
 * `name/TIMESTAMPSIZE/name`). A file or an in-dump image is used only if its TimeDateStamp and SizeOfImage equal
 * the MINIDUMP_MODULE's: another build's tables would unwind another program; each refusal is noted. A Windows
 * path is mapped to this machine through `driveRoots` (default on Linux and macOS: Wine's Z: = /). Lookup by
 * address is a binary search over the module ranges.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FileByteSource } from '../elf/byte-source';
import type { LoadedPack } from '../modules/analysis-pack-reader';
import { peImageOfPackEntry, pePackIdentity } from '../modules/pe-pack';
import { PeFormatError, PeImage, type PeHeaders } from '../pe/pe-image';
import type { PeModule } from '../pe/x64-pe-stack-walker';
import type { Minidump, MinidumpModule } from './minidump-reader';

export type PeImageSourceKind = 'dump' | 'pack' | 'file' | 'folder';

export interface MinidumpModuleImage extends PeModule {
  module: MinidumpModule;
  /** `TimeDateStamp` (8 hex digits) + `SizeOfImage` (hex), as symbol stores key binaries. */
  identity: string;
  source: { kind: PeImageSourceKind; path: string | null } | null;
  /** Whether the image's .pdata looks readable (its first and last entries; the unwinder loads the rest). */
  hasUnwindTable: boolean;
  notes: string[];
}

export interface MinidumpImageOptions {
  /** Use the file at the module's path when its identity matches (default true). */
  localFiles?: boolean;
  /** Folders to search, in order, after the local file. */
  symbolFolders?: readonly string[];
  /** Where a drive letter's root lies on this machine, e.g. { C: '/mnt/c' }; default on non-Windows { Z: '/' }. */
  driveRoots?: Readonly<Record<string, string>>;
  /** The dump's analysis pack (analysis-pack-reader.ts), consulted after the dump and before any file. */
  pack?: LoadedPack | null;
}

export interface MinidumpModules {
  modules: readonly MinidumpModuleImage[];
  moduleAt(address: bigint): MinidumpModuleImage | null;
  close(): Promise<void>;
}

export function peIdentity(timeDateStamp: number, sizeOfImage: number): string {
  return `${timeDateStamp.toString(16).toUpperCase().padStart(8, '0')}${sizeOfImage.toString(16).toUpperCase()}`;
}

/** The module's Windows path as a path on this machine, or null when its drive has no root here. */
export function localPathOf(windowsPath: string, options: MinidumpImageOptions): string | null {
  if (process.platform === 'win32' && !options.driveRoots) return windowsPath;
  const roots = options.driveRoots ?? { Z: '/' };
  const m = /^([A-Za-z]):[\\/](.*)$/.exec(windowsPath);
  if (!m) return null;
  const root = Object.entries(roots).find(([d]) => d.toUpperCase() === m[1]!.toUpperCase())?.[1];
  return root === undefined ? null : join(root, ...m[2]!.split(/[\\/]+/));
}

function mismatch(h: PeHeaders, m: MinidumpModule): string | null {
  if (h.timeDateStamp === m.timeDateStamp && h.sizeOfImage === m.sizeBytes) return null;
  return `its TimeDateStamp+SizeOfImage ${peIdentity(h.timeDateStamp, h.sizeOfImage)} is not the dumped module's ${peIdentity(m.timeDateStamp, m.sizeBytes)}`;
}

async function openFileImage(path: string, m: MinidumpModule, notes: string[]): Promise<{ image: PeImage; file: FileByteSource } | null> {
  let file: FileByteSource;
  try {
    // A folder of that name is the symbol-store layout's (name/ID/name), not a candidate.
    if (!(await stat(path)).isFile()) return null;
    file = await FileByteSource.open(path, (msg) => new PeFormatError(msg));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') notes.push(`${path} was not read: ${(err as Error).message}`);
    return null;
  }
  try {
    let headers: PeHeaders | null = null;
    const readAt = async (offset: number, length: number): Promise<Buffer | null> => (offset + length <= file.size ? file.read(offset, length, path) : null);
    const image = await PeImage.open(PeImage.fileReader(readAt, () => headers), path);
    if (!image) throw new PeFormatError(`${path} is too short for a PE header.`);
    headers = image.headers;
    const bad = mismatch(image.headers, m);
    if (bad) {
      notes.push(`${path} was refused: ${bad}.`);
      await file.close();
      return null;
    }
    return { image, file };
  } catch (err) {
    await file.close();
    if (!(err instanceof PeFormatError)) throw err;
    notes.push(`${path} was not used: ${err.message}`);
    return null;
  }
}

export async function loadMinidumpModules(md: Minidump, options: MinidumpImageOptions = {}): Promise<MinidumpModules> {
  const files: FileByteSource[] = [];
  const out: MinidumpModuleImage[] = [];
  try {
    for (const m of md.modules) {
      const notes: string[] = [];
      const base = m.baseAddress;
      let image: PeImage | null = null;
      let source: MinidumpModuleImage['source'] = null;
      let hasUnwindTable = false;
      try {
        const inDump = await PeImage.open((rva, length) => md.readMemory(base + BigInt(rva), length), `${m.name} in the dump`);
        const bad = inDump && mismatch(inDump.headers, m);
        if (bad) notes.push(`The dump's copy of ${m.name} was not used: ${bad}.`);
        else if (inDump) {
          image = inDump;
          source = { kind: 'dump', path: null };
          hasUnwindTable = await inDump.probeUnwindTable();
        }
      } catch (err) {
        if (!(err instanceof PeFormatError)) throw err;
        notes.push(`The dump's copy of ${m.name}'s headers is not usable: ${err.message}`);
      }
      if (!hasUnwindTable && options.pack) {
        const entries = options.pack.entriesFor(m.path);
        const entry = entries.find((e) => e.module.base === base) ?? entries[0];
        const want = pePackIdentity(m.timeDateStamp, m.sizeBytes);
        if (entry && entry.module.buildId !== want) {
          const id = entry.module.buildId;
          const theirs = id.length === 16 ? peIdentity(parseInt(id.slice(0, 8), 16), parseInt(id.slice(8), 16)) : id;
          notes.push(`The analysis pack's entry for ${m.name} was refused: its TimeDateStamp+SizeOfImage ${theirs} is not the dumped module's ${peIdentity(m.timeDateStamp, m.sizeBytes)}.`);
        } else if (entry) {
          try {
            const packed = await peImageOfPackEntry(entry.module, `${m.name} in the analysis pack`);
            const bad = packed && mismatch(packed.headers, m);
            if (bad) notes.push(`The analysis pack's entry for ${m.name} was refused: ${bad}.`);
            else if (packed && (await packed.probeUnwindTable())) {
              image = packed;
              source = { kind: 'pack', path: options.pack.path };
              hasUnwindTable = true;
            }
          } catch (err) {
            if (!(err instanceof PeFormatError)) throw err;
            notes.push(`The analysis pack's entry for ${m.name} is not usable: ${err.message}`);
          }
        }
      }
      if (!hasUnwindTable) {
        const candidates: { path: string; kind: 'file' | 'folder' }[] = [];
        const local = options.localFiles === false ? null : localPathOf(m.path, options);
        if (local) candidates.push({ path: local, kind: 'file' });
        const id = peIdentity(m.timeDateStamp, m.sizeBytes);
        for (const folder of options.symbolFolders ?? []) {
          for (const n of new Set([m.name, m.name.toLowerCase()])) candidates.push({ path: join(folder, n), kind: 'folder' }, { path: join(folder, n, id, n), kind: 'folder' });
        }
        for (const c of candidates) {
          const f = await openFileImage(c.path, m, notes);
          if (!f) continue;
          files.push(f.file);
          let table = false;
          try {
            table = await f.image.probeUnwindTable();
          } catch (err) {
            if (!(err instanceof PeFormatError)) throw err;
            notes.push(`${c.path}'s .pdata is not usable: ${err.message}`);
          }
          if (table || !image) {
            image = f.image;
            source = { kind: c.kind, path: c.path };
            hasUnwindTable = table;
          }
          if (table) break;
        }
        if (!hasUnwindTable) notes.push(`No unwind table for ${m.name}: ${image ? 'its image holds no readable .pdata' : 'the dump does not hold its image and no file with its TimeDateStamp and SizeOfImage was found'}.`);
      }
      out.push({
        module: m,
        name: m.name,
        path: m.path,
        base,
        end: base + BigInt(m.sizeBytes),
        image,
        identity: peIdentity(m.timeDateStamp, m.sizeBytes),
        source,
        hasUnwindTable,
        notes,
      });
    }
  } catch (err) {
    await Promise.all(files.map((f) => f.close()));
    throw err;
  }
  const sorted = [...out].sort((a, b) => (a.base < b.base ? -1 : 1));
  return {
    modules: out,
    moduleAt(address) {
      let lo = 0;
      let hi = sorted.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const m = sorted[mid]!;
        if (address < m.base) hi = mid - 1;
        else if (address >= m.end) lo = mid + 1;
        else return m;
      }
      return null;
    },
    close: async () => void (await Promise.all(files.map((f) => f.close()))),
  };
}
