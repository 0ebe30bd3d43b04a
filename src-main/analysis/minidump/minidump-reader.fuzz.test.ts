/*
 * Fuzzing of the MDMP reader with fast-check: 10,000 files mutated from well-formed synthetic minidumps (byte and
 * bit flips, truncation, splices, and aimed edits of stream counts, directory entries, RVAs and sizes: out of
 * bounds, huge, pointing back into the header or at themselves). Each file must open or be refused with the
 * reader's own MinidumpFormatError — never another error, never a hang — in under a second, including reads of
 * the memory it claims to hold. The seed is printed; PROCSCOPE_FUZZ_SEED varies it.
 */
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fuzzParameters, fuzzSeed } from '../../__fixtures__/fuzz-seed';
import { buildSyntheticMinidump, type SyntheticMinidump } from './__fixtures__/synthetic-minidump';
import { MinidumpFormatError, openMinidump, type Minidump } from './minidump-reader';

const SEED = fuzzSeed();
const FILES = 10_000;
const LIMIT_MS = 1_000;

const SEEDS: SyntheticMinidump[] = [
  buildSyntheticMinidump(),
  buildSyntheticMinidump({ threadCount: 1, moduleNames: [], memoryPages: 0, memory64Pages: 1 }),
  buildSyntheticMinidump({ threadCount: 12, moduleNames: Array.from({ length: 40 }, (_, i) => `/usr/lib/lib${i}.so`), memoryPages: 4, memory64Pages: 0 }),
  buildSyntheticMinidump({ threadCount: 0, moduleNames: ['C:\\a.exe'], memoryPages: 1, memory64Pages: 6, pageBytes: 16 }),
];
// After the seeds: a builder that throws must not leave the folder behind.
const dir = mkdtempSync(join(tmpdir(), 'procscope-mdmp-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Where = 'streamCount' | 'directoryRva' | 'threadCount' | 'moduleCount' | 'memoryCount' | 'moduleNameRva' | 'memorySize' | 'memoryRva' | 'entryType' | 'entrySize' | 'entryRva';
type Where64 = 'memory64Count' | 'memory64BaseRva' | 'memory64Size' | 'memory64Start';
/** A value chosen relative to the file: its size, one past it, the field's own offset (a loop), the header... */
type ValueKind = 'zero' | 'one' | 'max' | 'maxMinus1' | 'signBit' | 'size' | 'sizePlus1' | 'sizeMinus1' | 'self' | 'header' | 'directory' | 'plausibleCount' | 'overCount' | 'random';

type Mutation =
  | { k: 'byte'; at: number; value: number }
  | { k: 'bit'; at: number; bit: number }
  | { k: 'truncate'; at: number }
  | { k: 'splice'; at: number; remove: number; insert: Uint8Array }
  | { k: 'u32'; where: Where; index: number; value: ValueKind; random: number }
  | { k: 'u64'; where: Where64; index: number; value: ValueKind | 'huge'; random: bigint }
  | { k: 'duplicateEntry'; from: number; to: number };

const valueKind = fc.constantFrom<ValueKind>('zero', 'one', 'max', 'maxMinus1', 'signBit', 'size', 'sizePlus1', 'sizeMinus1', 'self', 'header', 'directory', 'plausibleCount', 'overCount', 'random');
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ k: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ k: fc.constant('bit' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ k: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('splice' as const), at: fc.nat(), remove: fc.integer({ min: 0, max: 64 }), insert: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({
    k: fc.constant('u32' as const),
    where: fc.constantFrom<Where>('streamCount', 'directoryRva', 'threadCount', 'moduleCount', 'memoryCount', 'moduleNameRva', 'memorySize', 'memoryRva', 'entryType', 'entrySize', 'entryRva'),
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
      case 'byte':
        if (size) b[m.at % size] = m.value;
        break;
      case 'bit':
        if (size) b[m.at % size]! ^= 1 << m.bit;
        break;
      case 'truncate':
        b = b.subarray(0, m.at % (size + 1));
        break;
      case 'splice': {
        const at = m.at % (size + 1);
        b = Buffer.concat([b.subarray(0, at), Buffer.from(m.insert), b.subarray(Math.min(size, at + m.remove))]);
        break;
      }
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
    }
  }
  return b;
}

/** Uses what a report would: every list, and reads at the edges of the ranges it claims. */
async function exercise(md: Minidump): Promise<void> {
  for (const m of md.modules) if (!m.path.endsWith(m.name)) throw new Error(`module name '${m.name}' is not the end of its path`);
  for (const range of md.memory.slice(0, 16)) {
    await md.readMemory(range.start, Math.min(range.dataBytes, 64));
    if (range.dataBytes > 0) await md.readMemory(range.start + BigInt(range.dataBytes - 1), 1);
    await md.readMemory(range.start + BigInt(range.dataBytes), 1);
  }
}

describe(`fuzz: the MDMP reader (seed ${SEED})`, () => {
  it(`opens or refuses ${FILES} mutated files with MinidumpFormatError only, each under ${LIMIT_MS} ms`, async () => {
    const file = join(dir, 'mutated.dmp');
    // One descriptor rewritten in place: opening and closing the file 10,000 times cost as much as parsing it.
    const fd = openSync(file, 'w');
    let files = 0;
    let parsed = 0;
    let refused = 0;
    let maxMs = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: SEEDS.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), async (seedIndex, mutations) => {
        const bytes = mutate(SEEDS[seedIndex]!, mutations);
        ftruncateSync(fd, 0);
        writeSync(fd, bytes, 0, bytes.length, 0);
        files++;
        const started = performance.now();
        try {
          const md = await openMinidump(file);
          try {
            await exercise(md);
          } finally {
            await md.close();
          }
          parsed++;
        } catch (err) {
          if (!(err instanceof MinidumpFormatError)) throw new Error(`the reader crashed instead of refusing: ${err instanceof Error ? err.stack : String(err)}`, { cause: err });
          if (!err.message.trim()) throw new Error('a refusal without a sentence', { cause: err });
          refused++;
        }
        const ms = performance.now() - started;
        maxMs = Math.max(maxMs, ms);
        if (ms > LIMIT_MS) throw new Error(`one file took ${ms.toFixed(0)} ms`);
      }),
      fuzzParameters(SEED, 1, FILES),
    ).finally(() => closeSync(fd));
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
  });
});
