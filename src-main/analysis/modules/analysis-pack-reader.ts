/*
 * Finds and reads the analysis pack of a Linux core or a Windows minidump (analysis-pack-format.ts): `<dump>.pack`
 * beside the dump, or the file the user named (`procscope analyze FILE --pack PACK`). Minidump entries are read by
 * pe-pack.ts through `module.regions`; `read`/`hasUnwindTable` below serve the ELF ones. A pack is small (a few MB), so it is read whole,
 * within PACK_LIMITS.fileBytes. A missing pack beside the core is no news; a named one that is missing, and any
 * pack that is malformed, is ignored with one quality note: the analysis goes on as without it, never fails.
 */
import { open } from 'node:fs/promises';
import { AnalysisPackError, decodeAnalysisPack, PACK_LIMITS, PACK_SUFFIX, REGION_EH_FRAME, REGION_EH_FRAME_HDR, type PackModule, type PackRegion } from './analysis-pack-format';

export { PACK_SUFFIX };

export interface PackEntry {
  module: PackModule;
  /** Bytes at a module-relative address from the pack's .eh_frame_hdr / .eh_frame, if one region holds them all. */
  read(rva: bigint, length: number): Buffer | null;
  hasUnwindTable(ehFrameHdrRva: bigint): boolean;
  symbolStartingAt(rva: bigint): { rva: bigint; sizeBytes: bigint; name: string } | null;
}

export interface LoadedPack {
  path: string;
  /** The entries of one NT_FILE path (usually one; two for a file mapped twice). */
  entriesFor(path: string): PackEntry[];
}

function entryOf(module: PackModule): PackEntry {
  const regions: PackRegion[] = module.regions.filter((r) => r.kind === REGION_EH_FRAME_HDR || r.kind === REGION_EH_FRAME);
  let symbols: Map<bigint, PackModule['symbols'][number]> | null = null;
  return {
    module,
    read(rva, length) {
      if (rva < 0n || length < 0) return null;
      for (const r of regions) {
        if (rva >= r.rva && rva + BigInt(length) <= r.rva + BigInt(r.bytes.length)) {
          const at = Number(rva - r.rva);
          return Buffer.from(r.bytes.subarray(at, at + length));
        }
      }
      return null;
    },
    hasUnwindTable(hdrRva) {
      return regions.some((r) => r.kind === REGION_EH_FRAME_HDR && r.rva === hdrRva) && regions.some((r) => r.kind === REGION_EH_FRAME);
    },
    symbolStartingAt(rva) {
      symbols ??= new Map(module.symbols.map((s) => [s.rva, s]));
      return symbols.get(rva) ?? null;
    },
  };
}

/**
 * Reads a pack. `named`: the user asked for this file, so its absence is noted; otherwise (beside the core) it
 * is silently absent. Returns the pack or null, and the notes to show.
 */
export async function loadAnalysisPack(path: string, named: boolean): Promise<{ pack: LoadedPack | null; notes: string[] }> {
  let bytes: Buffer;
  try {
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      if (!st.isFile()) return { pack: null, notes: [`The analysis pack ${path} was ignored: it is not a regular file.`] };
      if (st.size > PACK_LIMITS.fileBytes) return { pack: null, notes: [`The analysis pack ${path} was ignored: it is ${st.size} bytes, more than the ${PACK_LIMITS.fileBytes}-byte limit.`] };
      bytes = Buffer.alloc(st.size);
      const { bytesRead } = await fh.read(bytes, 0, st.size, 0);
      bytes = bytes.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!named && (code === 'ENOENT' || code === 'ENOTDIR')) return { pack: null, notes: [] };
    return { pack: null, notes: [`The analysis pack ${path} was not read (${code ?? (err as Error).message}).`] };
  }
  let modules: PackModule[];
  try {
    modules = decodeAnalysisPack(bytes);
  } catch (err) {
    if (!(err instanceof AnalysisPackError)) throw err;
    return { pack: null, notes: [`The analysis pack ${path} was ignored: ${err.message}`] };
  }
  const byPath = new Map<string, PackEntry[]>();
  for (const m of modules) {
    const list = byPath.get(m.path) ?? [];
    list.push(entryOf(m));
    byPath.set(m.path, list);
  }
  return { pack: { path, entriesFor: (p) => byPath.get(p) ?? [] }, notes: [] };
}
