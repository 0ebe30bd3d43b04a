import { describe, expect, it } from 'vitest';
import { helperJobToArgs, parseHelperArgs } from './helper-args';
import { checkHelperArgv } from './helper-argv';
import { helperWatchJobToArgs, isHelperWatchJob, parseHelperWatchArgs, type HelperWatchJob } from './helper-watch-args';

const job: HelperWatchJob = {
  rule: {
    target: { pid: 4242, startTimeMs: 1764160000123 }, scope: 'descendants', nameGlob: 'Calamari*', cmdlineRegex: '--script=(deploy|x)',
    triggers: ['exit', 'crash'], exitNonZeroOnly: true, kind: 'mini', outDir: '/home/ann/dumps', holdTimeoutMs: 60_000, maxDumps: 5,
    timeoutMs: 3_600_000,
  },
  uid: 1000, channel: '/tmp/procscope-helper-Ab12/channel.sock', secret: 'f'.repeat(64),
};
const args = helperWatchJobToArgs(job);
const withArg = (flag: string, value: string) => args.map((a) => (a.startsWith(`${flag}=`) ? `${flag}=${value}` : a));
const without = (flag: string) => args.filter((a) => !a.startsWith(`${flag}=`));
const errorOf = (a: string[], platform: NodeJS.Platform = 'linux') => {
  const r = parseHelperWatchArgs(a, platform);
  return r.ok ? null : r.error;
};

