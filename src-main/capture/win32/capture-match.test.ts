// The Windows engine's pure decisions on any OS: name globs (case-insensitive, .exe optional), command-line
// regexes, scope, which trigger fires, rule refusals, and the existing-descendant walk of a process snapshot.
import { describe, expect, it } from 'vitest';
import type { CaptureRule } from '../../../src-shared/model/capture';
import { DumpError } from '../../dump/dump-writer';
import { compileMatch, descendantPids, globToRegExp, inScope, triggerFor, validateCaptureRule } from './capture-match';

const isWinAbsolute = (p: string): boolean => /^[A-Za-z]:\\/.test(p);
const rule = (over: Partial<CaptureRule> = {}): CaptureRule => ({
  target: { pid: 1234, startTimeMs: 1_700_000_000_000 }, scope: 'descendants', nameGlob: null, cmdlineRegex: null,
  triggers: ['start'], exitNonZeroOnly: false, kind: 'mini', outDir: 'C:\\dumps', holdTimeoutMs: 60_000, maxDumps: null,
  timeoutMs: null, ...over,
});

describe('name and command-line filters', () => {
  it('matches a glob case-insensitively, with or without .exe, and treats regex characters literally', () => {
    const m = compileMatch({ nameGlob: 'Calamari*', cmdlineRegex: null });
    expect(m.matches('calamari.exe', '')).toBe(true);
    expect(m.matches('Calamari.Deploy.exe', '')).toBe(true);
    expect(m.matches('Tentacle.exe', '')).toBe(false);
    expect(compileMatch({ nameGlob: 'hostname', cmdlineRegex: null }).matches('HOSTNAME.EXE', '')).toBe(true);
    expect(compileMatch({ nameGlob: 'host?ame.exe', cmdlineRegex: null }).matches('hostname.exe', '')).toBe(true);
    expect(globToRegExp('a.b').test('aXb')).toBe(false);
    expect(globToRegExp('(x)+[y]').test('(x)+[y]')).toBe(true);
  });
  it('needs both filters to match when both are given', () => {
    const m = compileMatch({ nameGlob: 'powershell.exe', cmdlineRegex: '-File\\s+deploy\\.ps1' });
    expect(m.matches('powershell.exe', 'powershell.exe -NoProfile -File deploy.ps1')).toBe(true);
    expect(m.matches('powershell.exe', 'powershell.exe -Command Get-Date')).toBe(false);
    expect(m.matches('pwsh.exe', 'pwsh.exe -File deploy.ps1')).toBe(false);
  });
  it('matches everything without filters', () => {
    expect(compileMatch({ nameGlob: null, cmdlineRegex: null }).matches('anything.exe', '')).toBe(true);
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

describe('validateCaptureRule', () => {
  const refused = (over: Partial<CaptureRule>): string => {
    try {
      validateCaptureRule(rule(over), isWinAbsolute);
    } catch (err) {
      expect(err).toBeInstanceOf(DumpError);
      expect((err as DumpError).code).toBe('bad-request');
      return (err as DumpError).message;
    }
    throw new Error('accepted');
  };
  it('accepts a sound rule', () => {
    expect(() => validateCaptureRule(rule(), isWinAbsolute)).not.toThrow();
  });
  it('refuses each bad field with a sentence', () => {
    expect(refused({ target: { pid: 4, startTimeMs: 0 } })).toMatch(/not a process id/);
    expect(refused({ target: { pid: 1.5, startTimeMs: 0 } })).toMatch(/not a process id/);
    expect(refused({ scope: 'all' as CaptureRule['scope'] })).toMatch(/Unknown scope/);
    expect(refused({ triggers: [] })).toMatch(/at least one trigger/);
    expect(refused({ triggers: ['cpu' as 'start'] })).toMatch(/Unknown trigger/);
    expect(refused({ kind: 'huge' as 'mini' })).toMatch(/Unknown dump kind/);
    expect(refused({ outDir: 'dumps' })).toMatch(/absolute path/);
    expect(refused({ nameGlob: '' })).toMatch(/glob/);
    expect(refused({ cmdlineRegex: '(' })).toMatch(/not a valid regular expression/);
    expect(refused({ holdTimeoutMs: 0 })).toMatch(/hold deadline/);
    expect(refused({ holdTimeoutMs: Number.NaN })).toMatch(/hold deadline/);
    expect(refused({ maxDumps: 0 })).toMatch(/dump limit/);
    expect(refused({ timeoutMs: -1 })).toMatch(/timeout/);
  });
  it('refuses what is not a rule at all', () => {
    expect(() => validateCaptureRule(null as unknown as CaptureRule, isWinAbsolute)).toThrow(DumpError);
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
