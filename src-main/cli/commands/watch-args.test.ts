// `procscope watch` argument parsing, in-process: every flag, each ProcDump alias against our spelling, defaults,
// and every refusal as one sentence; then fast-check: arbitrary argv never throws anything but a CliUsageError, and
// any argv it accepts gives a rule whose fields are in range.
import { availableParallelism } from 'node:os';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HOLD_TIMEOUT_MS } from '../../../src-shared/model/capture';
import { fuzzParameters, fuzzSeed } from '../../__fixtures__/fuzz-seed';
import { CliUsageError } from '../cli-command';
import { parseWatchArgs, WATCH_LIMITS, type WatchArgs } from './watch-args';

const CWD = '/home/ops';
const parse = (args: string[], cores?: number): WatchArgs => parseWatchArgs(args, CWD, cores);

describe('procscope watch arguments', () => {
  it('defaults: the pid itself, a mini dump into the current folder, a 60 s hold, no limit, no timeout', () => {
    expect(parse(['4242', '--on', 'exit'])).toEqual({
      source: { kind: 'pid', pid: 4242 },
      rule: {
        scope: 'self',
        nameGlob: null,
        cmdlineRegex: null,
        triggers: ['exit'],
        exitNonZeroOnly: false,
        kind: 'mini',
        outDir: CWD,
        holdTimeoutMs: DEFAULT_HOLD_TIMEOUT_MS,
        maxDumps: null,
        timeoutMs: null,
      },
      json: false,
      cpuPercent: null,
      memoryMb: null,
      thresholdSeconds: null,
      series: null,
    });
    expect(DEFAULT_HOLD_TIMEOUT_MS).toBe(60_000);
  });

  it('the worked example: Tentacle, Calamari* children, at a non-zero exit, mini, into a folder', () => {
    const a = parse(['900', '--children', '--name', 'Calamari*', '--on', 'exit', '--exit-code-nonzero', '--mini', '--out', '/var/dumps', '--json']);
    expect(a.source).toEqual({ kind: 'pid', pid: 900 });
    expect(a.rule).toMatchObject({ scope: 'descendants', nameGlob: 'Calamari*', triggers: ['exit'], exitNonZeroOnly: true, kind: 'mini', outDir: '/var/dumps' });
    expect(a.json).toBe(true);
  });

  it('every value option, in both --opt VALUE and --opt=VALUE forms', () => {
    const spaced = parse(['7', '--children', '--name', 'pwsh*', '--cmdline', '-File .*\\.ps1', '--on', 'start', '--full', '--out', '/d', '--hold-timeout', '2.5', '--timeout', '30', '-n', '5']);
    const inline = parse(['7', '--children', '--name=pwsh*', '--cmdline=-File .*\\.ps1', '--on=start', '--full', '--out=/d', '--hold-timeout=2.5', '--timeout=30', '-n', '5']);
    expect(inline).toEqual(spaced);
    expect(spaced.rule).toEqual({
      scope: 'descendants',
      nameGlob: 'pwsh*',
      cmdlineRegex: '-File .*\\.ps1',
      triggers: ['start'],
      exitNonZeroOnly: false,
      kind: 'full',
      outDir: '/d',
      holdTimeoutMs: 2_500,
      maxDumps: 5,
      timeoutMs: 30_000,
    });
  });

  it('repeated --on and comma lists give several triggers, each once, in the order given', () => {
    expect(parse(['1', '--on', 'exit', '--on', 'crash']).rule.triggers).toEqual(['exit', 'crash']);
    expect(parse(['1', '--on', 'crash,start', '--on', 'crash']).rule.triggers).toEqual(['crash', 'start']);
    expect(parse(['1', '--on', 'start', '-t', '-e', '--on', 'exit']).rule.triggers).toEqual(['start', 'exit', 'crash']);
  });

  it.each([
    [['-ma', '--on', 'exit'], ['--full', '--on', 'exit']],
    [['-mm', '--on', 'exit'], ['--mini', '--on', 'exit']],
    [['-t'], ['--on', 'exit']],
    [['-e'], ['--on', 'crash']],
    [['-t', '-n', '3'], ['--on', 'exit', '-n', '3']],
    [['-c', '90', '-s', '5'], ['--cpu', '90', '-s', '5']],
    [['-m', '800'], ['--memory', '800']],
  ])('ProcDump %j means the same as %j', (procdump, ours) => {
    expect(parse(['42', ...procdump])).toEqual(parse(['42', ...ours]));
  });

  it('-w NAME is --wait NAME, and -x DIR CMD ARGS is --out DIR --launch -- CMD ARGS', () => {
    expect(parse(['-w', 'Tentacle*', '-t'])).toEqual(parse(['--wait', 'Tentacle*', '--on', 'exit']));
    expect(parse(['-w', 'Tentacle*', '-t']).source).toEqual({ kind: 'wait', nameGlob: 'Tentacle*' });
    const x = parse(['-e', '-x', '/dumps', '/usr/bin/app', '--flag', '-n', '3']);
    expect(x).toEqual(parse(['--on', 'crash', '--out', '/dumps', '--launch', '--', '/usr/bin/app', '--flag', '-n', '3']));
    // Everything after the command belongs to it: '-n 3' is the app's, not ours.
    expect(x.source).toEqual({ kind: 'launch', argv: ['/usr/bin/app', '--flag', '-n', '3'] });
    expect(x.rule.maxDumps).toBeNull();
    expect(parse(['-t', '--launch', 'sh', '-c', 'exit 3']).source).toEqual({ kind: 'launch', argv: ['sh', '-c', 'exit 3'] });
  });

  it('thresholds and series become sampled triggers with their monitor settings (ProcDump defaults: -s 10, -n 1)', () => {
    expect(parse(['42', '--cpu', '90'])).toMatchObject({
      cpuPercent: 90, thresholdSeconds: 10, series: null,
      rule: { triggers: ['cpu'], maxDumps: 1, monitor: { cpuPercent: 90, memoryMb: null, seconds: 10, count: 1 } },
    });
    expect(parse(['42', '--memory', '800', '-s', '3', '-n', '2'])).toMatchObject({ memoryMb: 800, thresholdSeconds: 3, series: null });
    expect(parse(['42', '--memory', '800', '-n', '2']).rule).toMatchObject({ maxDumps: 2, triggers: ['memory'], monitor: { memoryMb: 800, count: 2 } });
    // With --children or an event trigger too, -n stays the watch's limit and is each process's count.
    expect(parse(['42', '--children', '-c', '150', '-n', '2']).rule).toMatchObject({ maxDumps: 2, triggers: ['cpu'], monitor: { count: 2 } });
    expect(parse(['42', '--children', '-c', '150']).rule).toMatchObject({ maxDumps: null, monitor: { count: 1 } });
    expect(parse(['42', '-t', '-m', '5']).rule).toMatchObject({ maxDumps: null, triggers: ['exit', 'memory'] });
    expect(parse(['42', '-c', '200'], 2).cpuPercent).toBe(200); // two busy cores
    expect(() => parse(['42', '-c', '201'], 2)).toThrow(/from 1 to 200/);
    expect(parse(['42', '-n', '3', '-s', '5'])).toMatchObject({
      series: { count: 3, intervalSeconds: 5 }, rule: { maxDumps: 3, triggers: ['series'], monitor: { cpuPercent: null, memoryMb: null, seconds: 5, count: 3 } },
    });
    expect(parse(['42', '-n', '3']).series).toEqual({ count: 3, intervalSeconds: 10 });
    expect(parse(['42', '-s', '2']).series).toEqual({ count: 1, intervalSeconds: 2 });
  });

  it.each([
    [[], /which process\? Give its pid, --wait NAME or --launch/],
    [['--on', 'exit'], /which process/],
    [['abc', '-t'], /'abc' is not a process id/],
    [['0', '-t'], /'0' is not a process id/],
    [['-5', '-t'], /unknown option '-5'/],
    [['2147483648', '-t'], /not a process id/],
    [['1', '2', '-t'], /one pid only/],
    [['1'], /nothing to dump on/],
    [['1', '--bogus', '-t'], /unknown option '--bogus'/],
    [['1', '--json=yes', '-t'], /unknown option '--json' \(or it takes no value\)/],
    [['1', '-t', '--on'], /--on needs a trigger/],
    [['1', '-t', '--name'], /--name needs an image-name glob/],
    [['1', '-t', '--children', '--name', '--json'], /--name needs an image-name glob/],
    [['1', '-t', '--children', '--name='], /--name needs an image-name glob/],
    [['1', '-t', '--out'], /--out needs an absolute folder/],
    [['1', '-t', '--out', 'dumps'], /--out needs an absolute folder \(got 'dumps'\)/],
    [['1', '-t', '--out', './d'], /absolute folder/],
    [['1', '--on', 'boom'], /--on takes start, exit or crash \(got 'boom'\)/],
    [['1', '--on', 'exit,'], /--on takes start, exit or crash \(got ''\)/],
    [['1', '-t', '-n', '0'], /-n takes a number of dumps: a whole number from 1 to 10000 \(got '0'\)/],
    [['1', '-t', '-n', '1.5'], /-n takes a number of dumps/],
    [['1', '-t', '-n', '10001'], /-n takes/],
    [['1', '-t', '-n', '3', '-n', '4'], /-n given twice/],
    [['1', '-t', '--wait', 'x', '-w', 'y'], /-w given twice \(also as --wait\)/],
    [['1', '-t', '--hold-timeout', '0'], /--hold-timeout takes seconds: a number above 0 and at most 3600/],
    [['1', '-t', '--hold-timeout', '3601'], /--hold-timeout takes seconds/],
    [['1', '-t', '--hold-timeout', '1e3'], /--hold-timeout takes seconds/],
    [['1', '-t', '--timeout', '-1'], /--timeout takes seconds: a number above 0 and at most 2000000 \(got '-1'\)/],
    [['1', '-t', '--timeout', '2000001'], /--timeout takes seconds/],
    [['1', '--cpu', '0'], /--cpu takes a CPU percentage of one core \(100 per busy core\): a whole number from 1 to /],
    [['1', '-c', '100001'], /-c takes a CPU percentage/],
    [['1', '-m', '0'], /-m takes a size in MB/],
    [['1', '-t', '--children', '--cmdline', '('], /--cmdline '\(' is not a regular expression \(/],
    // Run by the tracer while it may hold processes: nothing that needs backtracking (capture-pattern.ts).
    [['1', '-t', '--children', '--cmdline', '(a)\\1'], /--cmdline '\(a\)\\1' cannot be matched in linear time/],
    [['1', '-t', '--children', '--cmdline', 'a\0b'], /--cmdline cannot contain a NUL/],
    [['1', '-t', '--children', '--name', 'x'.repeat(256)], /--name is longer than 255 characters/],
    [['1', '-t', '--children', '--cmdline', 'x'.repeat(1001)], /--cmdline is longer than 1000 characters/],
    [['1', '-t', '--name', 'Calamari*'], /--name chooses among the watched process's descendants: add --children/],
    [['1', '-t', '--cmdline', 'x'], /--cmdline chooses among .* add --children/],
    [['1', '--on', 'crash', '--exit-code-nonzero'], /--exit-code-nonzero filters exit dumps: add --on exit/],
    [['1', '--on', 'exit', '-s', '5'], /-s counts the seconds .* means nothing with --on alone/],
    [['1', '-n', '3', '--children'], /a series .* dumps the watched process itself: drop --children/],
    [['1', '-t', '--full', '--mini'], /choose one of --full \(-ma\) and --mini \(-mm\)/],
    [['1', '-t', '-ma', '-mm'], /choose one of --full/],
    [['-e', '1', '4242'], /'-e 1' .* is not taken/],
    [['1', '-t', '--wait', 'node'], /give one of a pid, --wait NAME and --launch CMD \(got a pid and --wait\)/],
    [['1', '-t', '--launch', 'sh'], /give one of a pid, --wait NAME and --launch CMD \(got a pid and --launch\)/],
    [['-t', '--launch'], /--launch needs the command to launch/],
    [['-t', '--launch', '--'], /--launch needs the command to launch/],
    [['-t', '-x', '/d'], /-x needs the command to launch/],
    [['-t', '-x'], /-x needs a dump folder/],
    [['-t', '--out', '/a', '-x', '/d', 'sh'], /-x names the dump folder, so --out cannot be given too/],
    [['-t', '--launch', 'sh', 'a\0'], /the command to launch cannot contain a NUL/],
    [['-t', '--wait', ''], /--wait needs a process name/],
    [['-t', '--wait', '/opt/octopus/Calamari'], /^--wait takes a process name, not a path \(got '\/opt\/octopus\/Calamari'\): give the file name only, such as 'Calamari'\.$/],
    [['-t', '-w', 'C:\\Octopus\\Tentacle.exe'], /^-w takes a process name, not a path .* such as 'Tentacle\.exe'\.$/],
    [['-t', '--wait', '4242'], /^--wait waits for a process by name; to watch process 4242, give its pid without --wait\.$/],
    [['-t', '--wait', 'x', '--launch', 'sh'], /give one of a pid, --wait NAME and --launch CMD \(got --wait and --launch\)/],
  ])('refuses %j with one sentence', (args, message) => {
    let caught: unknown;
    try {
      parse(args);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CliUsageError);
    const text = (caught as Error).message;
    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
    expect(text.length).toBeLessThan(240);
  });
});

const SEED = fuzzSeed();
const ATOMS = [
  '--children', '--name', '--cmdline', '--on', '--exit-code-nonzero', '--cpu', '--memory', '-n', '-s', '--full', '--mini',
  '--out', '--hold-timeout', '--timeout', '--json', '--wait', '--launch', '--', '-ma', '-mm', '-t', '-e', '-c', '-m', '-w',
  '-x', 'start', 'exit', 'crash', 'exit,crash', '1', '0', '42', '-1', '2.5', '1e3', '3601', '10001', 'Calamari*', '(', '[a-',
  '/tmp/d', 'rel/d', '', '\0', '--on=exit', '--name=', '--out=/x', '--hold-timeout=0.001', '--timeout=24',
];
const token = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...ATOMS) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) });

