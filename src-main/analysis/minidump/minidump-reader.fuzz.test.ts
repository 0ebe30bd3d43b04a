/*
 * Fuzzing of the MDMP reader with fast-check: 10,000 files mutated from well-formed synthetic minidumps (byte and
 * bit flips, truncation, splices, and aimed edits of stream counts, directory entries, RVAs and sizes: out of
 * bounds, huge, pointing back into the header or at themselves). Each file must open or be refused with the
 * reader's own MinidumpFormatError — never another error, never a hang — in under a second, including reads of
 * the memory it claims to hold, and through the analysis adapter: module images from dump memory (one seed
 * holds a PE image with .pdata, exports and a thread parked in it), the .pdata unwinder and the stack scan. The seed
 * is printed; PROCSCOPE_FUZZ_SEED varies it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fuzzParameters, fuzzSeed } from '../../__fixtures__/fuzz-seed';
import { applyByteMutation, byteMutations, runMutationFuzz, type ByteMutation } from '../__fixtures__/mutation-fuzz';
import { buildSyntheticPe, unwindInfo } from '../pe/__fixtures__/synthetic-pe';
import { buildSyntheticMinidump, IMAGE_BASE, type SyntheticMinidump } from './__fixtures__/synthetic-minidump';
import { openMinidumpAnalysisInput } from './minidump-analysis-input';
import { MinidumpFormatError, openMinidump, type Minidump } from './minidump-reader';

const SEED = fuzzSeed();
const FILES = 10_000;
const LIMIT_MS = 1_000;

/** A PE image at the first module's base (main → worker → leaf, as in the stack walker's test) and thread 0 in it. */
function parkedInImage(): SyntheticMinidump {
  const code = Buffer.alloc(0x400, 0x90);
  code[0x50 - 5] = 0xe8;
  code[0x240 - 5] = 0xe8;
  const image = buildSyntheticPe({
    functions: [
      { begin: 0x1000, end: 0x1100, unwind: unwindInfo({ prolog: 5, codes: [[5, 2, 3], [1, 0, 3]] }) },
      { begin: 0x1200, end: 0x1280, unwind: unwindInfo({ prolog: 4, codes: [[4, 2, 4]] }) },
      { begin: 0x1280, end: 0x12c0, unwind: unwindInfo({ prolog: 0, codes: [], chained: [0x1200, 0x1280, 0x3008] }) },
    ],
    code: [{ rva: 0x1000, bytes: code }],
    exports: [{ name: 'main', rva: 0x1000 }, { name: 'Forwarded', forwarder: 'NTDLL.RtlX' }],
  });
  const stack = Buffer.alloc(0x100);
  stack.writeBigUInt64LE(IMAGE_BASE + 0x1240n, 0);
  stack.writeBigUInt64LE(IMAGE_BASE + 0x1050n, 8 + 0x28);
  return buildSyntheticMinidump({ image, thread0: { registers: { rip: IMAGE_BASE + 0x1300n, rsp: 0x30000n }, stack }, memoryPages: 1, memory64Pages: 1 });
}