describe('helper watch-job arguments', () => {
  it('round-trips every CaptureRule field, one --flag=value element each; absent optional flags are null', () => {
    expect(isHelperWatchJob(args)).toBe(true);
    expect(args).toContain('--name-glob=Calamari*');
    expect(args).toContain('--triggers=exit,crash');
    expect(parseHelperWatchArgs(args, 'linux')).toEqual({ ok: true, job });
    const bare = { ...job, rule: { ...job.rule, nameGlob: null, cmdlineRegex: null, maxDumps: null, timeoutMs: null } };
    expect(helperWatchJobToArgs(bare).some((a) => /^--(name-glob|cmdline-regex|max-dumps|timeout-ms)=/.test(a))).toBe(false);
    expect(parseHelperWatchArgs(helperWatchJobToArgs(bare), 'linux')).toEqual({ ok: true, job: bare });
    const dashed = { ...job, rule: { ...job.rule, nameGlob: '--inspect-brk=0' } };
    expect(parseHelperWatchArgs(helperWatchJobToArgs(dashed), 'linux')).toEqual({ ok: true, job: dashed });
    const win = { ...job, uid: null, rule: { ...job.rule, outDir: 'C:\\dumps' }, channel: `\\\\.\\pipe\\procscope-helper-${'0'.repeat(32)}` };
    expect(parseHelperWatchArgs(helperWatchJobToArgs(win), 'win32')).toEqual({ ok: true, job: win });
    // The Electron helper's argv check lets exactly these through, as it does a dump job's.
    expect(checkHelperArgv(['electron', '--no-sandbox', '--procscope-helper', ...args], 'linux')).toEqual({ ok: true, jobArgs: args });
  });

  it('carries the sampled triggers\' monitor settings as one --monitor element, and refuses a malformed one', () => {
    const sampled = { ...job, rule: { ...job.rule, triggers: ['cpu' as const, 'memory' as const], monitor: { cpuPercent: 150, memoryMb: null, seconds: 2, count: 3 } } };
    const a = helperWatchJobToArgs(sampled);
    expect(a).toContain('--monitor=150/-/2/3');
    expect(parseHelperWatchArgs(a, 'linux')).toEqual({ ok: true, job: sampled });
    const series = { ...job, rule: { ...job.rule, triggers: ['series' as const], monitor: { cpuPercent: null, memoryMb: null, seconds: 1, count: 3 } } };
    expect(parseHelperWatchArgs(helperWatchJobToArgs(series), 'linux')).toEqual({ ok: true, job: series });
    expect(errorOf([...args, '--monitor=50/-/2'])).toBe('--monitor must be CPU/MEMORY/SECONDS/COUNT (a - for a threshold not set).');
    expect(errorOf([...args, '--monitor=0/-/2/1'])).toBe('--monitor CPU must be between 1 and 100000, not 0.');
    expect(errorOf([...args, '--monitor=-/-/x/1'])).toBe("--monitor SECONDS must be a whole number, not 'x'.");
    expect(errorOf(withArg('--triggers', 'exit,hang'))).toMatch(/--triggers must list start, exit, crash, cpu, memory or series/);
  });

  it('refuses bad, duplicated, unknown and missing arguments each with a sentence, and says where to reply', () => {
    expect(errorOf([...args, '--scope=self'])).toBe('--scope is given twice.');
    expect(errorOf([...args, '--job=watch'])).toBe('--job is given twice.');
    expect(errorOf([...args, '--exec=/bin/sh'])).toBe("Unknown argument '--exec'.");
    expect(errorOf([...args, '--name=x'])).toBe('--name belongs to a dump job, not to a watch.');
    expect(errorOf([...args, '--image=hostname.exe'])).toBe('--image belongs to a persist job, not to a watch.');
    expect(errorOf(without('--triggers'))).toBe('--triggers is missing.');
    expect(errorOf(without('--uid'))).toBe('--uid is missing.');
    expect(errorOf(withArg('--scope', 'everyone'))).toBe("--scope must be 'self', 'descendants' or 'self-and-descendants', not 'everyone'.");
    expect(errorOf(withArg('--triggers', 'exit,always'))).toBe("--triggers must list start, exit, crash, cpu, memory or series separated by commas, not 'always'.");
    expect(errorOf(withArg('--triggers', ''))).toBe("--triggers must list start, exit, crash, cpu, memory or series separated by commas, not ''.");
    expect(errorOf(withArg('--triggers', 'exit,exit'))).toBe('--triggers names a trigger twice.');
    expect(errorOf(withArg('--exit-nonzero-only', 'yes'))).toBe("--exit-nonzero-only must be 'true' or 'false', not 'yes'.");
    expect(errorOf(withArg('--hold-timeout-ms', '0'))).toBe('--hold-timeout-ms must be between 1 and 3600000, not 0.');
    expect(errorOf(withArg('--hold-timeout-ms', '3600001'))).toBe('--hold-timeout-ms must be between 1 and 3600000, not 3600001.');
    expect(errorOf(withArg('--max-dumps', '-1'))).toBe("--max-dumps must be a whole number, not '-1'.");
    expect(errorOf(withArg('--timeout-ms', '1.5'))).toBe("--timeout-ms must be a whole number, not '1.5'.");
    expect(errorOf(withArg('--name-glob', 'x'.repeat(256)))).toBe('--name-glob must be 1 to 255 characters.');
    expect(errorOf(withArg('--cmdline-regex', '(unclosed'))).toMatch(/^--cmdline-regex is not a regular expression \(.*Unterminated group\)\.$/);
    // The root helper matches it while it may hold processes: a backtracking pattern could stall it for minutes.
    expect(errorOf(withArg('--cmdline-regex', '(a)\\1'))).toMatch(/^--cmdline-regex cannot be matched in linear time/);
    expect(errorOf(withArg('--cmdline-regex', 'a'.repeat(1001)))).toBe('--cmdline-regex must be at most 1000 characters.');
    expect(errorOf(withArg('--pid', '0'))).toBe('--pid must be between 1 and 4294967295, not 0.');
    expect(errorOf(withArg('--out-dir', 'dumps'))).toBe("--out-dir must be an absolute folder path, not 'dumps'.");
    expect(errorOf(withArg('--channel', 'tcp://evil:80'))).toBe('--channel must be the absolute path of a Procscope helper socket.');
    expect(parseHelperWatchArgs(withArg('--scope', 'x'), 'linux')).toMatchObject({ replyTo: { channel: job.channel, secret: job.secret } });
    expect(parseHelperWatchArgs([...args, `--secret=${'a'.repeat(64)}`], 'linux')).toMatchObject({ replyTo: null });
  });

  it('a dump job stays as it was, and refuses a watch flag or another job kind', () => {
    const dump = helperJobToArgs({
      pid: 7, startTimeMs: 9, kind: 'full', outDir: '/d', uid: 0, nameHint: null, channel: job.channel, secret: job.secret,
    });
    expect(parseHelperArgs(dump, 'linux').ok).toBe(true);
    expect(parseHelperArgs([...dump, '--job=dump'], 'linux').ok).toBe(true);
    expect(parseHelperArgs([...dump, '--job=shell'], 'linux')).toMatchObject({ ok: false, error: "--job must be 'dump' or 'watch', not 'shell'." });
    expect(parseHelperArgs([...dump, '--triggers=exit'], 'linux')).toMatchObject({ ok: false, error: '--triggers belongs to a watch job (--job=watch), not to a dump.' });
  });
});
