// A capture watch run in the helper process, end to end on Linux (root, gcc, gdb): the app side here starts the
// bundled helper through the direct elevator, the helper re-validates and runs the real ptrace engine on a C parent
// whose children exit at once, and every event crosses the channel. Also: stop() and a cut channel release a held
// child, the helper's own refusals reach start(), and a rogue on the channel cannot stop or feed the watch.
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CaptureEvent, CaptureRule } from '../../../src-shared/model/capture';
import { createDirectElevator } from '../../dump/helper/direct-elevator';
import type { Elevator } from '../../dump/helper/elevator';
import { openHelperChannel, type ProvenHelperMessage } from '../../dump/helper/helper-channel';
import { helperWatchJobToArgs } from '../../dump/helper/helper-watch-args';
import { readProcessStartTimeMs } from '../../platform/linux/proc-start-time';
import { testCaptureRule } from '../__fixtures__/capture-rule-fixture';
import { corePid } from '../__fixtures__/core-pid';
import type { RunningParent } from '../linux/__fixtures__/capture-parent';
import { until, useHelperWatchHarness } from './__fixtures__/helper-watch-harness';
import { createHelperCaptureEngine } from './helper-capture-engine';

const NOBODY = 65534;
const h = useHelperWatchHarness();
const { env, watches } = h;

function newOutDir(): string {
  return h.newDir('procscope-helper-watch-');
}

const parent = (args: string[]): Promise<RunningParent> => h.parent(args);

function ruleFor(pid: number, over: Partial<CaptureRule> = {}): CaptureRule {
  return testCaptureRule({ pid, startTimeMs: readProcessStartTimeMs(pid)! }, newOutDir(), { holdTimeoutMs: 30_000, timeoutMs: 50_000, ...over });
}

/** The direct elevator on the bundled helper; `stderr` collects what the helper printed ("holding PID" lines). */
function helperEngine(mode: 'real' | 'stuck', uid: number | null = process.getuid!(), onRun?: (args: readonly string[]) => void) {
  const stderr: string[] = [];
  const direct = createDirectElevator({ env, onStderr: (t) => stderr.push(t) });
  const elevator: Elevator = { kind: 'direct', run: (exe, args) => (onRun?.(args), direct.run(exe, args)) };
  const engine = createHelperCaptureEngine({ elevator, command: { executable: process.execPath, args: [h.entry, mode] }, uid, env });
  return { engine, stderr };
}

const of = <K extends CaptureEvent['event']>(events: CaptureEvent[], kind: K) => events.filter((e): e is Extract<CaptureEvent, { event: K }> => e.event === kind);


const tracerOf = (pid: number): number => Number(/^TracerPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1] ?? -1);

