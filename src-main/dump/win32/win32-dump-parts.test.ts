import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DumpError } from '../dump-writer';
import { FULL_DUMP_FLAGS, MINI_DUMP_FLAGS, minidumpFlagsFor } from './minidump-flags';
import { quoteWindowsArgument } from './runas-elevator';
import { validateDumpRequest } from './validate-dump-request';

const dir = mkdtempSync(join(tmpdir(), 'procscope-win-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('minidump flags', () => {
  it('full = FullMemory|HandleData|UnloadedModules|FullMemoryInfo|ThreadInfo|TokenInformation|IgnoreInaccessibleMemory', () => {
    expect(FULL_DUMP_FLAGS).toBe(0x2 | 0x4 | 0x20 | 0x800 | 0x1000 | 0x40000 | 0x20000);
    expect(minidumpFlagsFor('full')).toBe(FULL_DUMP_FLAGS);
  });
  it('mini carries handles, unloaded modules, thread info and indirect memory, never full memory', () => {
    expect(MINI_DUMP_FLAGS).toBe(0x4 | 0x20 | 0x1000 | 0x40);
    expect(minidumpFlagsFor('mini') & 0x2).toBe(0);
  });
});

describe('quoteWindowsArgument', () => {
  it.each([
    ['plain', 'plain'],
    ['', '""'],
    ['two words', '"two words"'],
    ['say "hi"', '"say \\"hi\\""'],
    ['C:\\dir with space\\', '"C:\\dir with space\\\\"'],
    ['a\\\\"b', '"a\\\\\\\\\\"b"'],
    ['C:\\no\\space', 'C:\\no\\space'],
  ])('%j → %j', (input, quoted) => {
    expect(quoteWindowsArgument(input)).toBe(quoted);
  });
});

describe('validateDumpRequest', () => {
  const ok = { pid: 272, startTimeMs: 1, kind: 'full' as const, outDir: dir };
  const code = (req: unknown): string => {
    try {
      validateDumpRequest(req as never, isAbsolute);
      return 'accepted';
    } catch (err) {
      return err instanceof DumpError ? err.code : 'other';
    }
  };
  it('accepts a well-formed request', () => expect(code(ok)).toBe('accepted'));
  it.each([
    ['a zero pid', { ...ok, pid: 0 }, 'bad-request'],
    ['a fractional pid', { ...ok, pid: 1.5 }, 'bad-request'],
    ['a pid above 32 bits', { ...ok, pid: 2 ** 33 }, 'bad-request'],
    ['the System process', { ...ok, pid: 4 }, 'bad-request'],
    ['no start time', { ...ok, startTimeMs: undefined }, 'bad-request'],
    ['a negative start time', { ...ok, startTimeMs: -1 }, 'bad-request'],
    ['an unknown kind', { ...ok, kind: 'huge' }, 'bad-request'],
    ['a relative folder', { ...ok, outDir: 'dumps' }, 'bad-request'],
    ['a NUL in the folder', { ...ok, outDir: `${dir}\0x` }, 'bad-request'],
    ['a missing folder', { ...ok, outDir: join(dir, 'nope') }, 'folder-unwritable'],
    ['null', null, 'bad-request'],
  ])('refuses %s', (_name, req, want) => expect(code(req)).toBe(want));
});
