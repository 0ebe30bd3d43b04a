/*
 * The fast-check settings every *.fuzz.test.ts shares: one fixed seed by default, so a failure in CI reproduces
 * on any machine, and PROCSCOPE_FUZZ_SEED=<integer> (or "random") to explore other cases. The seed is printed
 * with each fuzz file's counts; fast-check prints the counterexample and the path to replay it on failure.
 */
import type { Parameters as FcParameters } from 'fast-check';

export const DEFAULT_FUZZ_SEED = 20_251_111;

/** The seed of this run: PROCSCOPE_FUZZ_SEED when set (an integer, or "random"), otherwise the fixed default. */
export function fuzzSeed(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env['PROCSCOPE_FUZZ_SEED']?.trim();
  if (!raw) return DEFAULT_FUZZ_SEED;
  if (raw === 'random') return (Math.random() * 0x7fffffff) | 0;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) throw new Error(`PROCSCOPE_FUZZ_SEED must be an integer or "random", not '${raw.slice(0, 40)}'.`);
  return seed | 0;
}

/** Parameters for fc.assert / fc.check: the run's seed (offset per property so two properties do not walk the same
 * stream), a case count, and a wall-clock cap so a loaded machine cannot turn a fuzz file into a hang. */
export function fuzzParameters<T>(seed: number, offset: number, numRuns: number): FcParameters<T> {
  return { seed: (seed + offset * 7919) | 0, numRuns, endOnFailure: true, verbose: 1 };
}
