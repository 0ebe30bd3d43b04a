/*
 * A running process's modules as the detail readers need them: the loader's list (K32EnumProcessModulesEx), each
 * module's PE image read live through ReadProcessMemory (headers, exports, .pdata — the same PeImage the minidump
 * analysis reads from a dump), an address → module lookup, and 'module!export+0xoff' names for thread start
 * addresses (an export only where it starts the address's .pdata function). Runs in the main process / CLI; the handle stays the caller's (QUERY_INFORMATION | VM_READ).
 */
import { PeImage } from '../../analysis/pe/pe-image';
import type { PeModule } from '../../analysis/pe/x64-pe-stack-walker';
import { primaryFunction } from '../../analysis/pe/x64-unwind';
import { readProcessMemory } from '../../platform/win32/ffi/kernel32';
import { enumProcessModules, type LoadedModule } from '../../platform/win32/ffi/process-memory';
import type { WinHandle } from '../../platform/win32/ffi/win-types';

export function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

export interface LiveModules {
  list: readonly LoadedModule[];
  moduleAt(address: bigint): PeModule | null;
  /** 'kernel32.dll!BaseThreadInitThunk+0x14' where an export starts the function, else 'kernel32.dll+0x1234'; null outside every module. */
  symbolize(address: bigint): Promise<string | null>;
}

/** Reads the module list now; images are opened lazily, once, on the first lookup that needs them. */
export async function openLiveModules(h: WinHandle): Promise<LiveModules> {
  const list = (enumProcessModules(h) ?? []).filter((m) => m.sizeBytes > 0).sort((a, b) => (a.base < b.base ? -1 : 1));
  const modules: PeModule[] = list.map((m) => ({ name: baseName(m.path), path: m.path, base: m.base, end: m.base + BigInt(m.sizeBytes), image: null }));
  const images = new Map<PeModule, Promise<PeImage | null>>();
  const imageOf = (m: PeModule): Promise<PeImage | null> => {
    let p = images.get(m);
    if (!p) {
      const size = Number(m.end - m.base);
      p = PeImage.open(async (rva, length) => (rva >= 0 && rva + length <= size ? readProcessMemory(h, m.base + BigInt(rva), length) : null), m.name).catch(() => null);
      images.set(m, p);
    }
    return p;
  };
  const find = (address: bigint): PeModule | null => {
    let lo = 0;
    let hi = modules.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const m = modules[mid]!;
      if (address < m.base) hi = mid - 1;
      else if (address >= m.end) lo = mid + 1;
      else return m;
    }
    return null;
  };
  // The stack walker asks moduleAt synchronously: images are opened for every module up front (headers only;
  // exports and .pdata load on first use).
  await Promise.all(modules.map(async (m) => (m.image = await imageOf(m))));
  return {
    list,
    moduleAt: find,
    async symbolize(address) {
      const m = find(address);
      if (!m) return null;
      const rva = Number(address - m.base);
      const img = m.image;
      try {
        // Named only by an export that starts the .pdata function holding the address (as the stack walker names
        // frames): the nearest export below could be any function's neighbour.
        const fn = img ? await img.functionAt(rva) : null;
        if (img && fn) {
          const begin = (await primaryFunction(img, fn)).begin;
          const name = (await img.exports()).get(begin);
          if (name) return `${m.name}!${name}${rva > begin ? `+0x${(rva - begin).toString(16)}` : ''}`;
        }
      } catch {
        // A damaged table or unreadable export directory: the module and offset still say where it is.
      }
      return `${m.name}+0x${rva.toString(16)}`;
    },
  };
}
