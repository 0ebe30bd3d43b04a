/*
 * The one call the report builds on for a Linux core: open it, resolve its modules (core memory, then matching
 * local files, then the user's folders) and unwind every thread. The caller closes the result, which closes the
 * core and every module file it opened.
 */
import { openElfCore, type ElfCore } from '../elf/elf-core-reader';
import { loadCoreModules, type CoreModules } from '../modules/core-modules';
import type { ImageOptions } from '../modules/module-image';
import { createStackUnwinder, type ThreadStack } from './x86-64-unwinder';

export interface CoreStacks {
  core: ElfCore;
  modules: CoreModules;
  /** In the core's thread order. */
  stacks: ThreadStack[];
  close(): Promise<void>;
}

export async function readCoreStacks(path: string, options: ImageOptions = {}): Promise<CoreStacks> {
  const core = await openElfCore(path);
  let modules: CoreModules | null = null;
  try {
    modules = await loadCoreModules(core, options);
    const unwinder = createStackUnwinder(core, modules);
    const stacks: ThreadStack[] = [];
    for (const t of core.threads) stacks.push(await unwinder.unwindThread(t));
    const m = modules;
    return { core, modules: m, stacks, close: async () => { await m.close(); await core.close(); } };
  } catch (err) {
    await modules?.close();
    await core.close();
    throw err;
  }
}
