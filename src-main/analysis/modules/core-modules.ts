/*
 * The modules of a core: NT_FILE's mappings grouped by path, a new module at each mapping of file offset 0 (its
 * base), plus the vDSO from AT_SYSINFO_EHDR (never in NT_FILE, always dumped). A later mapping of the same file
 * joins that module only if it starts within MAX_SEGMENT_GAP of the module's end: V8 remaps node's embedded
 * builtins as a mapping of the node binary far from its image, and glued on it would make node span the address
 * space; such a mapping stays outside every module (executable memory without CFI, walked by frame pointers).
 * Files that are not ELF (locale archives, fonts, data files) are left out. Lookup by address is a binary search.
 */
import type { ElfCore } from '../elf/elf-core-reader';
import type { CoreFileMapping } from '../elf/elf-core-notes';
import { createModuleImage, type ImageOptions, type ModuleImage } from './module-image';

const AT_SYSINFO_EHDR = 33;
/** Larger than any gap between one ELF image's segments (2 MiB alignment of huge-page builds, .bss). */
const MAX_SEGMENT_GAP = 64n * 2n ** 20n;

export interface CoreModules {
  modules: readonly ModuleImage[];
  moduleAt(address: bigint): ModuleImage | null;
  close(): Promise<void>;
}

function groupMappings(files: readonly CoreFileMapping[]): { path: string; mappings: CoreFileMapping[] }[] {
  const byPath = new Map<string, CoreFileMapping[]>();
  for (const m of files) {
    const list = byPath.get(m.path) ?? [];
    list.push(m);
    byPath.set(m.path, list);
  }
  const out: { path: string; mappings: CoreFileMapping[] }[] = [];
  for (const [path, list] of byPath) {
    list.sort((a, b) => (a.start < b.start ? -1 : 1));
    let current: CoreFileMapping[] | null = null;
    for (const m of list) {
      if (m.fileOffset === 0n) {
        current = [m];
        out.push({ path, mappings: current });
      } else if (current && m.start >= current.at(-1)!.end && m.start - current.at(-1)!.end <= MAX_SEGMENT_GAP) {
        current.push(m);
      } else current = null;
    }
  }
  return out;
}

export async function loadCoreModules(core: ElfCore, options: ImageOptions = {}): Promise<CoreModules> {
  const groups = groupMappings(core.files);
  const vdso = core.auxv.get(AT_SYSINFO_EHDR);
  const vdsoSegment = vdso ? core.segmentAt(vdso) : null;
  if (vdso && vdsoSegment && !core.files.some((f) => vdso >= f.start && vdso < f.end)) {
    groups.push({ path: '[vdso]', mappings: [{ start: vdso, end: vdsoSegment.end, fileOffset: 0n, path: '[vdso]' }] });
  }
  const disposers: (() => Promise<void>)[] = [];
  const modules: ModuleImage[] = [];
  try {
    for (const g of groups) {
      const { image, dispose } = await createModuleImage(core, g.path, g.mappings, options);
      disposers.push(dispose);
      if (image.headers) modules.push(image);
    }
  } catch (err) {
    await Promise.all(disposers.map((d) => d()));
    throw err;
  }
  modules.sort((a, b) => (a.base < b.base ? -1 : 1));
  return {
    modules,
    moduleAt(address) {
      let lo = 0;
      let hi = modules.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const m = modules[mid]!;
        if (address < m.base) hi = mid - 1;
        else if (address >= m.end) lo = mid + 1;
        else return m.contains(address) ? m : null;
      }
      return null;
    },
    close: async () => void (await Promise.all(disposers.map((d) => d()))),
  };
}
