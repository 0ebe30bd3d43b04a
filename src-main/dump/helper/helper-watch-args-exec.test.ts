// The helper watch job's --exec-paths (fanotify exec mode, Linux): one JSON-array element, strictly shaped; the
// helper re-checks the files themselves with compileCaptureRule and the engine opens each one once.
import { describe, expect, it } from 'vitest';
import { checkHelperArgv } from './helper-argv';
import { helperWatchJobToArgs, parseHelperWatchArgs, type HelperWatchJob } from './helper-watch-args';

const job: HelperWatchJob = {
  rule: {
    target: { pid: 4242, startTimeMs: 1764160000123 }, scope: 'descendants', nameGlob: null, cmdlineRegex: null, triggers: ['exit'],
    exitNonZeroOnly: false, kind: 'mini', outDir: '/home/ann/dumps', holdTimeoutMs: 60_000, maxDumps: null, timeoutMs: null,
    execPaths: ['/usr/bin/pwsh', '/opt/octopus/Calamari, v2:x/Calamari'],
  },
  uid: 1000, channel: '/tmp/procscope-helper-Ab12/channel.sock', secret: 'f'.repeat(64),
};
const args = helperWatchJobToArgs(job);
const withPaths = (value: string) => args.map((a) => (a.startsWith('--exec-paths=') ? `--exec-paths=${value}` : a));
const errorOf = (a: string[], platform: NodeJS.Platform = 'linux') => {
  const r = parseHelperWatchArgs(a, platform);
  return r.ok ? null : r.error;
};

describe('helper watch-job --exec-paths', () => {
  it('round-trips the binaries (commas and colons in a path too) as one element the Electron argv check lets through', () => {
    expect(args.filter((a) => a.startsWith('--exec-paths='))).toEqual(['--exec-paths=["/usr/bin/pwsh","/opt/octopus/Calamari, v2:x/Calamari"]']);
    expect(parseHelperWatchArgs(args, 'linux')).toEqual({ ok: true, job });
    const { execPaths: _none, ...ptraceRule } = job.rule;
    void _none;
    expect(helperWatchJobToArgs({ ...job, rule: ptraceRule }).some((a) => a.startsWith('--exec-paths='))).toBe(false);
    expect(checkHelperArgv(['electron', '--no-sandbox', '--procscope-helper', ...args], 'linux')).toEqual({ ok: true, jobArgs: args });
  });

  it('refuses what is not a JSON list of 1-16 plain absolute paths, a second --exec-paths, and Windows', () => {
    const shape = "--exec-paths must hold absolute paths without '.', '..' or '//'.";
    expect(errorOf(withPaths('/usr/bin/pwsh'))).toBe('--exec-paths must be a JSON array of absolute paths.');
    expect(errorOf(withPaths('"/usr/bin/pwsh"'))).toBe('--exec-paths must list 1 to 16 paths.');
    expect(errorOf(withPaths('[]'))).toBe('--exec-paths must list 1 to 16 paths.');
    expect(errorOf(withPaths(JSON.stringify(Array.from({ length: 17 }, (_, i) => `/bin/x${i}`))))).toBe('--exec-paths must list 1 to 16 paths.');
    expect(errorOf(withPaths('["pwsh"]'))).toBe(shape);
    expect(errorOf(withPaths('["/usr/bin/../bin/pwsh"]'))).toBe(shape);
    expect(errorOf(withPaths('["//usr/bin/pwsh"]'))).toBe(shape);
    expect(errorOf(withPaths('[7]'))).toBe(shape);
    expect(errorOf(withPaths(JSON.stringify([`/${'a'.repeat(4096)}`])))).toBe(shape);
    expect(errorOf([...args, '--exec-paths=["/bin/sh"]'])).toBe('--exec-paths is given twice.');
    const win = { ...job, uid: null, rule: { ...job.rule, outDir: 'C:\\dumps' }, channel: `\\\\.\\pipe\\procscope-helper-${'0'.repeat(32)}` };
    expect(errorOf(helperWatchJobToArgs(win), 'win32')).toBe('--exec-paths is Linux only (fanotify exec mode).');
  });
});
