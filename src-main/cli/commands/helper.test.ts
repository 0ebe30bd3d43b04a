// `procscope helper` through the CLI dispatcher: a public entry point that runs elevated, so every bad argument
// gets one sentence and exit code 2, never a stack trace.
import { describe, expect, it } from 'vitest';
import { runCli } from '../main';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

describe('procscope helper', () => {
  it('prints its usage for --help', async () => {
    const r = await cli(['helper', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^procscope helper --pid=N --start-time-ms=MS --kind=full\|mini --out-dir=ABSOLUTE_FOLDER/);
  });

  it('refuses bad arguments with one sentence and exit code 2', async () => {
    const secret = 'a'.repeat(64);
    const base = ['helper', '--pid=1', '--start-time-ms=5', '--kind=full', '--out-dir=/tmp', '--uid=0'];
    const cases: [string[], string][] = [
      [['helper'], 'procscope helper: --pid is missing.\n'],
      [['helper', '--pid=x'], 'procscope helper: --start-time-ms is missing.\n'],
      [['helper', '--pid', '1'], 'procscope helper: --pid needs a value, as --pid=VALUE.\n'],
      [[...base, '--channel=/tmp/channel.sock', '--secret=short'], 'procscope helper: --secret must be 64 lowercase hex digits.\n'],
      [[...base, '--channel=http://x', `--secret=${secret}`], 'procscope helper: --channel must be the absolute path of a Procscope helper socket.\n'],
      [[...base, '--channel=/tmp/channel.sock', `--secret=${secret}`, '--shell=sh'], "procscope helper: Unknown argument '--shell'.\n"],
    ];
    for (const [args, stderr] of cases) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toBe(stderr);
    }
  });

  it('with valid arguments but no app listening, says so and exits 1 without dumping', async () => {
    const r = await cli([
      'helper', `--pid=${process.pid}`, '--start-time-ms=5', '--kind=full', '--out-dir=/tmp', '--uid=0',
      '--channel=/tmp/procscope-helper-none/channel.sock', `--secret=${'b'.repeat(64)}`,
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toBe('procscope helper: cannot reach the app on its channel; the job was not done.\n');
  });
});
