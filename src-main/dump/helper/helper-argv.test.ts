/*
 * The helper's whole-argv rule (checkHelperArgv): exactly the app's own launch switches, then the job's own
 * --flag=value arguments, nothing else. Hand-picked attacks first, then fast-check over random command lines.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { helperJobToArgs, type HelperJob } from './helper-args';
import { checkHelperArgv, helperLaunchSwitches, isHelperLaunch } from './helper-argv';
import { defaultHelperCommand } from './helper-dump-writer';

const job: HelperJob = {
  pid: 4242, startTimeMs: 1764160000123, kind: 'full', outDir: '/home/ann/dumps', uid: 1000, nameHint: 'bash',
  channel: '/tmp/procscope-helper-Ab12/channel.sock', secret: 'f'.repeat(64),
};
const EXE = '/opt/Procscope/procscope';
const JOB = helperJobToArgs(job);
const GOOD = [EXE, '--no-sandbox', '--procscope-helper', ...JOB];
const check = (argv: string[], platform: NodeJS.Platform = 'linux') => checkHelperArgv(argv, platform);
const errorOf = (argv: string[], platform: NodeJS.Platform = 'linux') => {
  const r = check(argv, platform);
  return r.ok ? null : r.error;
};

/** Switches an attacker would add: Node's inspector and preloads, V8 flags, Chromium's launchers and debugging. */
const ATTACKS = [
  '--inspect-brk', '--inspect-brk=0.0.0.0:9229', '--inspect', '--inspect-port=9229', '--remote-debugging-port=9222',
  '--remote-debugging-pipe', '--js-flags=--allow-natives-syntax', '--require=/tmp/evil.js', '-r', '/tmp/evil.js',
  '--require', '--node-options=--require=/tmp/x.js', 'NODE_OPTIONS=--require=/tmp/x.js', '--renderer-cmd-prefix=/tmp/x',
  '--gpu-launcher=/tmp/x', '--utility-cmd-prefix=/tmp/x', '--browser-subprocess-path=/tmp/x', '--zygote-cmd-prefix=/tmp/x',
  '--enable-logging', '--log-file=/etc/shadow', '--user-data-dir=/tmp/u', '--disable-web-security', '--no-sandbox',
  '--procscope-helper', '--', '-', '/tmp/evil.js', '.', '--openssl-config=/tmp/evil.cnf', '--pid=1', '--PROCSCOPE-HELPER',
];

describe('the helper argv rule', () => {
  it("accepts exactly the command line the app builds, on each platform, and hands back the job's arguments", () => {
    const linux = defaultHelperCommand({ execPath: EXE, isElectron: true, cliScriptPath: '', platform: 'linux' });
    expect(check([linux.executable, ...linux.args, ...JOB])).toEqual({ ok: true, jobArgs: JOB });
    const win = defaultHelperCommand({ execPath: 'C:\\P\\Procscope.exe', isElectron: true, cliScriptPath: '', platform: 'win32' });
    expect(check([win.executable, ...win.args, ...JOB], 'win32')).toEqual({ ok: true, jobArgs: JOB });
    expect(helperLaunchSwitches('darwin')).toEqual(['--procscope-helper']);
  });

  it('refuses --inspect-brk before the flag, and every attack switch anywhere, with a sentence', () => {
    expect(errorOf([EXE, '--inspect-brk', '--no-sandbox', '--procscope-helper', ...JOB])).toBe(
      "refused to start: argument 1 is '--inspect-brk' where '--no-sandbox' must stand. The helper accepts only the arguments Procscope itself passes, so nothing was done.",
    );
    expect(errorOf([...GOOD, '--remote-debugging-port=9222'])).toBe(
      "refused to start: '--remote-debugging-port=9222' is not one of its job arguments (Unknown argument '--remote-debugging-port'.) The helper accepts only the arguments Procscope itself passes, so nothing was done.",
    );
    expect(errorOf([...GOOD, '--pid=7'])).toMatch(/^refused to start: --pid is given twice\./);
    expect(errorOf([EXE, '--procscope-helper', ...JOB])).toMatch(/argument 1 is '--procscope-helper' where '--no-sandbox' must stand/);
    expect(errorOf([EXE, '--no-sandbox', '--procscope-helper', ...JOB], 'win32')).toMatch(/argument 1 is '--no-sandbox' where '--procscope-helper'/);
    expect(errorOf([])).toMatch(/its command line is empty/);
    expect(errorOf([EXE, '--no-sandbox'])).toMatch(/argument 2 is missing/);
    expect(errorOf([EXE, '--no-sandbox', '--procscope-helper', '--name', 'x'])).toMatch(/--name needs a value, as --name=VALUE/);
    expect(errorOf([...GOOD, '--x\u0007\n'])).toMatch(/'--x\?\?' is not one of/);
    for (const attack of ATTACKS) {
      for (let at = 1; at <= GOOD.length; at++) {
        const argv = [...GOOD.slice(0, at), attack, ...GOOD.slice(at)];
        expect(check(argv).ok, argv.join(' ')).toBe(false);
      }
    }
  });

  it('knows a helper launch by any spelling Chromium reads as the switch, or by pkexec in the environment', () => {
    expect(isHelperLaunch(GOOD)).toBe(true);
    expect(isHelperLaunch([EXE, '--inspect-brk', '--procscope-helper'])).toBe(true);
    for (const spelling of ['-procscope-helper', '/procscope-helper', '--PROCSCOPE-HELPER', '--procscope-helper=1']) {
      expect(isHelperLaunch([EXE, spelling]), spelling).toBe(true);
    }
    expect(isHelperLaunch([EXE, '--no-sandbox'], { PKEXEC_UID: '1000' })).toBe(true);
    expect(isHelperLaunch([EXE])).toBe(false);
    expect(isHelperLaunch([EXE, '--name=--procscope-helper-ish', '.'])).toBe(false);
    // argv[0] is the program, never a switch.
    expect(isHelperLaunch(['--procscope-helper'])).toBe(false);
  });

  it('fast-check: random switches before, between and after, duplicates and values are refused; only the exact line passes', () => {
    const element = fc.oneof(
      fc.constantFrom(...ATTACKS, ...JOB, '--no-sandbox', '--procscope-helper'),
      fc.string({ maxLength: 30 }),
      fc.string({ maxLength: 20 }).map((s) => `--${s}`),
      fc.tuple(fc.constantFrom('--pid', '--kind', '--name', '--out-dir', '--secret'), fc.string({ maxLength: 12 })).map(([f, v]) => `${f}=${v}`),
    );
    let cases = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: GOOD.length }), element), { minLength: 1, maxLength: 6 }), (inserts) => {
        cases++;
        const argv = [...GOOD];
        for (const [at, value] of inserts) argv.splice(Math.max(1, Math.min(at, argv.length)), 0, value);
        const r = check(argv);
        // Adding an element can only keep it valid by replacing a missing optional flag: the job here has every
        // flag, so any accepted line must be a permutation of the job with no new element.
        if (r.ok) {
          expect(argv.slice(0, 3)).toEqual(GOOD.slice(0, 3));
          expect([...r.jobArgs].sort()).toEqual([...JOB].sort());
        } else {
          expect(r.error).toMatch(/^refused to start: .+ nothing was done\.$/);
        }
        return true;
      }),
      { numRuns: 5000 },
    );
    process.stdout.write(`helper argv rule: ${cases} fast-check cases\n`);
    expect(cases).toBe(5000);
  });
});
