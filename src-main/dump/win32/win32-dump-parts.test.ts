import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DumpError } from '../dump-writer';
import { FULL_DUMP_FLAGS, MINI_DUMP_FLAGS, minidumpFlagsFor } from './minidump-flags';
import { refuseWrongBitness } from './bitness-check';
import { createRunasElevator, quoteWindowsArgument } from './runas-elevator';
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

describe('refuseWrongBitness', () => {
  it('refuses a 32-bit target from a 64-bit process plainly, and allows the rest', () => {
    expect(() => refuseWrongBitness(8, true, 'x64')).toThrow(DumpError);
    try {
      refuseWrongBitness(8, true, 'x64');
    } catch (err) {
      expect((err as DumpError).code).toBe('unsupported');
      expect((err as DumpError).message).toMatch(/32-bit/);
    }
    expect(() => refuseWrongBitness(8, false, 'x64')).not.toThrow();
    expect(() => refuseWrongBitness(8, null, 'x64')).not.toThrow();
    expect(() => refuseWrongBitness(8, true, 'ia32')).not.toThrow();
  });
});

describe('runas elevator', () => {
  const fakeHandle = { close: () => undefined } as never;
  it('maps ERROR_CANCELLED (1223) to elevation-cancelled', async () => {
    const elevator = createRunasElevator({ shellExecute: () => ({ process: null, error: 1223 }), wait: async () => 0 });
    await expect(elevator.run('C:\\procscope.exe', ['helper'])).rejects.toMatchObject({ code: 'elevation-cancelled' });
  });
  it('maps other start failures to needs-elevation with the Windows error', async () => {
    const elevator = createRunasElevator({ shellExecute: () => ({ process: null, error: 2 }), wait: async () => 0 });
    await expect(elevator.run('C:\\procscope.exe', [])).rejects.toMatchObject({ code: 'needs-elevation', message: /error 2/ });
  });
  it('passes quoted arguments and returns the exit code', async () => {
    let seen = '';
    const elevator = createRunasElevator({
      shellExecute: (_verb, _file, params) => {
        seen = params;
        return { process: fakeHandle, error: 0 };
      },
      wait: async () => 5,
    });
    await expect(elevator.run('C:\\procscope.exe', ['helper', 'C:\\a b'])).resolves.toBe(5);
    expect(seen).toBe('helper "C:\\a b"');
  });
  it('refuses NULs and quotes in the executable', async () => {
    const elevator = createRunasElevator({ shellExecute: () => ({ process: fakeHandle, error: 0 }), wait: async () => 0 });
    await expect(elevator.run('C:\\x".exe', [])).rejects.toMatchObject({ code: 'bad-request' });
    await expect(elevator.run('C:\\x.exe', ['a\0b'])).rejects.toMatchObject({ code: 'bad-request' });
  });
});
