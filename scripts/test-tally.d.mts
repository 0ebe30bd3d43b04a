// Types for scripts/test-tally.mjs, for its test.
export interface SuiteCounts {
  passed: number;
  failed: number;
  skipped: number;
  extraFailures: string[];
  /** The failed tests by name with the first line of their error, for the problem sentence. */
  failedTests?: string[];
}
export type ReportRead = { counts: SuiteCounts } | { missing: true } | { unreadable: string };
export type Step =
  | { kind: 'check'; name: string; exitCode: number | null; signal?: string | null }
  | { kind: 'suite'; name: string; exitCode: number | null; signal?: string | null; report: ReportRead }
  | { kind: 'skipped'; name: string; reason: string }
  | { kind: 'not-run'; name: string; reason: string }
  | { kind: 'leftovers'; name: string; entries: string[] };
export interface Tally {
  passed: number;
  failed: number;
  skipped: number;
  problems: string[];
  skips: string[];
}
export function vitestCounts(json: unknown): SuiteCounts;
export function playwrightCounts(json: unknown): SuiteCounts;
export function winCounts(json: unknown): SuiteCounts;
export function tallySteps(steps: Step[]): Tally;
export function leftBehind(entries: string[]): string[];
export function closingLine(t: Tally): string;
