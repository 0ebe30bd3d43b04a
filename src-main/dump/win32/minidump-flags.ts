/*
 * Which MINIDUMP_TYPE bits a full and a mini dump carry, and why each is there. Pure data, shared by the writer
 * and its tests. Wine accepts every bit but writes only SystemInfo, ThreadList, ModuleList, Memory(64)List and
 * MiscInfo streams (NATIVE.md); real Windows honours them all.
 */
import type { DumpKind } from '../../../src-shared/model/dump';
import { MiniDumpType as T } from '../../platform/win32/ffi/dbghelp';

/** What WinDbg's `.dump /ma` and Task Manager write, so any debugger or support engineer finds what they expect. */
export const FULL_DUMP_FLAGS =
  // every committed page: heaps, stacks, and the marker strings people search for
  T.WithFullMemory |
  // the handle table: which files, keys, events and mutexes were open (`!handle`), for hangs and leaks
  T.WithHandleData |
  // recently unloaded DLLs, so a crash address in a DLL that is gone still resolves to a name
  T.WithUnloadedModules |
  // the whole VirtualQuery map including free and reserved regions (`!address`), for fragmentation questions
  T.WithFullMemoryInfo |
  // per-thread CPU times, create times and affinity (`!runaway`): the first thing a hang analysis reads
  T.WithThreadInfo |
  // the process and thread tokens: which user and privileges the code ran with
  T.WithTokenInformation |
  // a guard page or a region freed mid-dump must not fail the whole dump; those bytes are left out instead
  T.IgnoreInaccessibleMemory;

/** Small enough to mail: stacks and the memory they point at, without the heaps. */
export const MINI_DUMP_FLAGS =
  // (threads with their stacks and contexts, and the module list, are in every dump type)
  // open handles, for "what was it waiting on"
  T.WithHandleData |
  // names for addresses in DLLs unloaded before the dump
  T.WithUnloadedModules |
  // thread CPU times: hang analysis needs them even in a mini dump
  T.WithThreadInfo |
  // the pages that stack and register values point into: enough to follow locals and `this` pointers
  T.WithIndirectlyReferencedMemory;

export function minidumpFlagsFor(kind: DumpKind): number {
  return kind === 'full' ? FULL_DUMP_FLAGS : MINI_DUMP_FLAGS;
}