const SEEDS: SyntheticMinidump[] = [
  parkedInImage(),
  buildSyntheticMinidump(),
  buildSyntheticMinidump({ threadCount: 1, moduleNames: [], memoryPages: 0, memory64Pages: 1 }),
  buildSyntheticMinidump({ threadCount: 12, moduleNames: Array.from({ length: 40 }, (_, i) => `/usr/lib/lib${i}.so`), memoryPages: 4, memory64Pages: 0 }),
  buildSyntheticMinidump({ threadCount: 0, moduleNames: ['C:\\a.exe'], memoryPages: 1, memory64Pages: 6, pageBytes: 16 }),
];
// After the seeds: a builder that throws must not leave the folder behind.
const dir = mkdtempSync(join(tmpdir(), 'procscope-mdmp-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Where = 'streamCount' | 'directoryRva' | 'threadCount' | 'moduleCount' | 'memoryCount' | 'moduleNameRva' | 'memorySize' | 'memoryRva' | 'entryType' | 'entrySize' | 'entryRva' | 'sideCount';
type Where64 = 'memory64Count' | 'memory64BaseRva' | 'memory64Size' | 'memory64Start';
/** A value chosen relative to the file: its size, one past it, the field's own offset (a loop), the header... */
type ValueKind = 'zero' | 'one' | 'max' | 'maxMinus1' | 'signBit' | 'size' | 'sizePlus1' | 'sizeMinus1' | 'self' | 'header' | 'directory' | 'plausibleCount' | 'overCount' | 'random';

type Mutation =
  | ByteMutation
  | { k: 'u32'; where: Where; index: number; value: ValueKind; random: number }
  | { k: 'u64'; where: Where64; index: number; value: ValueKind | 'huge'; random: bigint }
  | { k: 'duplicateEntry'; from: number; to: number };

const valueKind = fc.constantFrom<ValueKind>('zero', 'one', 'max', 'maxMinus1', 'signBit', 'size', 'sizePlus1', 'sizeMinus1', 'self', 'header', 'directory', 'plausibleCount', 'overCount', 'random');
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  ...byteMutations,
  fc.record({
    k: fc.constant('u32' as const),
    where: fc.constantFrom<Where>('streamCount', 'directoryRva', 'threadCount', 'moduleCount', 'memoryCount', 'moduleNameRva', 'memorySize', 'memoryRva', 'entryType', 'entrySize', 'entryRva', 'sideCount'),
    index: fc.nat(),
    value: valueKind,
    random: fc.nat(),
  }),
  fc.record({
    k: fc.constant('u64' as const),
    where: fc.constantFrom<Where64>('memory64Count', 'memory64BaseRva', 'memory64Size', 'memory64Start'),
    index: fc.nat(),
    value: fc.oneof(valueKind, fc.constant('huge' as const)),
    random: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  }),
  fc.record({ k: fc.constant('duplicateEntry' as const), from: fc.nat(), to: fc.nat() }),
);

function u32Value(kind: ValueKind, size: number, self: number, random: number): number {
  const table: Record<ValueKind, number> = {
    zero: 0, one: 1, max: 0xffffffff, maxMinus1: 0xfffffffe, signBit: 0x80000000, size, sizePlus1: size + 1, sizeMinus1: Math.max(0, size - 1),
    self, header: 12, directory: 32, plausibleCount: 1_000_000, overCount: 1_000_001, random: size ? random % size : random,
  };
  return table[kind] >>> 0;
}

/** Applies the mutations in order to a copy of the seed; offsets wrap around the current length. */
function mutate(seed: SyntheticMinidump, mutations: readonly Mutation[]): Buffer {
  let b = Buffer.from(seed.bytes);
  const L = seed.layout;
  const writeU32 = (at: number, v: number): void => {
    if (at >= 0 && at + 4 <= b.length) b.writeUInt32LE(v >>> 0, at);
  };
  for (const m of mutations) {
    const size = b.length;
    switch (m.k) {
      case 'u32': {
        const entry = L.directoryOffset + (m.index % L.streamCount) * 12;
        const pick = (list: number[]): number => (list.length ? list[m.index % list.length]! : -1);
        const at: Record<Where, number> = {
          streamCount: L.streamCountOffset,
          directoryRva: L.directoryRvaOffset,
          threadCount: L.threadCountOffset,
          moduleCount: L.moduleCountOffset,
          memoryCount: L.memoryCountOffset,
          moduleNameRva: pick(L.moduleNameRvaOffsets),
          memorySize: pick(L.memoryDescriptorOffsets),
          memoryRva: pick(L.memoryDescriptorOffsets) + 4,
          entryType: entry,
          entrySize: entry + 4,
          entryRva: entry + 8,
          sideCount: pick(L.sideCountOffsets),
        };
        const offset = at[m.where];
        // 'self' for an RVA field: point it at its own bytes (or the word before them), the nearest thing to a loop.
        writeU32(offset, u32Value(m.value, size, Math.max(0, offset - 4), m.random));
        break;
      }
      case 'u64': {
        const count = Number(seed.bytes.readBigUInt64LE(L.memory64CountOffset));
        const descriptor = L.memory64CountOffset + 16 + (count ? m.index % count : 0) * 16;
        const offset = { memory64Count: L.memory64CountOffset, memory64BaseRva: L.memory64BaseRvaOffset, memory64Size: descriptor + 8, memory64Start: descriptor }[m.where];
        const value =
          m.value === 'huge' ? m.random : m.value === 'max' ? 2n ** 64n - 1n : m.value === 'signBit' ? 2n ** 63n : BigInt(u32Value(m.value, size, offset, Number(m.random % 2n ** 32n)));
        if (offset + 8 <= b.length) b.writeBigUInt64LE(value, offset);
        break;
      }
      case 'duplicateEntry': {
        const from = L.directoryOffset + (m.from % L.streamCount) * 12;
        const to = L.directoryOffset + (m.to % L.streamCount) * 12;
        if (Math.max(from, to) + 12 <= b.length) b.copy(b, to, from, from + 12);
        break;
      }
      default:
        b = applyByteMutation(b, m);
    }
  }
  return b;
}

/** Uses what a report would: every list, and reads at the edges of the ranges it claims. */
async function exercise(md: Minidump, file: string): Promise<void> {
  for (const m of md.modules) if (!m.path.endsWith(m.name)) throw new Error(`module name '${m.name}' is not the end of its path`);
  for (const range of md.memory.slice(0, 16)) {
    await md.readMemory(range.start, Math.min(range.dataBytes, 64));
    if (range.dataBytes > 0) await md.readMemory(range.start + BigInt(range.dataBytes - 1), 1);
    await md.readMemory(range.start + BigInt(range.dataBytes), 1);
  }
  // The whole analysis: module images from the dump's memory, .pdata unwinding, exports, scanning.
  const input = await openMinidumpAnalysisInput(file, { localFiles: false });
  try {
    for (const t of input.threads) {
      if (t.frames.length > 1024) throw new Error(`thread ${t.tid}: ${t.frames.length} frames`);
      for (const f of t.frames) if (typeof f.pc !== 'bigint' || !['context', 'cfi', 'scan'].includes(f.trust)) throw new Error(`bad frame ${String(f.pc)} ${f.trust}`);
    }
  } finally {
    await input.close();
  }
}

describe(`fuzz: the MDMP reader (seed ${SEED})`, () => {
  it(`opens or refuses ${FILES} mutated files with MinidumpFormatError only, each under ${LIMIT_MS} ms`, async () => {
    const { files, parsed, refused, maxMs } = await runMutationFuzz({
      file: join(dir, 'mutated.dmp'),
      seeds: SEEDS,
      mutation,
      mutate,
      refusal: MinidumpFormatError,
      seed: SEED,
      offset: 1,
      files: FILES,
      limitMs: LIMIT_MS,
      open: async (file) => {
        const md = await openMinidump(file);
        try {
          await exercise(md, file);
        } finally {
          await md.close();
        }
      },
    });
    console.log(`fuzz mdmp: ${files} files, max ${maxMs.toFixed(1)} ms, 0 crashes (${parsed} opened, ${refused} refused), seed ${SEED}`);
    expect(files).toBe(FILES);
    // Both outcomes must be common, or the mutations are too weak (all open) or too blunt (all refused at the header).
    expect(parsed).toBeGreaterThan(FILES / 20);
    expect(refused).toBeGreaterThan(FILES / 20);
  });

  it('answers readMemory with bytes, null, or a sentence for any address and length', async () => {
    const file = join(dir, 'seed.dmp');
    writeFileSync(file, SEEDS[0]!.bytes);
    const md = await openMinidump(file);
    let cases = 0;
    try {
      const near = fc.tuple(fc.constantFrom(...SEEDS[0]!.ranges), fc.integer({ min: -16, max: 0x2000 })).map(([r, d]) => r.start + BigInt(d));
      const length = fc.oneof(fc.integer({ min: -4, max: 0x2000 }), fc.constantFrom(NaN, Infinity, -0, 0.5, 2 ** 40, 2 ** 53, Number.MAX_SAFE_INTEGER + 2));
      await fc.assert(
        fc.asyncProperty(fc.oneof(near, fc.bigInt({ min: -(2n ** 64n), max: 2n ** 65n })), length, async (address, bytes) => {
          cases++;
          try {
            const out = await md.readMemory(address, bytes);
            if (out !== null && out.length !== bytes) throw new Error(`asked for ${bytes} bytes, got ${out.length}`);
          } catch (err) {
            if (!(err instanceof MinidumpFormatError || err instanceof RangeError) || !/^readMemory|lies outside/.test(err.message)) {
              throw new Error(`readMemory(${address}, ${bytes}) threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`, { cause: err });
            }
          }
        }),
        fuzzParameters(SEED, 2, 2_000),
      );
    } finally {
      await md.close();
    }
    console.log(`fuzz mdmp readMemory: ${cases} cases`);
  });

  it('reads the well-formed seeds back as they were built (the oracle the mutations start from)', async () => {
    for (const [i, seed] of SEEDS.entries()) {
      const file = join(dir, `seed-${i}.dmp`);
      writeFileSync(file, seed.bytes);
      const md = await openMinidump(file);
      try {
        expect(md.memory.map((m) => [m.start, m.dataBytes])).toEqual(seed.ranges.map((r) => [r.start, r.dataBytes]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1)));
        expect(md.modules).toHaveLength(seed.layout.moduleNameRvaOffsets.length);
        expect(md.processId).toBe(4242);
        expect(md.systemInfo).toMatchObject({ processorArchitecture: 9, buildNumber: 19045 });
      } finally {
        await md.close();
      }
    }
    // The first seed's thread 0 unwinds through the in-dump image, so the mutations reach the .pdata unwinder.
    const input = await openMinidumpAnalysisInput(join(dir, 'seed-0.dmp'), { localFiles: false });
    try {
      expect(input.threads[0]!.frames.map((f) => [f.trust, f.function])).toEqual([['context', null], ['cfi', '<fn_1200>'], ['cfi', 'main']]);
    } finally {
      await input.close();
    }
  });
});
