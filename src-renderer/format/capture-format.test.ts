import { describe, expect, it } from 'vitest';
import type { CaptureProcessView, CaptureWatchView } from '../../src-shared/ipc/capture-contract';
import type { CaptureRule } from '../../src-shared/model/capture';
import { newCaptureWatchView } from '../../src-shared/model/capture-watch';
import { exitText, dumpsText, ruleSummary, visibleCaptureProcesses, watchStatus, watchTitle } from './capture-format';

const rule: CaptureRule = {
  target: { pid: 10, startTimeMs: 1 }, scope: 'descendants', nameGlob: null, cmdlineRegex: null, triggers: ['exit'],
  exitNonZeroOnly: false, kind: 'mini', outDir: '/d', holdTimeoutMs: 60_000, maxDumps: null, timeoutMs: null,
};
const watch = (patch: Partial<CaptureWatchView> = {}): CaptureWatchView => ({
  ...newCaptureWatchView({ id: 'w', target: { pid: 10, startTimeMs: 1, name: 'Tentacle' }, rule, elevated: false, createdAtMs: 1 }),
  ...patch,
});
const proc = (pid: number, patch: Partial<CaptureProcessView> = {}): CaptureProcessView => ({
  pid, ppid: 10, name: `c${pid}`, cmdline: '', startTimeMs: 1, seenAtMs: 1, exitedAtMs: null, exitCode: null, signal: null, lifetimeMs: null,
  heldUntilMs: null, heldFor: null, dumpTriggers: [], ...patch,
});

describe('capture panel wording', () => {
  it('names the watch by its scope', () => {
    expect(watchTitle(watch())).toBe('Capture of the children of Tentacle, PID 10');
    expect(watchTitle(watch({ rule: { ...rule, scope: 'self' } }))).toBe('Capture of Tentacle, PID 10');
    expect(watchTitle(watch({ rule: { ...rule, scope: 'self-and-descendants' } }))).toBe('Capture of Tentacle, PID 10, and its children');
  });

  it('says whether it is arming, armed, ended and why, or failed with main\'s sentence', () => {
    expect(watchStatus(watch()).word).toBe('arming');
    expect(watchStatus(watch({ state: 'armed' })).word).toBe('armed');
    expect(watchStatus(watch({ state: 'done', doneReason: 'target-exited' }))).toEqual({
      word: 'ended', sentence: 'Ended: the watched process ended; every held process was released.',
    });
    expect(watchStatus(watch({ state: 'done', doneReason: 'error', failure: { code: 'needs-elevation', message: 'Run it as administrator.' } }))).toEqual({
      word: 'failed', sentence: 'Failed: Run it as administrator.',
    });
  });

  it('tells running, exit codes and signals apart, and lists the dumps by trigger', () => {
    expect(exitText(proc(1))).toBe('running');
    expect(exitText(proc(1, { exitedAtMs: 5, exitCode: 3 }))).toBe('exit code 3');
    expect(exitText(proc(1, { exitedAtMs: 5, exitCode: 0 }))).toBe('exit code 0');
    expect(exitText(proc(1, { exitedAtMs: 5, signal: 'SIGSEGV' }))).toBe('killed by SIGSEGV');
    const deadline = new Date(2026, 0, 2, 14, 3, 22, 999).getTime(); // local time, as the panel shows it
    expect(exitText(proc(1, { heldFor: 'exit', heldUntilMs: deadline }))).toBe('held for its exit dump (until 14:03:22)');
    expect(exitText(proc(1, { heldFor: 'cpu', heldUntilMs: deadline }))).toBe('held for its CPU threshold dump (until 14:03:22)');
    // An exit seen after a hold the reducer missed clearing still reads as an exit, never as held.
    expect(exitText(proc(1, { heldFor: 'exit', heldUntilMs: deadline, exitedAtMs: 5, exitCode: 3 }))).toBe('exit code 3');
    expect(dumpsText(proc(1))).toBe('none');
    expect(dumpsText(proc(1, { dumpTriggers: ['start', 'exit'] }))).toBe('at start, at exit');
  });

  it('sums up the rule', () => {
    expect(ruleSummary(rule)).toBe('at exit; minidumps; hold at most 1 min 00 s');
    expect(ruleSummary({ ...rule, triggers: ['start', 'exit'], exitNonZeroOnly: true, kind: 'full', holdTimeoutMs: 5000, nameGlob: 'Cal*', maxDumps: 1 }))
      .toBe('at start, at a non-zero exit; full dumps; hold at most 5.0 s; name Cal*; stop after 1 dump');
    expect(ruleSummary({ ...rule, triggers: ['cpu'], monitor: { cpuPercent: 90, memoryMb: null, seconds: 5, count: 2 } }))
      .toBe('at the CPU threshold; minidumps; hold at most 1 min 00 s; CPU ≥ 90 % for 5 s; at most 2 per process');
    expect(ruleSummary({ ...rule, triggers: ['series'], monitor: { cpuPercent: null, memoryMb: null, seconds: 10, count: 3 } }))
      .toBe('in a series; minidumps; hold at most 1 min 00 s; a dump every 10 s; at most 3 per process');
  });

  it('draws the newest rows of a watch that saw thousands and counts the rest, dropped ones included', () => {
    const many = watch({ processes: Array.from({ length: 250 }, (_, i) => proc(100 + i)), droppedProcesses: 7 });
    const { rows, hidden } = visibleCaptureProcesses(many, 200);
    expect([rows.length, rows[0]!.pid, rows.at(-1)!.pid, hidden]).toEqual([200, 150, 349, 57]);
    expect(visibleCaptureProcesses(watch({ processes: [proc(1)] }))).toEqual({ rows: [proc(1)], hidden: 0 });
  });
});
