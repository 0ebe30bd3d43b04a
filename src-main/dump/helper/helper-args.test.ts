import { describe, expect, it } from 'vitest';
import { helperJobToArgs, parseHelperArgs, type HelperJob } from './helper-args';

const job: HelperJob = {
  pid: 4242, startTimeMs: 1764160000123, kind: 'full', outDir: '/home/ann/dumps', uid: 1000, nameHint: 'my app',
  channel: '/tmp/procscope-helper-Ab12/channel.sock', secret: 'f'.repeat(64),
};
const args = helperJobToArgs(job);
const withArg = (flag: string, value: string) => args.map((a) => (a.startsWith(`${flag}=`) ? `${flag}=${value}` : a));
const errorOf = (a: string[], platform: NodeJS.Platform = 'linux') => {
  const r = parseHelperArgs(a, platform);
  return r.ok ? null : r.error;
};

describe('helper arguments', () => {
  it('round-trips a job, each argument one --flag=value element (even a name that looks like a switch)', () => {
    expect(args).toEqual([
      '--pid=4242', '--start-time-ms=1764160000123', '--kind=full', '--out-dir=/home/ann/dumps', '--uid=1000', '--name=my app',
      '--channel=/tmp/procscope-helper-Ab12/channel.sock', `--secret=${'f'.repeat(64)}`,
    ]);
    expect(parseHelperArgs(args, 'linux')).toEqual({ ok: true, job });
    const dashed = { ...job, nameHint: '--remote-debugging-port=9222' };
    expect(helperJobToArgs(dashed)).toContain('--name=--remote-debugging-port=9222');
    expect(parseHelperArgs(helperJobToArgs(dashed), 'linux')).toEqual({ ok: true, job: dashed });
    const win = { ...job, uid: null, outDir: 'C:\\Users\\ann\\Dumps', channel: `\\\\.\\pipe\\procscope-helper-${'0'.repeat(32)}` };
    expect(parseHelperArgs(helperJobToArgs(win), 'win32')).toEqual({ ok: true, job: win });
  });

  it('refuses each bad value with its own sentence', () => {
    expect(errorOf(withArg('--pid', '0'))).toBe('--pid must be between 1 and 4294967295, not 0.');
    expect(errorOf(withArg('--pid', '-3'))).toBe("--pid must be a whole number, not '-3'.");
    expect(errorOf(withArg('--pid', '1e3'))).toBe("--pid must be a whole number, not '1e3'.");
    expect(errorOf(withArg('--start-time-ms', 'soon'))).toBe("--start-time-ms must be a whole number, not 'soon'.");
    expect(errorOf(withArg('--kind', 'everything'))).toBe("--kind must be 'full' or 'mini', not 'everything'.");
    expect(errorOf(withArg('--out-dir', 'dumps'))).toBe("--out-dir must be an absolute folder path, not 'dumps'.");
    expect(errorOf(withArg('--out-dir', '/a\0b'))).toBe('--out-dir contains a NUL character.');
    expect(errorOf(withArg('--uid', 'root'))).toBe("--uid must be a whole number, not 'root'.");
    expect(errorOf(withArg('--channel', 'tcp://evil:80'))).toBe('--channel must be the absolute path of a Procscope helper socket.');
    expect(errorOf(withArg('--secret', 'F'.repeat(64)))).toBe('--secret must be 64 lowercase hex digits.');
    expect(errorOf(withArg('--name', ''))).toBe('--name must be 1 to 255 characters.');
    // The stamp becomes part of the file name: anything but yyyyMMdd_HHmmss (a path, a dot, a separator) is refused.
    const stamped = helperJobToArgs({ ...job, stamp: '20260102_030405' });
    expect(parseHelperArgs(stamped, 'linux')).toEqual({ ok: true, job: { ...job, stamp: '20260102_030405' } });
    const stampedWith = (value: string) => stamped.map((a) => (a.startsWith('--stamp=') ? `--stamp=${value}` : a));
    for (const bad of ['../../etc/cron.d/x', '20260102_030405/../x', '20260102_03040', '2026-01-02 03:04', '20260102_030405x', ' 20260102_030405', '']) {
      expect(errorOf(stampedWith(bad))).toBe('--stamp must be yyyyMMdd_HHmmss.');
    }
    // Snapshot mode passes through as exactly --snapshot=1; nothing else is taken for it.
    const snap = helperJobToArgs({ ...job, snapshot: true });
    expect(snap).toContain('--snapshot=1');
    expect(parseHelperArgs(snap, 'linux')).toEqual({ ok: true, job: { ...job, snapshot: true } });
    for (const bad of ['0', 'true', '', '1 ']) {
      expect(errorOf(snap.map((a) => (a === '--snapshot=1' ? `--snapshot=${bad}` : a)))).toBe('--snapshot must be 1.');
    }
    expect(errorOf([...snap, '--snapshot=1'])).toBe('--snapshot is given twice.');
    expect(errorOf(['--pid=1', '--pid=2'])).toBe('--pid is given twice.');
    expect(errorOf([...args, '--exec=/bin/sh'])).toBe("Unknown argument '--exec'.");
    expect(errorOf([...args.slice(1), '--pid'])).toBe('--pid needs a value, as --pid=VALUE.');
    // The old two-element form is not the grammar: a value must never stand alone where Chromium reads switches.
    expect(errorOf(['--pid', '4242', ...args.slice(1)])).toBe('--pid needs a value, as --pid=VALUE.');
    expect(errorOf(args.slice(1))).toBe('--pid is missing.');
    expect(errorOf(args.filter((a) => !a.startsWith('--uid=')))).toBe('--uid is missing.');
    const win = helperJobToArgs({ ...job, uid: null, outDir: 'C:\\Dumps', channel: `\\\\.\\pipe\\procscope-helper-${'0'.repeat(32)}` });
    expect(errorOf(win, 'win32')).toBeNull();
    const winWith = (flag: string, value: string) => win.map((a) => (a.startsWith(`${flag}=`) ? `${flag}=${value}` : a));
    expect(errorOf(winWith('--channel', '/tmp/x/channel.sock'), 'win32')).toBe('--channel must be a Procscope helper pipe name.');
    expect(errorOf(winWith('--out-dir', '\\\\server\\share'), 'win32')).toMatch(/absolute folder path/);
    expect(errorOf(winWith('--out-dir', '\\Dumps'), 'win32')).toMatch(/absolute folder path/);
  });
});

describe('helper command', () => {
  it('starts the app itself: Electron with its flag (and --no-sandbox on Linux), Node with the CLI bundle', async () => {
    const { defaultHelperCommand } = await import('./helper-dump-writer');
    expect(defaultHelperCommand({ execPath: '/opt/Procscope/procscope', isElectron: true, cliScriptPath: '', platform: 'linux' })).toEqual({
      executable: '/opt/Procscope/procscope',
      args: ['--no-sandbox', '--procscope-helper'],
    });
    expect(defaultHelperCommand({ execPath: 'C:\\P\\Procscope.exe', isElectron: true, cliScriptPath: '', platform: 'win32' }).args).toEqual(['--procscope-helper']);
    expect(defaultHelperCommand({ execPath: '/usr/bin/node', isElectron: false, cliScriptPath: '/app/out/main/cli.js' })).toEqual({
      executable: '/usr/bin/node',
      args: ['/app/out/main/cli.js', 'helper'],
    });
  });
});
