/*
 * Fuzzing of the analysis pack reader with fast-check: synthetic packs (one to three modules, .eh_frame_hdr and
 * .eh_frame regions, symbols) mutated two ways — the file's bytes as stored (mostly caught by the checksum or
 * inflate), and the inflated body re-deflated under a fresh header, so the mutation reaches every length, count and
 * varint the decoder checks. Each must decode or be refused with AnalysisPackError — never another error, never a
 * hang — in under a second; what decodes is then used as the module layer uses it (reads at region edges, symbol
 * lookups). Then loadAnalysisPack on damaged files: a note, never a throw. Then Windows entries (pe-pack.ts, built
 * from a synthetic PE with chained and indirect unwind entries and exports) mutated the same ways and used as the
 * minidump module layer uses them (headers, .pdata lookups, UNWIND_INFO chains, exports): AnalysisPackError or
 * PeFormatError only. The seed is printed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fuzzParameters, fuzzSeed } from '../../__fixtures__/fuzz-seed';
import { applyByteMutation, byteMutations, type ByteMutation } from '../__fixtures__/mutation-fuzz';
import { AnalysisPackError, decodeAnalysisPack, encodeAnalysisPack, REGION_EH_FRAME, REGION_EH_FRAME_HDR, type PackModule } from './analysis-pack-format';
import { loadAnalysisPack } from './analysis-pack-reader';
import { buildPePackModule, peImageOfPackEntry } from './pe-pack';
import { buildSyntheticPe, RDATA_RVA, unwindInfo } from '../pe/__fixtures__/synthetic-pe';
import { PeFormatError, PeImage } from '../pe/pe-image';
import { primaryFunction } from '../pe/x64-unwind';

const SEED = fuzzSeed();
const RUNS = 3000;
const LIMIT_MS = 1000;

function syntheticModule(i: number, symbols: number): PackModule {
  const hdr = Buffer.alloc(12 + 8 * symbols);
  hdr.set([1, 0x1b, 0x03, 0x3b], 0);
  for (let k = 0; k < symbols; k++) {
    hdr.writeInt32LE(0x1000 + k * 0x40, 12 + k * 8);
    hdr.writeInt32LE(0x200 + k * 0x18, 16 + k * 8);
  }
  return {
    path: `/usr/lib/lib${i}.so`,
    buildId: `${i}`.repeat(40).slice(0, 40).replace(/[^0-9a-f]/g, 'a'),
    base: 0x7f0000000000n + BigInt(i) * 0x100000n,
    regions: [
      { kind: REGION_EH_FRAME_HDR, rva: 0x3000n, bytes: hdr },
      { kind: REGION_EH_FRAME, rva: 0x3400n, bytes: Buffer.alloc(0x18 * symbols + 24, 0x5a) },
    ],
    symbols: Array.from({ length: symbols }, (_, k) => ({ rva: 0x1000n + BigInt(k) * 0x40n, sizeBytes: 0x40n, name: `fn_${i}_${k}` })),
  };
}

const SEEDS = [[syntheticModule(1, 4)], [syntheticModule(2, 1), syntheticModule(3, 12)], [syntheticModule(4, 0), syntheticModule(5, 3), syntheticModule(6, 2)]].map(encodeAnalysisPack);

type Mutation = { where: 'file' | 'body'; m: ByteMutation };
const mutation: fc.Arbitrary<Mutation> = fc.record({ where: fc.constantFrom<'file' | 'body'>('file', 'body', 'body'), m: fc.oneof(...byteMutations) });

/** Applies each mutation; a body mutation inflates, mutates, deflates and writes a header that vouches for it. */
function mutate(seed: Buffer, mutations: readonly Mutation[]): Buffer {
  let b = Buffer.from(seed);
  for (const { where, m } of mutations) {
    if (where === 'file') {
      b = applyByteMutation(b, m);
      continue;
    }
    let body: Buffer;
    try {
      body = inflateSync(b.subarray(32));
    } catch {
      continue; // an earlier file mutation broke the deflate stream: nothing to aim at
    }
    const raw = applyByteMutation(Buffer.from(body), m);
    const stored = deflateSync(raw);
    const head = Buffer.from(b.subarray(0, 32));
    if (head.length < 32) continue;
    head.writeUInt32LE(crc32(stored), 20);
    head.writeBigUInt64LE(BigInt(raw.length), 24);
    b = Buffer.concat([head, stored]);
  }
  return b;
}

