// The app side of a helper watch against a fake helper that breaks the protocol on purpose: it speaks from an
// Elevator of its own (connects to the channel with the secret it was given, or without), so every forged, oversized,
// malformed or out-of-order line is sent exactly when it hurts. Each must end in a refusal or done('error'), never
// in an event the hosts would record, and never in a hang.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CaptureEvent } from '../../../src-shared/model/capture';
import { DumpError } from '../../dump/dump-writer';
import type { Elevator } from '../../dump/helper/elevator';
import { MAX_LINE_BYTES } from '../../dump/helper/helper-protocol';
import { testCaptureRule } from '../__fixtures__/capture-rule-fixture';
import type { CaptureWatch } from '../capture-engine';
import { createHelperCaptureEngine } from './helper-capture-engine';

const dirs: string[] = [];
const watches: CaptureWatch[] = [];
// A watch a failed test left armed still holds its channel's private folder: stop() ends it (at worst after its grace).
afterEach(async () => {
  for (const w of watches.splice(0)) await w.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function rule() {
  const dir = mkdtempSync(join(tmpdir(), 'procscope-fake-helper-'));
  dirs.push(dir);
  return testCaptureRule({ pid: 4242, startTimeMs: 1 }, dir);
}

interface FakeHelper {
  /** Lines the app sent the fake helper (welcome, stop…). */
  received: string[];
  closedByApp: Promise<void>;
}

/**
 * An Elevator whose "helper" is this script: it reads --channel and --secret from the job's arguments, says hello
 * (with `secret` overriding the real one when given), then runs `script` with a writer. Resolves `exitCode` when
 * the script returns, as a helper process that exited.
 */
function fakeHelper(script: (send: (line: string) => void, socket: Socket, fake: FakeHelper) => Promise<void>, hello: { secret?: string; skip?: boolean } = {}): { elevator: Elevator; fake: FakeHelper } {
  let onClosed!: () => void;
  const fake: FakeHelper = { received: [], closedByApp: new Promise((r) => (onClosed = r)) };
  const elevator: Elevator = {
    kind: 'direct',
    async run(_exe, args) {
      const value = (flag: string): string => args.find((a) => a.startsWith(`${flag}=`))!.slice(flag.length + 1);
      const socket = connect(value('--channel'));
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      socket.on('data', (c: Buffer) => fake.received.push(...c.toString().split('\n').filter(Boolean)));
      socket.on('close', () => onClosed());
      socket.on('error', () => {});
      const send = (line: string): void => void socket.write(line + '\n');
      if (!hello.skip) send(JSON.stringify({ v: 1, kind: 'hello', secret: hello.secret ?? value('--secret') }));
      await new Promise((r) => setTimeout(r, 30));
      await script(send, socket, fake);
      return 0;
    },
  };
  return { elevator, fake };
}

function engineWith(elevator: Elevator) {
  const engine = createHelperCaptureEngine({ elevator, command: { executable: '/fake', args: [] }, uid: 0, platform: 'linux' });
  return { start: (...a: Parameters<typeof engine.start>) => engine.start(...a).then((w) => (watches.push(w), w)) };
}
const capture = (event: object): string => JSON.stringify({ v: 1, kind: 'capture', event });
const armed = { event: 'armed', atMs: 1, pid: 4242, mechanism: 'fake', limits: [] };
const done = { event: 'done', atMs: 9, reason: 'stopped', seenCount: 0, dumpCount: 0 };
const hold = (): Promise<void> => new Promise((r) => setTimeout(r, 5000));

describe('helper capture engine (app side) against a misbehaving helper', () => {
  it('forwards a well-behaved watch in order, sends stop on stop(), and finishes with the helper’s done', async () => {
    const { elevator, fake } = fakeHelper(async (send) => {
      send(capture(armed));
      send(capture({ event: 'seen', atMs: 2, pid: 5, ppid: 4242, name: 'c', cmdline: 'c', startTimeMs: 2 }));
      send(capture({ event: 'held', atMs: 3, pid: 5, name: 'c', trigger: 'exit', deadlineMs: 60_003 }));
      while (!fake.received.some((l) => l.includes('"stop"'))) await new Promise((r) => setTimeout(r, 10));
      send(capture(done));
      await fake.closedByApp;
    });
    const events: CaptureEvent[] = [];
    const r = rule();
    const watch = await engineWith(elevator).start(r, (e) => events.push(e));
    expect(events[0]!.event).toBe('armed');
    await new Promise((res) => setTimeout(res, 50));
    await watch.stop();
    expect(await watch.finished).toBe('stopped');
    expect(events.map((e) => e.event)).toEqual(['armed', 'seen', 'held', 'done']);
    expect(events[2]).toEqual({ event: 'held', atMs: 3, pid: 5, name: 'c', trigger: 'exit', deadlineMs: 60_003 });
    expect(fake.received.map((l) => JSON.parse(l).kind)).toEqual(['welcome', 'stop']);
  });

  it('refuses an event before armed, a malformed or oversized line, an armed on another pid, and a dump message during a watch', async () => {
    const cases: [string, (send: (l: string) => void) => void, RegExp][] = [
      ['seen first', (send) => send(capture({ event: 'seen', atMs: 2, pid: 5, ppid: 1, name: 'c', cmdline: 'c', startTimeMs: 2 })), /'seen' event before its watch was armed/],
      ['extra field', (send) => send(capture({ ...armed, run: 'sh' })), /malformed message at event/],
      ['oversized', (send) => send(capture({ ...armed, mechanism: 'x'.repeat(MAX_LINE_BYTES) })), /longer than 65536 bytes|oversized message/],
      ['other pid', (send) => send(capture({ ...armed, pid: 1 })), /armed a watch on process 1 instead of 4242/],
      ['not json', (send) => send('{"v":1,"kind":"capture",'), /not JSON/],
      ['dump result', (send) => send(JSON.stringify({ v: 1, kind: 'progress', progress: { bytesWritten: 1, estimatedTotalBytes: null, elapsedMs: 1, phase: 'writing' } })), /dump's progress during a watch/],
    ];
    for (const [name, script, message] of cases) {
      const { elevator, fake } = fakeHelper(async (send) => {
        script(send);
        await fake.closedByApp;
      });
      const events: CaptureEvent[] = [];
      const start = engineWith(elevator).start(rule(), (e) => events.push(e));
      await expect(start, name).rejects.toMatchObject({ code: 'bad-request', message: expect.stringMatching(message) });
      expect(events, name).toEqual([]);
      await fake.closedByApp; // the app hung up on it: a real helper then stops at once
    }
  });

  it('ends an armed watch with error + done(error) when the helper reports a dump outside the folder, arms twice, or holds beyond its rule', async () => {
    for (const [forged, why] of [
      [{ event: 'dump', atMs: 3, pid: 5, name: 'c', trigger: 'exit', path: '/etc/shadow', fileBytes: 1, sha256: 'a'.repeat(64), targetPauseMs: 1, unreadableBytes: 0 }, /outside the watch's folder/],
      [armed, /armed its watch twice/],
      // The rule asks for exit dumps with a 60 s deadline: a start hold, or one held for an hour, is not what it allowed.
      [{ event: 'held', atMs: 3, pid: 5, name: 'c', trigger: 'start', deadlineMs: 60_003 }, /held process 5 for a start dump its rule does not ask for/],
      [{ event: 'held', atMs: 3, pid: 5, name: 'c', trigger: 'exit', deadlineMs: 3_600_003 }, /held process 5 past the rule's 60000 ms hold deadline/],
    ] as const) {
      const { elevator, fake } = fakeHelper(async (send) => {
        send(capture(armed));
        await new Promise((r) => setTimeout(r, 30));
        send(capture(forged));
        await fake.closedByApp;
      });
      const events: CaptureEvent[] = [];
      const watch = await engineWith(elevator).start(rule(), (e) => events.push(e));
      expect(await watch.finished).toBe('error');
      expect(events.map((e) => e.event)).toEqual(['armed', 'error', 'done']);
      expect(events[1]).toMatchObject({ pid: null, error: { code: 'bad-request', message: expect.stringMatching(why) } });
      await fake.closedByApp;
    }
  });

  it('a process without the one-time secret is refused, and its forged armed and stop are never acted on', async () => {
    const { elevator, fake } = fakeHelper(async (send) => {
      send('{"v":1,"kind":"stop"}');
      send(capture(armed));
      await fake.closedByApp;
    }, { secret: 'b'.repeat(64) });
    const events: CaptureEvent[] = [];
    await expect(engineWith(elevator).start(rule(), (e) => events.push(e))).rejects.toMatchObject({ code: 'bad-request', message: expect.stringMatching(/without the job's one-time secret/) });
    expect(events).toEqual([]);
    expect(fake.received).toEqual([]);
  });

  it('a helper that dies after arming ends the watch with an error and done(error); one that dies before, rejects start', async () => {
    const dies = fakeHelper(async (send, socket) => {
      send(capture(armed));
      await new Promise((r) => setTimeout(r, 30));
      socket.destroy();
    });
    const events: CaptureEvent[] = [];
    const watch = await engineWith(dies.elevator).start(rule(), (e) => events.push(e));
    expect(await watch.finished).toBe('error');
    expect(events.map((e) => e.event)).toEqual(['armed', 'error', 'done']);
    expect(events[1]).toMatchObject({ error: { code: 'io-error', message: expect.stringMatching(/without ending its watch/) } });

    const early: Elevator = { kind: 'direct', run: async () => 1 };
    await expect(engineWith(early).start(rule(), () => {})).rejects.toMatchObject({ code: 'io-error', message: expect.stringMatching(/exit code 1\) before the watch was armed/) });
    const cancelled: Elevator = { kind: 'pkexec', run: () => Promise.reject(new DumpError('elevation-cancelled', 'You cancelled the prompt.')) };
    await expect(engineWith(cancelled).start(rule(), () => {})).rejects.toMatchObject({ code: 'elevation-cancelled' });
    const refuses = fakeHelper(async (send) => {
      send(JSON.stringify({ v: 1, kind: 'error', error: { code: 'needs-elevation', message: 'Needs root.' } }));
      await hold();
    });
    await expect(engineWith(refuses.elevator).start(rule(), () => {})).rejects.toMatchObject({ code: 'needs-elevation', message: 'Needs root.' });
  });
});