describe('procscope watch arguments, fuzzed', () => {
  it('never throws anything but a CliUsageError, and an accepted argv gives a rule in range', () => {
    let accepted = 0;
    fc.assert(
      // Half the cases start from a valid watch, so the accepting paths are reached as often as the refusals.
      fc.property(fc.boolean(), fc.array(token, { maxLength: 14 }), (fromValid, tail) => {
        const argv = fromValid ? ['42', '--on', 'exit', ...tail] : tail;
        let a: WatchArgs;
        try {
          a = parse(argv);
        } catch (err) {
          if (!(err instanceof CliUsageError)) throw err;
          expect(err.message.length).toBeGreaterThan(0);
          return;
        }
        accepted++;
        const r = a.rule;
        expect(['self', 'descendants']).toContain(r.scope);
        expect(['full', 'mini']).toContain(r.kind);
        expect(r.outDir.startsWith('/')).toBe(true);
        expect(new Set(r.triggers).size).toBe(r.triggers.length);
        for (const t of r.triggers) expect(['start', 'exit', 'crash', 'cpu', 'memory', 'series']).toContain(t);
        expect(r.triggers.length > 0 || a.cpuPercent !== null || a.memoryMb !== null || a.series !== null).toBe(true);
        if (r.exitNonZeroOnly) expect(r.triggers).toContain('exit');
        if (r.nameGlob !== null || r.cmdlineRegex !== null) expect(r.scope).toBe('descendants');
        if (r.cmdlineRegex !== null) expect(() => new RegExp(r.cmdlineRegex!)).not.toThrow();
        expect(r.holdTimeoutMs).toBeGreaterThanOrEqual(1);
        expect(r.holdTimeoutMs).toBeLessThanOrEqual(WATCH_LIMITS.holdTimeoutS * 1000);
        if (r.timeoutMs !== null) expect(r.timeoutMs).toBeGreaterThanOrEqual(1);
        if (r.timeoutMs !== null) expect(r.timeoutMs).toBeLessThan(2 ** 31);
        if (r.maxDumps !== null) expect(Number.isInteger(r.maxDumps) && r.maxDumps >= 1 && r.maxDumps <= WATCH_LIMITS.maxDumps).toBe(true);
        if (a.cpuPercent !== null) expect(a.cpuPercent >= 1 && a.cpuPercent <= 100 * availableParallelism()).toBe(true);
        if (r.monitor) expect(r.monitor.seconds >= 1 && r.monitor.count >= 1).toBe(true);
        expect(r.triggers.includes('cpu')).toBe(a.cpuPercent !== null);
        if (a.source.kind === 'pid') expect(Number.isInteger(a.source.pid) && a.source.pid >= 1).toBe(true);
        if (a.source.kind === 'launch') expect(a.source.argv.length).toBeGreaterThan(0);
        if (a.source.kind === 'wait') expect(a.source.nameGlob.length).toBeGreaterThan(0);
        if (r.nameGlob !== null) expect(r.nameGlob.length).toBeLessThanOrEqual(255);
      }),
      fuzzParameters(SEED, 31, 3_000),
    );
    console.log(`watch args fuzz (seed ${SEED}): 3000 argv, ${accepted} accepted`);
    // The generator must reach the accepting paths too, or the range checks above prove nothing.
    expect(accepted).toBeGreaterThan(50);
  });
});
