// ElfFile's function symbols, judged by readelf: a gcc-built shared object whose functions have aliases of every
// binding (global, weak, local) and leading underscores gets, at every function start readelf lists, one of that
// start's names with its size, the alias rule choosing (global over weak over local, then fewer leading '_'); data
// symbols and undefined imports are not named. Then node's own binary (~150k functions): every start readelf lists
// is named as readelf names one of its aliases.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElfFile } from './elf-image';

interface ReadelfSymbol {
  value: bigint;
  size: bigint;
  type: string;
  bind: string;
  ndx: string;
  name: string;
}

/** `readelf -sW` of one table (.symtab if the file has one, else .dynsym), as ElfFile prefers. */
function readelfSymbols(path: string): ReadelfSymbol[] {
  const out = execFileSync('readelf', ['-sW', path], { encoding: 'utf8', maxBuffer: 512 << 20 });
  const tables = out.split(/^Symbol table '/m).slice(1);
  const table = tables.find((t) => t.startsWith('.symtab')) ?? tables.find((t) => t.startsWith('.dynsym'))!;
  const rows: ReadelfSymbol[] = [];
  for (const line of table.split('\n')) {
    const m = /^\s*\d+:\s+([0-9a-f]+)\s+(\d+|0x[0-9a-f]+)\s+(\w+)\s+(\w+)\s+\w+\s+(\w+)\s+(\S+)/.exec(line);
    if (m) rows.push({ value: BigInt(`0x${m[1]}`), size: BigInt(m[2]!), type: m[3]!, bind: m[4]!, ndx: m[5]!, name: m[6]!.replace(/@.*$/, '') });
  }
  return rows;
}

const isFunction = (s: ReadelfSymbol): boolean => (s.type === 'FUNC' || s.type === 'IFUNC') && s.ndx !== 'UND';

const SOURCE = `
#include <stdio.h>
int counter;                                               /* data: never a function name */
__attribute__((noinline)) void __impl_one(void) { counter += 1; }
void one_weak(void) __attribute__((weak, alias("__impl_one")));
void one(void) __attribute__((alias("__impl_one")));       /* global, no '_': wins */
__attribute__((noinline)) void __impl_two(void) { counter += 2; }
void two_weak(void) __attribute__((weak, alias("__impl_two"))); /* weak loses to the global despite its '_' */
__attribute__((noinline)) static void lonely(void) { counter += 3; puts("x"); }
void (*keep)(void) = lonely;
__attribute__((noinline)) void _one_underscore(void) { counter += 4; }
void __two_underscores(void) __attribute__((alias("_one_underscore")));
`;

describe('ElfFile.symbols', () => {
  let dir: string;
  let so: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'procscope-elf-image-'));
    writeFileSync(join(dir, 'lib.c'), SOURCE);
    so = join(dir, 'lib.so');
    execFileSync('gcc', ['-O2', '-shared', '-fPIC', '-o', so, join(dir, 'lib.c')]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names every function start of a shared object by the alias rule, and nothing else', async () => {
    const file = await ElfFile.open(so);
    try {
      const table = await file.symbols();
      const all = readelfSymbols(so);
      const starts = new Map<bigint, ReadelfSymbol[]>();
      for (const s of all.filter(isFunction)) starts.set(s.value, [...(starts.get(s.value) ?? []), s]);
      expect(table.size).toBe(starts.size);
      for (const [value, names] of starts) {
        const got = table.get(value)!;
        expect(names.map((n) => n.name)).toContain(got.name);
        expect(got.rva).toBe(value);
        expect(got.sizeBytes).toBe(names.find((n) => n.name === got.name)!.size);
      }
      const at = (name: string): string | undefined => table.get(all.find((s) => s.name === name)!.value)?.name;
      expect(at('__impl_one')).toBe('one');
      expect(at('two_weak')).toBe('__impl_two');
      expect(at('lonely')).toBe('lonely');
      expect(at('__two_underscores')).toBe('_one_underscore');
      expect(at('counter')).toBeUndefined();
      expect(table.get(-1n)).toBeUndefined();
      expect(table.get(1n << 60n)).toBeUndefined();
    } finally {
      await file.close();
    }
  });

  it("names every function start of node's binary as readelf does", async () => {
    const file = await ElfFile.open(process.execPath);
    try {
      const table = await file.symbols();
      const starts = new Map<bigint, Set<string>>();
      for (const s of readelfSymbols(process.execPath).filter(isFunction)) {
        starts.set(s.value, (starts.get(s.value) ?? new Set()).add(s.name));
      }
      expect(starts.size).toBeGreaterThan(10_000);
      expect(table.size).toBe(starts.size);
      let wrong = 0;
      for (const [value, names] of starts) if (!names.has(table.get(value - file.headers.vaddrBase)?.name ?? '')) wrong++;
      expect(wrong).toBe(0);
    } finally {
      await file.close();
    }
  }, 60_000);
});
