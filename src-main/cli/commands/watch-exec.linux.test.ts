// `procscope watch PID --children --exec BIN` end to end on Linux (root, gcc): the bundled CLI as a process of its
// own — which, unlike a test process, has no children of its own until it seizes one — marks the binary, leaves the
// parent (/bin/sh) untraced, and exit-dumps the two children that exec the binary; the child running /bin/true is
// not seen; the parent's end ends the watch.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureEvent } from '../../../src-shared/model/capture';
import { corePid } from '../../capture/__fixtures__/core-pid';
import { compileExecFixturesSync, type ExecFixtures } from '../../capture/linux/__fixtures__/exec-parent';
import { bundleFixture } from '../../dump/helper/__fixtures__/bundle-fixture';
import { startWatchCli } from './__fixtures__/watch-cli';

const root = join(import.meta.dirname, '..', '..', '..');
let cliPath = '';
let fx: ExecFixtures;
let outDir = '';
const started: ChildProcess[] = [];

beforeAll(async () => {
  fx = compileExecFixturesSync();
  cliPath = await bundleFixture(join(root, 'src-main/cli/cli-entry.ts'));
});
afterEach(() => {
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (outDir) rmSync(outDir, { recursive: true, force: true });
  outDir = '';
});
afterAll(() => {
  rmSync(fx.dir, { recursive: true, force: true });
  if (cliPath) rmSync(dirname(cliPath), { recursive: true, force: true });
});

const tracerOf = (pid: number): number => Number(/^TracerPid:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? -1);

describe('procscope watch --exec as a process (Linux, real engine)', () => {
  it('exit-dumps the children that exec the named binary, not the one that runs /bin/true; the parent stays untraced', async () => {
    outDir = mkdtempSync(join(tmpdir(), 'procscope-watch-exec-'));
    const parent = spawn('/bin/sh', ['-c', `read go; "${fx.target}" 3; /bin/true; "${fx.target}" 4; read end`], { stdio: ['pipe', 'ignore', 'ignore'] });
    started.push(parent);
    const parentExited = new Promise((resolve) => parent.on('exit', resolve));
    const cli = startWatchCli(cliPath, [String(parent.pid), '--children', '--exec', fx.target, '--on', 'exit', '--out', outDir, '--timeout', '20', '--json'], started);
    expect(await cli.next('armed')).toMatchObject({ pid: parent.pid, mechanism: expect.stringMatching(/^fanotify exec permission/) });
    parent.stdin!.write('go\n');
    while (cli.events.filter((e) => e.event === 'exited').length < 2) {
      if (cli.child.exitCode !== null) throw new Error(`watch ended early: ${cli.stderr()}`);
      expect(tracerOf(parent.pid!)).toBe(0);
      await new Promise((r) => setTimeout(r, 20));
    }
    parent.stdin!.end('end\n');
    expect(await parentExited).toBe(0);
    expect(await cli.next('done')).toMatchObject({ reason: 'target-exited', seenCount: 2, dumpCount: 2 });
    expect(await cli.exited).toBe(0);
    const exited = cli.events.filter((e): e is Extract<CaptureEvent, { event: 'exited' }> => e.event === 'exited');
    expect(exited.map((e) => [e.name, e.exitCode])).toEqual([['exec-target', 3], ['exec-target', 4]]);
    expect(exited.every((e) => e.lifetimeMs < 1000)).toBe(true);
    const dumps = cli.events.filter((e): e is Extract<CaptureEvent, { event: 'dump' }> => e.event === 'dump');
    expect(dumps.map((d) => d.pid)).toEqual(exited.map((e) => e.pid));
    for (const d of dumps) expect(corePid(d.path)).toBe(d.pid);
    expect(readdirSync(outDir).length).toBe(2);
  });
});
