// The sampled triggers through the helper process (root): the rule's monitor crosses the watch job's command line as
// --monitor, the helper re-validates it and its ptrace engine takes a series of 2 cores of a running sleep 1 s
// apart, which arrive over the channel as 'series' dumps; the sleep runs on untraced afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureEvent } from '../../../src-shared/model/capture';
import { bundleFixture, REPO_NODE_MODULES } from '../../dump/helper/__fixtures__/bundle-fixture';
import { createDirectElevator } from '../../dump/helper/direct-elevator';
import { readProcessStartTimeMs } from '../../platform/linux/proc-start-time';
import { testCaptureRule } from '../__fixtures__/capture-rule-fixture';
import { createHelperCaptureEngine } from './helper-capture-engine';

const env = { ...process.env, NODE_PATH: REPO_NODE_MODULES };
let entry = '';
let outDir = '';
let sleeper: ChildProcess | null = null;

describe.runIf(process.platform === 'linux' && process.getuid?.() === 0)('helper capture watch: a series', () => {
  beforeAll(async () => {
    entry = await bundleFixture(join(import.meta.dirname, '__fixtures__/helper-watch-entry.ts'));
  });
  afterAll(() => {
    if (entry) rmSync(dirname(entry), { recursive: true, force: true });
  });
  afterEach(() => {
    sleeper?.kill('SIGKILL');
    if (outDir) rmSync(outDir, { recursive: true, force: true });
    outDir = '';
  });

  it('-n 2 -s 1 in the helper: two series cores of the running process 1 s apart cross the channel', async () => {
    sleeper = spawn('/bin/sleep', ['60'], { stdio: 'ignore' });
    const pid = sleeper.pid!;
    outDir = mkdtempSync(join(tmpdir(), 'procscope-helper-series-'));
    const rule = testCaptureRule({ pid, startTimeMs: readProcessStartTimeMs(pid)! }, outDir, {
      scope: 'self', triggers: ['series'], monitor: { cpuPercent: null, memoryMb: null, seconds: 1, count: 2 }, maxDumps: 2, timeoutMs: 30_000,
    });
    const events: CaptureEvent[] = [];
    const watch = await createHelperCaptureEngine({ elevator: createDirectElevator({ env }), command: { executable: process.execPath, args: [entry, 'real'] }, uid: 0, env })
      .start(rule, (e) => events.push(e));
    expect(await watch.finished).toBe('max-dumps');
    const dumps = events.filter((e): e is Extract<CaptureEvent, { event: 'dump' }> => e.event === 'dump');
    expect(dumps.map((d) => [d.pid, d.trigger])).toEqual([[pid, 'series'], [pid, 'series']]);
    expect(dumps.every((d) => dirname(d.path) === outDir && /-at-series/.test(d.path))).toBe(true);
    expect(dumps[1]!.atMs - dumps[0]!.atMs).toBeGreaterThanOrEqual(800);
    expect(events.at(-1)).toMatchObject({ event: 'done', reason: 'max-dumps', dumpCount: 2 });
    expect(sleeper.exitCode).toBeNull();
    expect(/^TracerPid:\s*0$/m.test(readFileSync(`/proc/${pid}/status`, 'latin1'))).toBe(true);
  }, 60_000);
});
