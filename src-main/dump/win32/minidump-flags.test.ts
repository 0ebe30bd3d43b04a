// Every MINIDUMP_TYPE bit of the full and mini dumps, pinned one by one to the values documented in
// minidumpapiset.h (../shared/NATIVE.md lists them): a bit dropped from a set, added to it, or a constant in the
// ffi table that drifts from the header fails here with the bit's name. The Wine suite reads the same value back
// from the header of a real dump (MINIDUMP_HEADER.Flags), so a writer that passes other flags fails there.
import { describe, expect, it } from 'vitest';
import { MiniDumpType } from '../../platform/win32/ffi/dbghelp';
import { FULL_DUMP_FLAGS, MINI_DUMP_FLAGS, minidumpFlagsFor } from './minidump-flags';

/** minidumpapiset.h, MINIDUMP_TYPE. */
const DOCUMENTED = {
  WithDataSegs: 0x1,
  WithFullMemory: 0x2,
  WithHandleData: 0x4,
  WithUnloadedModules: 0x20,
  WithIndirectlyReferencedMemory: 0x40,
  WithProcessThreadData: 0x100,
  WithFullMemoryInfo: 0x800,
  WithThreadInfo: 0x1000,
  IgnoreInaccessibleMemory: 0x20000,
  WithTokenInformation: 0x40000,
} as const;
type Bit = keyof typeof DOCUMENTED;

const FULL: Bit[] = ['WithFullMemory', 'WithHandleData', 'WithUnloadedModules', 'WithFullMemoryInfo', 'WithThreadInfo', 'WithTokenInformation', 'IgnoreInaccessibleMemory'];
const MINI: Bit[] = ['WithHandleData', 'WithUnloadedModules', 'WithThreadInfo', 'WithIndirectlyReferencedMemory'];

function bitsOf(flags: number): Bit[] {
  return (Object.keys(DOCUMENTED) as Bit[]).filter((b) => (flags & DOCUMENTED[b]) !== 0);
}

describe('MINIDUMP_TYPE bits', () => {
  it.each(Object.entries(DOCUMENTED))('the ffi constant %s is the documented 0x%s', (name, value) => {
    expect(MiniDumpType[name as Bit]).toBe(value);
  });

  it('a full dump carries exactly FullMemory, HandleData, UnloadedModules, FullMemoryInfo, ThreadInfo, TokenInformation and IgnoreInaccessibleMemory', () => {
    expect(bitsOf(FULL_DUMP_FLAGS).sort()).toEqual([...FULL].sort());
    expect(FULL_DUMP_FLAGS).toBe(FULL.reduce((f, b) => f | DOCUMENTED[b], 0)); // and no undocumented bit
    expect(minidumpFlagsFor('full')).toBe(0x2 | 0x4 | 0x20 | 0x800 | 0x1000 | 0x20000 | 0x40000);
  });

  it('a mini dump carries exactly HandleData, UnloadedModules, ThreadInfo and IndirectlyReferencedMemory', () => {
    expect(bitsOf(MINI_DUMP_FLAGS).sort()).toEqual([...MINI].sort());
    expect(MINI_DUMP_FLAGS).toBe(MINI.reduce((f, b) => f | DOCUMENTED[b], 0));
    expect(minidumpFlagsFor('mini')).toBe(0x4 | 0x20 | 0x40 | 0x1000);
  });
});
