/*
 * The mutation-fuzz loop every dump reader's *.fuzz.test.ts runs (ELF core, minidump): fast-check picks a
 * well-formed seed file and one to four mutations, the mutated bytes are rewritten into one file descriptor (opening
 * and closing a file 10,000 times costs as much as parsing it), and the reader must open and exercise the file or
 * refuse it with its own format error carrying a sentence — never another error — each within a time limit. The
 * byte, bit, truncation and splice mutations are format-blind and shared here; each format adds its aimed edits.
 */
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import fc from 'fast-check';
import { fuzzParameters } from '../../__fixtures__/fuzz-seed';

export type ByteMutation =
  | { k: 'byte'; at: number; value: number }
  | { k: 'bit'; at: number; bit: number }
  | { k: 'truncate'; at: number }
  | { k: 'splice'; at: number; remove: number; insert: Uint8Array };

/** The format-blind mutations, to open a format's fc.oneof (offsets wrap around the current length). */
export const byteMutations: fc.Arbitrary<ByteMutation>[] = [
  fc.record({ k: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ k: fc.constant('bit' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ k: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('splice' as const), at: fc.nat(), remove: fc.integer({ min: 0, max: 64 }), insert: fc.uint8Array({ maxLength: 64 }) }),
];

/** Applies one format-blind mutation; `b` may be changed in place, the result is the new contents. */
export function applyByteMutation(b: Buffer<ArrayBuffer>, m: ByteMutation): Buffer<ArrayBuffer> {
  const size = b.length;
  switch (m.k) {
    case 'byte':
      if (size) b[m.at % size] = m.value;
      return b;
    case 'bit':
      if (size) b[m.at % size]! ^= 1 << m.bit;
      return b;
    case 'truncate':
      return b.subarray(0, m.at % (size + 1));
    case 'splice': {
      const at = m.at % (size + 1);
      return Buffer.concat([b.subarray(0, at), Buffer.from(m.insert), b.subarray(Math.min(size, at + m.remove))]);
    }
  }
}

export interface MutationFuzz<S, M> {
  /** The file rewritten for every case. */
  file: string;
  seeds: readonly S[];
  mutation: fc.Arbitrary<M>;
  mutate(seed: S, mutations: readonly M[]): Buffer;
  /** Opens, exercises and closes `file`; a refusal is thrown as the reader's format error. */
  open(file: string): Promise<void>;
  /** The reader's own refusal: its format error class. */
  refusal: new (...args: never[]) => Error;
  /** The run's seed (fuzzSeed()), this property's offset from it, and how many files to try. */
  seed: number;
  offset: number;
  files: number;
  limitMs: number;
}

export interface MutationFuzzCounts {
  files: number;
  parsed: number;
  refused: number;
  maxMs: number;
}

export async function runMutationFuzz<S, M>(f: MutationFuzz<S, M>): Promise<MutationFuzzCounts> {
  const fd = openSync(f.file, 'w');
  const counts: MutationFuzzCounts = { files: 0, parsed: 0, refused: 0, maxMs: 0 };
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: f.seeds.length - 1 }), fc.array(f.mutation, { minLength: 1, maxLength: 4 }), async (seedIndex, mutations) => {
      const bytes = f.mutate(f.seeds[seedIndex]!, mutations);
      ftruncateSync(fd, 0);
      writeSync(fd, bytes, 0, bytes.length, 0);
      counts.files++;
      const started = performance.now();
      try {
        await f.open(f.file);
        counts.parsed++;
      } catch (err) {
        if (!(err instanceof f.refusal)) throw new Error(`the reader crashed instead of refusing: ${err instanceof Error ? err.stack : String(err)}`, { cause: err });
        if (!err.message.trim()) throw new Error('a refusal without a sentence', { cause: err });
        counts.refused++;
      }
      const ms = performance.now() - started;
      counts.maxMs = Math.max(counts.maxMs, ms);
      if (ms > f.limitMs) throw new Error(`one file took ${ms.toFixed(0)} ms`);
    }),
    fuzzParameters(f.seed, f.offset, f.files),
  ).finally(() => closeSync(fd));
  return counts;
}