describe('capture watch in the helper process (Linux)', () => {
  it('30 children exiting at once: every event crosses the channel in order, 30 exit cores of the right pids that gdb opens', async () => {
    const p = await parent(['forks', '30']);
    const events: CaptureEvent[] = [];
    const rule = ruleFor(p.pid);
    const watch = await createHelperCaptureEngine({ elevator: createDirectElevator({ env }), command: { executable: process.execPath, args: [h.entry, 'real'] }, uid: 0, env })
      .start(rule, (e) => events.push(e));
    watches.push(watch);
    expect(events).toMatchObject([{ event: 'armed', pid: p.pid, mechanism: expect.stringMatching(/ptrace/) }]);
    p.go();
    expect(await p.exited).toBe(0);
    expect(await watch.finished).toBe('target-exited');
    expect(events.at(-1)).toMatchObject({ event: 'done', reason: 'target-exited', seenCount: 30, dumpCount: 30 });
    expect(of(events, 'error')).toEqual([]);
    const results = p.results();
    const exited = of(events, 'exited');
    expect(exited.length).toBe(30);
    for (const e of exited) expect(`exit ${e.exitCode}`).toBe(results.get(e.pid));
    const dumps = of(events, 'dump');
    expect(dumps.length).toBe(30);
    for (const d of dumps) {
      expect(dirname(d.path)).toBe(rule.outDir);
      expect(corePid(d.path)).toBe(d.pid);
    }
    expect(readdirSync(rule.outDir).length).toBe(30);
    const sample = [dumps[0]!, dumps[29]!];
    const args = ['-batch', '-nx', h.exe, ...sample.flatMap((d) => ['-ex', `core-file ${d.path}`, '-ex', 'info inferiors'])];
    const gdb = spawnSync('gdb', args, { encoding: 'utf8', timeout: 60_000 });
    expect([...gdb.stdout.matchAll(/^\*\s+1\s+process (\d+)/gm)].map((m) => Number(m[1]))).toEqual(sample.map((d) => d.pid));
  });

  it("a root helper working for nobody creates the cores with nobody's rights in nobody's folder", async () => {
    const p = await parent(['codes', '3']);
    const rule = ruleFor(p.pid);
    chownSync(rule.outDir, NOBODY, NOBODY);
    const events: CaptureEvent[] = [];
    const watch = await helperEngine('real', NOBODY).engine.start(rule, (e) => events.push(e));
    watches.push(watch);
    p.go();
    expect(await watch.finished).toBe('target-exited');
    const dumps = of(events, 'dump');
    expect(dumps.length).toBe(1);
    expect(statSync(dumps[0]!.path)).toMatchObject({ uid: NOBODY, mode: expect.any(Number) });
    expect(statSync(dumps[0]!.path).mode & 0o777).toBe(0o600);
  });

  it('the helper re-validates before it holds anything: recycled pid, a folder of another user, a bad rule', async () => {
    const p = await parent(['codes', '0']);
    const { engine } = helperEngine('real');
    const events: CaptureEvent[] = [];
    await expect(engine.start({ ...ruleFor(p.pid), target: { pid: p.pid, startTimeMs: 1 } }, (e) => events.push(e))).rejects.toMatchObject({ code: 'pid-recycled' });
    const foreign = ruleFor(p.pid);
    chownSync(foreign.outDir, NOBODY, NOBODY);
    await expect(engine.start(foreign, (e) => events.push(e))).rejects.toMatchObject({ code: 'bad-request', message: expect.stringMatching(/does not belong to you/) });
    await expect(engine.start({ ...ruleFor(p.pid), outDir: '/nonexistent/procscope' }, (e) => events.push(e))).rejects.toMatchObject({
      code: 'bad-request', message: expect.stringMatching(/does not exist/),
    });
    expect(events).toEqual([]);
    expect(tracerOf(p.pid)).toBe(0);
    p.go();
    expect(await p.exited).toBe(0);
  });

  it('stop() while a child is held at its exit: the helper releases it, it finishes with its own code, done is stopped', async () => {
    const p = await parent(['codes', '4']);
    const { engine, stderr } = helperEngine('stuck');
    const events: CaptureEvent[] = [];
    const watch = await engine.start(ruleFor(p.pid), (e) => events.push(e));
    watches.push(watch);
    p.go();
    await until('the child held', () => stderr.join('').includes('holding'));
    const held = Number(/holding (\d+)/.exec(stderr.join(''))![1]);
    expect(p.results().size).toBe(0);
    expect(tracerOf(held)).toBeGreaterThan(0);
    await watch.stop();
    expect(await watch.finished).toBe('stopped');
    expect(events.at(-1)).toMatchObject({ event: 'done', reason: 'stopped' });
    expect(await p.exited).toBe(0);
    expect([...p.results()]).toEqual([[held, 'exit 4']]);
  });

  it('a cut channel (the app gone) makes the helper release its held child and exit', async () => {
    const p = await parent(['codes', '6']);
    const messages: ProvenHelperMessage[] = [];
    const channel = await openHelperChannel({ onMessage: (m) => messages.push(m), onFailure: () => {}, onClose: () => {} });
    let closed = false;
    try {
      const args = helperWatchJobToArgs({ rule: ruleFor(p.pid), uid: 0, channel: channel.address, secret: channel.secret });
      const helper = spawn(process.execPath, [h.entry, 'stuck', ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      helper.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const helperExit = new Promise<number | null>((resolve) => helper.on('close', (code) => resolve(code)));
      const kinds = (): string[] => messages.map((m) => (m.kind === 'capture' ? m.event.event : m.kind));
      await until('armed', () => kinds().includes('armed'));
      p.go();
      await until('the child held', () => stderr.includes('holding'));
      // The held event travels the channel, the "holding" line stderr: either may come first.
      await until('the held event', () => kinds().includes('held'));
      expect(kinds()).toEqual(['armed', 'seen', 'held']);
      const held = messages.flatMap((m) => (m.kind === 'capture' && m.event.event === 'held' ? [m.event] : []))[0]!;
      expect(held.pid).toBe(Number(/holding (\d+)/.exec(stderr)![1]));
      expect([held.trigger, held.deadlineMs - held.atMs]).toEqual(['exit', expect.closeTo(30_000, -2)]);
      expect(p.results().size).toBe(0);
      await channel.close();
      closed = true;
      expect(await helperExit).toBe(0);
      expect(await p.exited).toBe(0);
      expect([...p.results().values()]).toEqual(['exit 6']);
    } finally {
      if (!closed) await channel.close();
    }
  });

  it("a rogue that connects to the channel while the watch is armed can neither stop it nor feed it events", async () => {
    const p = await parent(['codes', '5']);
    let address = '';
    const { engine, stderr } = helperEngine('stuck', process.getuid!(), (args) => {
      address = args.find((a) => a.startsWith('--channel='))!.slice('--channel='.length);
    });
    const events: CaptureEvent[] = [];
    const watch = await engine.start(ruleFor(p.pid), (e) => events.push(e));
    watches.push(watch);
    p.go();
    await until('the child held', () => stderr.join('').includes('holding'));
    const rogue = await new Promise<string>((resolve) => {
      const s = connect(address);
      s.on('connect', () => {
        s.write('{"v":1,"kind":"stop"}\n{"v":1,"kind":"capture","event":{"event":"done","atMs":1,"reason":"stopped","seenCount":0,"dumpCount":0}}\n');
        s.end();
        resolve('connected');
      });
      s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });
    expect(rogue).not.toBe('connected');
    await new Promise((r) => setTimeout(r, 300));
    expect(events.map((e) => e.event)).not.toContain('done');
    expect(p.results().size).toBe(0);
    await watch.stop();
    expect(await watch.finished).toBe('stopped');
    expect(await p.exited).toBe(0);
  });
});
