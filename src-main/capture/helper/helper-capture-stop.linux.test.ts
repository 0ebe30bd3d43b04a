// The helper process ends promptly once its watch is stopped (issue 12): the Linux engine leaves nothing behind that
// keeps a process alive — no SIGCHLD listener, no timer, no thread blocked in a wait — whether it was stopped while
// its tracees were busy forking or idle. Real helper (bundled), direct elevator, root, gcc.
import { describe, expect, it } from 'vitest';
import type { CaptureEvent } from '../../../src-shared/model/capture';
import { createDirectElevator } from '../../dump/helper/direct-elevator';
import type { Elevator } from '../../dump/helper/elevator';
import { readProcessStartTimeMs } from '../../platform/linux/proc-start-time';
import { testCaptureRule } from '../__fixtures__/capture-rule-fixture';
import { until, useHelperWatchHarness } from './__fixtures__/helper-watch-harness';
import { createHelperCaptureEngine } from './helper-capture-engine';

const h = useHelperWatchHarness();

/** A real helper watching a capture parent (trace only); `exitedAt` is when the helper process ended. */
async function helperWatch(args: string[]) {
  const p = await h.parent(args);
  const direct = createDirectElevator({ env: h.env });
  const helper = { exitedAt: null as number | null, code: null as number | null };
  const elevator: Elevator = {
    kind: 'direct',
    run: (exe, a) =>
      direct.run(exe, a).then((code) => {
        helper.exitedAt = performance.now();
        helper.code = code;
        return code;
      }),
  };
  const engine = createHelperCaptureEngine({ elevator, command: { executable: process.execPath, args: [h.entry, 'real'] }, uid: process.getuid!(), env: h.env });
  const outDir = h.newDir('procscope-helper-stop-');
  const rule = testCaptureRule({ pid: p.pid, startTimeMs: readProcessStartTimeMs(p.pid)! }, outDir, { triggers: ['crash'], timeoutMs: 60_000 });
  const events: CaptureEvent[] = [];
  const watch = await engine.start(rule, (e) => events.push(e));
  h.watches.push(watch);
  return { p, watch, events, helper };
}

describe('helper exit after stop (Linux)', () => {
  it('stopped while its tracee forks children back to back, the helper exits within 1 s and the tree finishes untraced', async () => {
    const { p, watch, events, helper } = await helperWatch(['forks', '100000']);
    p.go();
    await until('children seen', () => events.filter((e) => e.event === 'seen').length >= 50);
    const t0 = performance.now();
    await watch.stop();
    await until('the helper exited', () => helper.exitedAt !== null, 5_000);
    expect(helper.exitedAt! - t0).toBeLessThan(1000);
    expect(helper.code).toBe(0);
    expect(events.at(-1)).toMatchObject({ event: 'done', reason: 'stopped' });
    p.kill();
  });

  it('stopped while idle (its tracee sleeps), the helper exits within 1 s', async () => {
    const { p, watch, events, helper } = await helperWatch(['sleepy', '30000']);
    p.go();
    await until('the sleeping child seen', () => events.some((e) => e.event === 'seen' && e.pid !== p.pid));
    await new Promise((r) => setTimeout(r, 200));
    const t0 = performance.now();
    await watch.stop();
    await until('the helper exited', () => helper.exitedAt !== null, 5_000);
    expect(helper.exitedAt! - t0).toBeLessThan(1000);
    expect(helper.code).toBe(0);
    // The sleeping child holds the parent's stdout: end it too, or this file's worker waits 30 s on the pipe.
    const sleeper = events.find((e) => e.event === 'seen' && e.pid !== p.pid)!;
    process.kill((sleeper as Extract<CaptureEvent, { event: 'seen' }>).pid, 'SIGKILL');
    p.kill();
  });
});
