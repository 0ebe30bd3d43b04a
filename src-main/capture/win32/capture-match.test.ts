// The Windows engine's pure decisions on any OS: image names against the rule's glob (.exe optional) and regex,
// scope, which trigger fires, and the existing-descendant walk of a process snapshot.
import { describe, expect, it } from 'vitest';
import type { CaptureRule } from '../../../src-shared/model/capture';
import { testCaptureRule } from '../__fixtures__/capture-rule-fixture';
import { compileLinearRegex, compileNameGlob, type TextMatcher } from '../capture-pattern';
import { ruleMatches, type CompiledRule } from '../capture-rule';
import { descendantPids, inScope, triggerFor, windowsImageNames } from './capture-match';

const rule = (over: Partial<CaptureRule> = {}): CaptureRule =>
  testCaptureRule({ pid: 1234, startTimeMs: 1_700_000_000_000 }, 'C:\\dumps', { triggers: ['start'], ...over });

describe('Windows image names against the rule (capture-rule.ts matches them as on Linux)', () => {
  const compiled = (nameGlob: string | null, cmdlineRegex: string | null = null): CompiledRule => ({
    rule: rule({ nameGlob, cmdlineRegex }), name: nameGlob === null ? null : compileNameGlob(nameGlob), cmdline: cmdlineRegex === null ? null : (compileLinearRegex(cmdlineRegex) as TextMatcher),
  });
  const matches = (c: CompiledRule, name: string, cmdline = ''): boolean => ruleMatches(c, false, windowsImageNames(name), cmdline);
  it('answers to the glob with and without .exe, case-insensitively', () => {
    expect(windowsImageNames('hostname.exe')).toEqual(['hostname.exe', 'hostname']);
    expect(windowsImageNames('Calamari.EXE')).toEqual(['Calamari.EXE', 'Calamari']);
    expect(windowsImageNames('tool.com')).toEqual(['tool.com']);
    expect(matches(compiled('hostname'), 'HOSTNAME.EXE')).toBe(true);
    expect(matches(compiled('Calamari*'), 'calamari.exe')).toBe(true);
    expect(matches(compiled('*.exe'), 'Calamari.exe')).toBe(true);
    expect(matches(compiled('Calamari*'), 'Tentacle.exe')).toBe(false);
  });
  it('needs both filters to match when both are given', () => {
    const c = compiled('powershell.exe', '-File\\s+deploy\\.ps1');
    expect(matches(c, 'powershell.exe', 'powershell.exe -NoProfile -File deploy.ps1')).toBe(true);
    expect(matches(c, 'powershell.exe', 'powershell.exe -Command Get-Date')).toBe(false);
    expect(matches(c, 'pwsh.exe', 'pwsh.exe -File deploy.ps1')).toBe(false);
  });
});

describe('scope and triggers', () => {
  it('puts the target in scope only for self and self-and-descendants, descendants only outside self', () => {
    expect([inScope('self', true), inScope('descendants', true), inScope('self-and-descendants', true)]).toEqual([true, false, true]);
    expect([inScope('self', false), inScope('descendants', false), inScope('self-and-descendants', false)]).toEqual([false, true, true]);
  });
  it('fires start only for a process born under the watch, exit by code when asked, crash when listed', () => {
    const r = { triggers: ['start', 'exit', 'crash'] as CaptureRule['triggers'], exitNonZeroOnly: true };
    expect(triggerFor(r, { kind: 'create', bornUnderWatch: true })).toBe('start');
    expect(triggerFor(r, { kind: 'create', bornUnderWatch: false })).toBeNull();
    expect(triggerFor(r, { kind: 'exit', exitCode: 0 })).toBeNull();
    expect(triggerFor(r, { kind: 'exit', exitCode: 3 })).toBe('exit');
    expect(triggerFor({ ...r, exitNonZeroOnly: false }, { kind: 'exit', exitCode: 0 })).toBe('exit');
    expect(triggerFor(r, { kind: 'crash' })).toBe('crash');
    expect(triggerFor({ triggers: ['exit'], exitNonZeroOnly: false }, { kind: 'crash' })).toBeNull();
    expect(triggerFor({ triggers: ['crash'], exitNonZeroOnly: false }, { kind: 'create', bornUnderWatch: true })).toBeNull();
  });
});

describe('descendantPids', () => {
  const rec = (pid: number, ppid: number, createTimeMs: number) => ({ pid, ppid, createTimeMs });
  it('walks children before grandchildren and skips other trees', () => {
    const rows = [rec(10, 1, 100), rec(20, 10, 200), rec(30, 20, 300), rec(21, 10, 210), rec(99, 1, 50)];
    expect(descendantPids(rows, 10)).toEqual([20, 21, 30]);
  });
  it('does not adopt a process whose parent pid was reused by a younger process, and survives a loop', () => {
    // 40 claims parent 10, but 10 started after 40: 40's real parent is gone and 10 reused its pid.
    expect(descendantPids([rec(10, 1, 500), rec(40, 10, 100)], 10)).toEqual([]);
    expect(descendantPids([rec(10, 11, 100), rec(11, 10, 100)], 10)).toEqual([11]);
  });
});
