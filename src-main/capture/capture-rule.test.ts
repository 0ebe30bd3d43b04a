import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CaptureRule } from '../../src-shared/model/capture';
import { testCaptureRule } from './__fixtures__/capture-rule-fixture';
import { compileCaptureRule, MATCHED_CMDLINE_CHARS, ruleMatches } from './capture-rule';

const dir = mkdtempSync(join(tmpdir(), 'procscope-rule-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const target = { pid: 4242, startTimeMs: 1_764_160_000_123 };
const rule = (over: Partial<CaptureRule>) => testCaptureRule(target, dir, over);
const refusal = (over: Partial<CaptureRule>): string | null => {
  try {
    compileCaptureRule(rule(over));
    return null;
  } catch (err) {
    return (err as Error).message;
  }
};
const monitor = { cpuPercent: null, memoryMb: null, seconds: 10, count: 1 };

describe('compileCaptureRule: the sampled triggers (cpu, memory, series)', () => {
  it('accepts each sampled trigger with the monitor settings it needs, and a rule with neither', () => {
    expect(refusal({ triggers: ['exit'] })).toBeNull();
    expect(refusal({ scope: 'self', triggers: ['cpu'], monitor: { ...monitor, cpuPercent: 50, seconds: 2 } })).toBeNull();
    expect(refusal({ triggers: ['memory', 'exit'], monitor: { ...monitor, memoryMb: 200 } })).toBeNull();
    expect(refusal({ triggers: ['cpu', 'memory'], monitor: { ...monitor, cpuPercent: 150, memoryMb: 200 } })).toBeNull();
    expect(refusal({ scope: 'self', triggers: ['series'], monitor: { ...monitor, count: 3, seconds: 1 } })).toBeNull();
  });

  it('refuses a sampled trigger without settings, settings that disagree with the triggers, and out-of-range numbers', () => {
    expect(refusal({ triggers: ['cpu'] })).toBe('Invalid capture rule: the cpu trigger needs monitor settings.');
    expect(refusal({ triggers: ['series'], monitor: null })).toBe('Invalid capture rule: the series trigger needs monitor settings.');
    expect(refusal({ triggers: ['exit'], monitor: { ...monitor, cpuPercent: 50 } })).toMatch(/cpu trigger and monitor.cpuPercent go together/);
    expect(refusal({ triggers: ['cpu'], monitor })).toMatch(/cpu trigger and monitor.cpuPercent go together/);
    expect(refusal({ triggers: ['memory', 'series'], monitor: { ...monitor, memoryMb: 9 } })).toMatch(/series trigger is a monitor without thresholds/);
    expect(refusal({ triggers: ['exit'], monitor })).toMatch(/series trigger is a monitor without thresholds/);
    expect(refusal({ triggers: ['cpu'], monitor: { ...monitor, cpuPercent: 0 } })).toMatch(/cpuPercent must be 1-100000 or null/);
    expect(refusal({ triggers: ['cpu'], monitor: { ...monitor, cpuPercent: 12.5 } })).toMatch(/cpuPercent/);
    expect(refusal({ triggers: ['memory'], monitor: { ...monitor, memoryMb: -1 } })).toMatch(/memoryMb/);
    expect(refusal({ triggers: ['series'], monitor: { ...monitor, seconds: 0 } })).toMatch(/seconds must be 1-86400/);
    expect(refusal({ triggers: ['series'], monitor: { ...monitor, count: 10_001 } })).toMatch(/count must be 1-10000/);
    expect(refusal({ triggers: ['series'], monitor: 'x' as unknown as CaptureRule['monitor'] })).toMatch(/monitor must be an object/);
    expect(refusal({ triggers: ['exit', 'exit'] })).toMatch(/names a trigger twice/);
    expect(refusal({ triggers: ['hang' as never] })).toBe('Invalid capture rule: unknown trigger "hang".');
  });
});

/*
 * The tracer — the root helper, when rights are missing — evaluates these patterns while it may hold stopped
 * processes. Each case below hung the matcher before patterns were compiled for linear time (V8's backtracking:
 * `(a+)+$` on 40 a's is 2^40 steps; the 30-star glob on a 60-character name ran 180 s here): they pass only when a
 * match returns at all.
 */
describe('compileCaptureRule: no pattern can stall the watcher', () => {
  const matches = (over: Partial<CaptureRule>, names: string[], cmdline: string): boolean =>
    ruleMatches(compileCaptureRule(rule(over)), false, names, cmdline);

  it('runs a catastrophic-backtracking command-line regex in linear time', () => {
    expect(matches({ cmdlineRegex: '(a+)+$' }, ['x'], `${'a'.repeat(40)}!`)).toBe(false);
    expect(matches({ cmdlineRegex: '(a+)+$' }, ['x'], `!${'a'.repeat(40)}`)).toBe(true);
    expect(matches({ cmdlineRegex: '^(a|aa)+$' }, ['x'], `${'a'.repeat(5000)}!`)).toBe(false);
    expect(matches({ cmdlineRegex: '(x+x+)+y' }, ['x'], 'x'.repeat(5000))).toBe(false);
  });

  it('runs a glob of many stars in linear time, with the same answers as before', () => {
    const stars = '*a'.repeat(30) + 'b';
    expect(matches({ nameGlob: stars }, ['a'.repeat(60)], '')).toBe(false);
    expect(matches({ nameGlob: stars }, [`${'a'.repeat(60)}b`], '')).toBe(true);
    expect(matches({ nameGlob: 'Calamari*' }, ['calamari.exe'], '')).toBe(true);
    expect(matches({ nameGlob: 'c?l*.exe' }, ['Calamari.EXE'], '')).toBe(true);
    expect(matches({ nameGlob: 'c?l*.exe' }, ['Calamari.exe.bak'], '')).toBe(false);
    expect(matches({ nameGlob: '*' }, [''], '')).toBe(true);
    expect(matches({ nameGlob: '?' }, [''], '')).toBe(false);
    expect(matches({ nameGlob: 'a*b*c' }, ['abxbxc'], '')).toBe(true);
    expect(matches({ nameGlob: 'a*b*c' }, ['abxbxcx'], '')).toBe(false);
    expect(matches({ nameGlob: 'pwsh[1].exe' }, ['pwsh[1].exe'], '')).toBe(true);
    expect(matches({ nameGlob: 'pwsh[1].exe' }, ['pwsh1.exe'], '')).toBe(false);
  });

  it('refuses what cannot be matched in linear time, saying why, and still refuses what is no regular expression', () => {
    expect(refusal({ cmdlineRegex: '(a)\\1' })).toMatch(/^Invalid capture rule: cmdlineRegex cannot be matched in linear time \(a backreference/);
    expect(refusal({ cmdlineRegex: '(?=x)y' })).toMatch(/cmdlineRegex cannot be matched in linear time/);
    expect(refusal({ cmdlineRegex: '(a{1000}){1000}' })).toMatch(/cmdlineRegex cannot be matched in linear time/);
    expect(refusal({ cmdlineRegex: '(' })).toMatch(/^Invalid capture rule: cmdlineRegex is not a regular expression \(/);
    expect(refusal({ cmdlineRegex: '--sensitive\\w+=(deploy|x)\\.ps1' })).toBeNull();
  });

  it('matches the first 16 KiB of a command line only', () => {
    expect(matches({ cmdlineRegex: 'needle' }, ['x'], `${'a'.repeat(MATCHED_CMDLINE_CHARS - 6)}needle`)).toBe(true);
    expect(matches({ cmdlineRegex: 'needle' }, ['x'], `${'a'.repeat(MATCHED_CMDLINE_CHARS)}needle`)).toBe(false);
  });
});
