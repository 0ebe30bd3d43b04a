/*
 * Fuzzing of the ELF core reader with fast-check: 10,000 files mutated from well-formed synthetic cores (byte and
 * bit flips, truncation, splices, and aimed edits of e_phnum/e_phoff, program header offsets, sizes and
 * addresses, note sizes, NT_FILE's count and page size, the PROCSCOPE note's format, length and JSON). Each must open
 * or be refused with ElfFormatError — never
 * another error, never a hang — in under a second, including reads at the edges of every segment it claims and
 * a module load and stack walk of every thread; a broken PROCSCOPE note is ignored with a quality note, never a
 * refusal. The seed is printed; PROCSCOPE_FUZZ_SEED varies it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fuzzSeed } from '../../__fixtures__/fuzz-seed';
import { applyByteMutation, byteMutations, runMutationFuzz, type ByteMutation } from '../__fixtures__/mutation-fuzz';
import { loadCoreModules } from '../modules/core-modules';
import { createStackUnwinder } from '../unwind/x86-64-unwinder';
import { encodeProcscopeNote } from '../../dump/linux/procscope-note';
import { buildSyntheticCore, type SyntheticCore } from './__fixtures__/synthetic-core';
import { openElfCore, type ElfCore } from './elf-core-reader';
import { ElfFormatError } from './elf-format';

const SEED = fuzzSeed();
const FILES = 10_000;
const LIMIT_MS = 1_000;

const SEEDS: SyntheticCore[] = [
  buildSyntheticCore(),
  buildSyntheticCore({ threadCount: 1, filePageBytes: 1 }),
  buildSyntheticCore({ threadCount: 6, segments: [[0x1000, 0x1000, true], [0x2000, 0x1000, true], [0x3000, 0x3000, false]], files: [] }),
  buildSyntheticCore({
    threadCount: 3,
    procscopeNote: encodeProcscopeNote({ dumpKind: 'mini', processStartTimeMs: 1_700_000_000_000, threads: [4242, 4243, 4244].map((tid) => ({ tid, name: `worker-${tid}` })) }),
  }),
];
const dir = mkdtempSync(join(tmpdir(), 'procscope-elf-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Field = 'phnum' | 'phoff' | 'shoff' | 'pOffset' | 'pVaddr' | 'pFilesz' | 'pMemsz' | 'pType' | 'namesz' | 'descsz' | 'noteType' | 'fileCount' | 'filePage' | 'fileStart' | 'fileEnd' | 'psFormat' | 'psLength' | 'psJson';
type Value = 'zero' | 'one' | 'max32' | 'max64' | 'size' | 'sizePlus1' | 'half' | 'huge' | 'random';

type Mutation =
  | ByteMutation
  | { k: 'field'; field: Field; index: number; value: Value; random: bigint };

const FIELDS: Field[] = ['phnum', 'phoff', 'shoff', 'pOffset', 'pVaddr', 'pFilesz', 'pMemsz', 'pType', 'namesz', 'descsz', 'noteType', 'fileCount', 'filePage', 'fileStart', 'fileEnd', 'psFormat', 'psLength', 'psJson', 'psJson'];
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  ...byteMutations,
  fc.record({
    k: fc.constant('field' as const),
    field: fc.constantFrom(...FIELDS),
    index: fc.nat(),
    value: fc.constantFrom<Value>('zero', 'one', 'max32', 'max64', 'size', 'sizePlus1', 'half', 'huge', 'random'),
    random: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  }),
);

function mutate(seed: SyntheticCore, mutations: readonly Mutation[]): Buffer {
  let b = Buffer.from(seed.bytes);
  for (const m of mutations) {
    const size = b.length;
    switch (m.k) {
      case 'field': {
        const ph = seed.phdrOffsets[m.index % seed.phdrOffsets.length]!;
        const note = seed.noteHeaderOffsets[m.index % seed.noteHeaderOffsets.length]!;
        const nf = seed.fileNoteDescOffset;
        const entry = nf + 16 + (m.index % 3) * 24;
        const ps = seed.procscopeDescOffset;
        if (m.field.startsWith('ps') && !ps) break;
        if (m.field === 'psJson') {
          // one byte of the JSON: a quote, a brace, a digit or anything
          const at = ps + 8 + (m.index % 120);
          if (at < b.length) b[at] = Number(m.random & 0xffn);
          break;
        }
        const [at, width] = ({
          phnum: [56, 2], phoff: [32, 8], shoff: [40, 8], pOffset: [ph + 8, 8], pVaddr: [ph + 16, 8], pFilesz: [ph + 32, 8], pMemsz: [ph + 40, 8], pType: [ph, 4],
          namesz: [note, 4], descsz: [note + 4, 4], noteType: [note + 8, 4], fileCount: [nf, 8], filePage: [nf + 8, 8], fileStart: [entry, 8], fileEnd: [entry + 8, 8],
          psFormat: [ps, 4], psLength: [ps + 4, 4], psJson: [0, 0],
        } as Record<Field, [number, number]>)[m.field];
        const v = { zero: 0n, one: 1n, max32: 0xffffffffn, max64: 2n ** 64n - 1n, size: BigInt(size), sizePlus1: BigInt(size + 1), half: BigInt(size >> 1), huge: 2n ** 62n, random: m.random }[m.value];
        if (at + width > b.length || (m.field.startsWith('file') && !nf)) break;
        if (width === 2) b.writeUInt16LE(Number(v & 0xffffn), at);
        else if (width === 4) b.writeUInt32LE(Number(v & 0xffffffffn), at);
        else b.writeBigUInt64LE(v & (2n ** 64n - 1n), at);
        break;
      }
      default:
        b = applyByteMutation(b, m);
    }
  }
  return b;
}

/** Uses what an analysis would: reads at segment edges, the modules, and a walk of every thread's stack. */
async function exercise(core: ElfCore): Promise<void> {
  for (const s of core.segments.slice(0, 16)) {
    await core.readMemory(s.start, Math.min(s.fileBytes, 64));
    if (s.fileBytes > 0) await core.readMemory(s.start + BigInt(s.fileBytes - 1), 1);
    await core.readMemory(s.end, 1);
  }
  const modules = await loadCoreModules(core, { localFiles: false });
  try {
    const unwinder = createStackUnwinder(core, modules);
    for (const t of core.threads.slice(0, 8)) await unwinder.unwindThread(t);
  } finally {
    await modules.close();
  }
}

