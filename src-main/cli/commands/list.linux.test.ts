// `procscope list --json` as a user runs it (the CLI bundled as CommonJS, in a fresh node): it reads the process
// table without loading koffi, whose start-up (~30 ms of CPU) cost more than the rest of the command on a small
// table, and its rows are those of the in-process command. Linux only: it inspects /proc/self/maps.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessRow } from '../../../src-shared/model/process';
import { bundleFixture, REPO_NODE_MODULES } from '../../dump/helper/__fixtures__/bundle-fixture';

let cli = '';

beforeAll(async () => {
  cli = await bundleFixture(join(import.meta.dirname, '..', 'cli-entry.ts'));
});
afterAll(() => {
  if (cli) rmSync(dirname(cli), { recursive: true, force: true });
});

/** Runs the bundled CLI with args; reports on stderr, at exit, whether koffi's native module was mapped. */
function runBundled(args: string[]): { status: number | null; stdout: string; koffiLoaded: boolean } {
  const probe =
    "process.on('exit', () => process.stderr.write(require('node:fs').readFileSync('/proc/self/maps', 'latin1').includes('koffi') ? '\\nKOFFI:yes' : '\\nKOFFI:no'));" +
    'process.argv = [process.argv[0], process.env.PROBE_CLI, ...JSON.parse(process.env.PROBE_ARGS)]; require(process.env.PROBE_CLI);';
  const r = spawnSync(process.execPath, ['-e', probe], {
    encoding: 'utf8',
    env: { ...process.env, NODE_PATH: REPO_NODE_MODULES, PROBE_CLI: cli, PROBE_ARGS: JSON.stringify(args) },
    maxBuffer: 64 << 20,
  });
  const m = /KOFFI:(yes|no)$/.exec(r.stderr);
  if (!m) throw new Error(`the probe did not report: ${r.status} ${r.stderr}`);
  return { status: r.status, stdout: r.stdout, koffiLoaded: m[1] === 'yes' };
}

describe.runIf(process.platform === 'linux')('procscope list in a fresh node', () => {
  it('lists every process with its user without loading koffi', () => {
    const r = runBundled(['list', '--json']);
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as ProcessRow[];
    const self = rows.find((row) => row.pid === process.pid);
    expect(self?.user).toBeTruthy();
    expect(rows.find((row) => row.pid === 1)?.ppid).toBe(0);
    expect(r.koffiLoaded).toBe(false);
  });

  it('does load koffi once it makes a native call (the probe can see it)', () => {
    // --sample reads twice, the second time through kept descriptors and pread(2).
    const r = runBundled(['list', '--sample', '--json']);
    expect(r.status).toBe(0);
    expect(r.koffiLoaded).toBe(true);
  });
});