const dir = mkdtempSync(join(tmpdir(), 'procscope-pack-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe(`fuzz: the analysis pack reader (seed ${SEED})`, () => {
  it(`decodes or refuses ${RUNS} mutated packs with AnalysisPackError only, each under ${LIMIT_MS} ms`, () => {
    let decoded = 0;
    let refused = 0;
    let maxMs = 0;
    fc.assert(
      fc.property(fc.nat({ max: SEEDS.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (s, ms) => {
        const bytes = mutate(SEEDS[s]!, ms);
        const started = performance.now();
        try {
          for (const m of decodeAnalysisPack(bytes)) {
            expect(typeof m.path).toBe('string');
            for (const r of m.regions) expect(r.bytes.length).toBeLessThanOrEqual(bytes.length * 1100);
            for (const x of m.symbols.slice(0, 64)) expect(x.rva).toBeLessThan(2n ** 48n);
          }
          decoded++;
        } catch (err) {
          if (!(err instanceof AnalysisPackError)) throw err;
          expect(err.message).toMatch(/^The |^A /);
          refused++;
        }
        maxMs = Math.max(maxMs, performance.now() - started);
        expect(performance.now() - started).toBeLessThan(LIMIT_MS);
      }),
      fuzzParameters(SEED, 0, RUNS),
    );
    console.log(`analysis pack fuzz (seed ${SEED}): ${RUNS} packs, ${decoded} decoded, ${refused} refused, slowest ${maxMs.toFixed(1)} ms`);
    expect(decoded).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(RUNS / 10);
  });

  it('loads damaged pack files with a note, never a throw, and uses what decodes as the module layer does', async () => {
    const file = join(dir, 'core.pack');
    let noted = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: SEEDS.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), async (s, ms) => {
        writeFileSync(file, mutate(SEEDS[s]!, ms));
        const { pack, notes } = await loadAnalysisPack(file, true);
        if (!pack) {
          expect(notes).toHaveLength(1);
          noted++;
          return;
        }
        for (let i = 1; i <= 6; i++) {
          for (const e of pack.entriesFor(`/usr/lib/lib${i}.so`)) {
            for (const r of e.module.regions) {
              e.read(r.rva, r.bytes.length);
              e.read(r.rva + BigInt(r.bytes.length), 1);
              e.read(r.rva - 1n, 2);
            }
            e.hasUnwindTable(0x3000n);
            e.symbolStartingAt(0x1000n);
          }
        }
      }),
      fuzzParameters(SEED, 1, 500),
    );
    expect(noted).toBeGreaterThan(0);
  });

  it('decodes or refuses mutated Windows (PE) pack entries, and uses what decodes as the minidump modules do: no other error, each under a second', async () => {
    const pe = buildSyntheticPe({
      functions: [
        { begin: 0x1000, end: 0x1100, unwind: unwindInfo({ prolog: 5, codes: [[5, 2, 3], [1, 0, 3]] }) },
        { begin: 0x1200, end: 0x1280, unwind: unwindInfo({ prolog: 4, codes: [[4, 2, 4]] }) },
        { begin: 0x1280, end: 0x12c0, unwind: unwindInfo({ prolog: 0, codes: [], chained: [0x1000, 0x1100, RDATA_RVA] }) },
        { begin: 0x12c0, end: 0x12e0, unwind: null, indirect: 0 },
      ],
      exports: [{ name: 'main', rva: 0x1000 }, { name: 'worker', rva: 0x1200 }, { name: 'fwd', forwarder: 'other.dll.fn' }],
    });
    const read = async (rva: number, length: number) => (rva + length <= pe.image.length ? pe.image.subarray(rva, rva + length) : null);
    const headers = (await PeImage.open(read, 'app.exe'))!.headers;
    const seed = encodeAnalysisPack([(await buildPePackModule('C:\\app\\app.exe', 0x140000000n, read, headers)).module]);
    let used = 0;
    let refused = 0;
    let maxMs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (ms) => {
        const bytes = mutate(seed, ms);
        const started = performance.now();
        try {
          for (const m of decodeAnalysisPack(bytes)) {
            const image = await peImageOfPackEntry(m, 'app.exe in the pack');
            if (!image) continue;
            if (await image.probeUnwindTable()) {
              for (const pc of [0x1000, 0x1210, 0x1290, 0x12d0]) {
                const f = await image.functionAt(pc);
                if (f) await primaryFunction(image, f);
              }
            }
            await image.exports();
            used++;
          }
        } catch (err) {
          if (!(err instanceof AnalysisPackError) && !(err instanceof PeFormatError)) throw err;
          refused++;
        }
        maxMs = Math.max(maxMs, performance.now() - started);
        expect(performance.now() - started).toBeLessThan(LIMIT_MS);
      }),
      fuzzParameters(SEED, 2, 1000),
    );
    console.log(`PE analysis pack fuzz (seed ${SEED}): 1000 packs, ${used} entries used, ${refused} refused, slowest ${maxMs.toFixed(1)} ms`);
    expect(used).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});
