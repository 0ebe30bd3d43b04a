// The Windows capture engine refuses the sampled triggers (cpu, memory, series) with a sentence before it touches
// any process: it does not sample, so such a watch would arm and never fire. The refusal comes before any Win32
// call, so it is checked on every OS.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testCaptureRule } from '../__fixtures__/capture-rule-fixture';
import { createWin32CaptureEngine } from './win32-capture-engine';

const dir = mkdtempSync(join(tmpdir(), 'procscope-win-monitor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Windows capture engine and the sampled triggers', () => {
  it.each([
    [['cpu' as const], { cpuPercent: 90, memoryMb: null, seconds: 10, count: 1 }],
    [['memory' as const], { cpuPercent: null, memoryMb: 800, seconds: 10, count: 1 }],
    [['series' as const], { cpuPercent: null, memoryMb: null, seconds: 5, count: 3 }],
  ])('refuses %j as unsupported, naming the triggers, before holding anything', async (triggers, monitor) => {
    const events: unknown[] = [];
    const rule = testCaptureRule({ pid: 4242, startTimeMs: 1 }, dir, { scope: 'self', triggers, monitor });
    await expect(createWin32CaptureEngine().start(rule, (e) => events.push(e))).rejects.toMatchObject({
      code: 'unsupported',
      message: expect.stringMatching(/^The CPU, memory and series triggers \(ProcDump -c, -m, -n\/-s\) are not supported yet on Windows/),
    });
    expect(events).toEqual([]);
  });
});