describe(`fuzz: the ELF core reader (seed ${SEED})`, () => {
  it(`opens or refuses ${FILES} mutated cores with ElfFormatError only, each under ${LIMIT_MS} ms`, async () => {
    let procscopeRead = 0;
    let procscopeIgnored = 0;
    const { files, parsed, refused, maxMs } = await runMutationFuzz({
      file: join(dir, 'mutated.core'),
      seeds: SEEDS,
      mutation,
      mutate,
      refusal: ElfFormatError,
      seed: SEED,
      offset: 11,
      files: FILES,
      limitMs: LIMIT_MS,
      open: async (path) => {
        const core = await openElfCore(path);
        try {
          if (core.procscope) {
            procscopeRead++;
            for (const t of core.procscope.threads) {
              expect(Number.isSafeInteger(t.tid) && t.tid > 0).toBe(true);
              expect(t.name === null || (typeof t.name === 'string' && t.name.length <= 64)).toBe(true);
            }
          }
          if (core.noteProblems.length > 0) {
            procscopeIgnored++;
            expect(core.procscope).toBeNull();
            expect(core.noteProblems[0]).toMatch(/^The PROCSCOPE note .+\. It was ignored/);
          }
          await exercise(core);
        } finally {
          await core.close();
        }
      },
    });
    console.log(`fuzz elf core: ${files} files, max ${maxMs.toFixed(1)} ms, 0 crashes (${parsed} opened, ${refused} refused; PROCSCOPE note read ${procscopeRead}, ignored ${procscopeIgnored}), seed ${SEED}`);
    expect(files).toBe(FILES);
    expect(parsed).toBeGreaterThan(FILES / 20);
    expect(refused).toBeGreaterThan(FILES / 20);
    expect(procscopeRead).toBeGreaterThan(FILES / 50);
    expect(procscopeIgnored).toBeGreaterThan(FILES / 200);
  });
});
