// The pack's symbol table round-trips every value LEB128 must carry: single- and multi-byte, the last exact Number,
// the first beyond it, and the largest u64 (the encoder takes a Number path below 2^53 and a BigInt path above).
import { describe, expect, it } from 'vitest';
import { decodeAnalysisPack, encodeAnalysisPack, type PackModule } from './analysis-pack-format';

const EDGES = [0n, 1n, 0x7fn, 0x80n, 0x3fffn, 0x4000n, 2n ** 32n + 5n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n];

describe('analysis pack format', () => {
  it('round-trips symbol starts and sizes at every LEB128 edge, Number and BigInt alike', () => {
    // Sizes take the edge values themselves (u64); starts ascend below 2^48 (the reader's address-space limit), by
    // steps at the edges that fit.
    let rva = 0n;
    const symbols = EDGES.map((size, i) => {
      rva += EDGES[i]! < 2n ** 40n ? EDGES[i]! : 1n;
      return { rva, sizeBytes: size, name: `edge_${i}` };
    });
    const module: PackModule = { path: '/usr/lib/libedges.so', buildId: 'ab'.repeat(20), base: 0x7f0000000000n, regions: [], symbols };
    const [decoded] = decodeAnalysisPack(encodeAnalysisPack([module]));
    expect(decoded!.symbols.map((s) => [s.rva, s.sizeBytes, s.name])).toEqual(symbols.map((s) => [s.rva, s.sizeBytes, s.name]));
  });

  it('leaves out a symbol the reader would refuse the whole pack for (a start at 2^48 or beyond), and keeps the rest', () => {
    const symbols = [
      { rva: 0x1000n, sizeBytes: 16n, name: 'kept' },
      { rva: 2n ** 48n, sizeBytes: 16n, name: 'beyond' },
      { rva: 2n ** 64n - 1n, sizeBytes: 1n, name: 'far beyond' },
    ];
    const module: PackModule = { path: '/usr/lib/libodd.so', buildId: 'cd'.repeat(20), base: 0n, regions: [], symbols };
    const [decoded] = decodeAnalysisPack(encodeAnalysisPack([module]));
    expect(decoded!.symbols.map((s) => s.name)).toEqual(['kept']);
  });
});
