/*
 * Issue 11, item 9, performed: authenticated WebSocket clients that stop reading while the real poller streams a
 * 5,000-process fake machine (every row changes per poll). The server's memory must stay bounded while a
 * well-behaved client keeps getting every delta; a slow client that drains again gets a fresh snapshot whose seq
 * the following deltas continue (never a gap); one that stays behind too long is closed.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ProcessStreamMessage } from '../../../src-shared/model/process';
import { createPoller } from '../../poller/poller';
import { DEFAULT_WEB_SOCKET_LIMITS } from './web-socket-client';
import {
  decodeServerFrames,
  rawWebSocket,
  requestFrame,
  startTestHost,
  TEST_TOKEN,
  type RawWebSocket,
  type TestHost,
  type TestHostOptions,
} from './web-host-test-kit';

let t: TestHost | undefined;
const clients: (RawWebSocket | WebSocket)[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) {
    if (c instanceof WebSocket) c.terminate();
    else c.socket.destroy();
  }
  await t?.dispose();
  t = undefined;
});

async function startBigHost(limits?: TestHostOptions['host']): Promise<TestHost> {
  t = await startTestHost({
    backend: { processCount: 5000, changingFraction: 1, seed: 11 },
    // Paused: the test drives every poll with refreshNow(), as fast as the machine allows.
    createPoller: (backend) => createPoller(backend, { intervalMs: 0 }),
    ...(limits ? { host: limits } : {}),
  });
  await t.poller.refreshNow();
  return t;
}

async function pausedSubscriber(port: number): Promise<RawWebSocket> {
  const raw = await rawWebSocket(port, { paused: true });
  raw.socket.on('error', () => {});
  raw.socket.write(requestFrame(1, 'procscope:subscribe-processes'));
  clients.push(raw);
  return raw;
}

/** A client that reads everything and checks the stream's seq as the renderer does; resolves at its snapshot. */
function readingSubscriber(port: number): Promise<{ deltas: () => number; gaps: () => number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${TEST_TOKEN}`, { origin: `http://127.0.0.1:${port}` });
    clients.push(ws);
    let seq: number | null = null;
    let deltas = 0;
    let gaps = 0;
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string; channel?: string; payload?: ProcessStreamMessage };
      if (frame.type !== 'push' || frame.channel !== 'procscope:process-stream') return;
      const message = frame.payload!;
      if (message.kind === 'snapshot') {
        seq = message.snapshot.seq;
        resolve({ deltas: () => deltas, gaps: () => gaps });
      } else {
        if (seq === null || message.delta.seq !== seq + 1) gaps++;
        seq = message.delta.seq;
        deltas++;
      }
    });
    ws.once('open', () => {
      ws.send(JSON.stringify({ type: 'request', id: 1, channel: 'procscope:subscribe-processes', args: {} }));
    });
    ws.once('error', reject);
  });
}

/** The process-stream messages in what a raw client received, in order. */
function streamMessages(raw: RawWebSocket): ProcessStreamMessage[] {
  return decodeServerFrames(raw.received())
    .filter((f) => f.opcode === 1)
    .map((f) => JSON.parse(f.payload.toString('utf8')) as { type: string; channel?: string; payload?: ProcessStreamMessage })
    .filter((f) => f.type === 'push' && f.channel === 'procscope:process-stream')
    .map((f) => f.payload!);
}

const settle = () => new Promise((r) => setTimeout(r, 20));
/** V8's gc() without --expose-gc on the worker's command line, so a figure is live memory, not garbage. */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MiB = 1024 * 1024;

describe('browser host with clients that stop reading', () => {
  it('keeps its memory bounded with 20 stalled sockets, and a reading client gets every delta', async () => {
    const host = await startBigHost();
    const reader = await readingSubscriber(host.host.port);
    let polls = 0;
    const poll = async (count: number) => {
      for (let i = 0; i < count; i++) {
        await host.poller.refreshNow();
        polls++;
        await settle();
      }
    };
    // Warm up with the reader alone, so the heap the poller itself needs is in the base figure.
    await poll(15);
    for (let i = 0; i < 20; i++) await pausedSubscriber(host.host.port);
    await settle();
    gc();
    const base = process.memoryUsage();
    polls = 0;
    await poll(60);
    await settle();
    gc();
    const end = process.memoryUsage();
    const rssGrowthMiB = (end.rss - base.rss) / MiB;
    const liveGrowthMiB = (end.heapUsed + end.external - base.heapUsed - base.external) / MiB;
    // A stalled socket holds at most the soft limit plus one message (a snapshot is the largest) beyond what the
    // kernel buffers. Today's code queued one more delta per poll and socket (~500 KB here): +233 MiB live, +291 MiB RSS in 35 polls.
    const snapshotMiB = JSON.stringify(host.poller.getSnapshot()).length / MiB;
    const liveBoundMiB = 20 * (DEFAULT_WEB_SOCKET_LIMITS.softBufferBytes / MiB + snapshotMiB) + 20;
    console.log(
      `web backpressure: ${polls} polls of 5,000 processes, 20 stalled sockets: live memory +${liveGrowthMiB.toFixed(0)} MiB ` +
        `(bound ${liveBoundMiB.toFixed(0)}), RSS after gc +${rssGrowthMiB.toFixed(0)} MiB (bound 250)`,
    );
    expect(liveGrowthMiB).toBeLessThan(liveBoundMiB);
    // RSS also carries the allocator's retained pages, so its bound is looser; it still fails today's code twice over.
    expect(rssGrowthMiB).toBeLessThan(250);
    expect(reader.gaps()).toBe(0);
    expect(reader.deltas()).toBe(polls + 15);
  });

  it('sends a client that drains again a fresh snapshot, and deltas from its seq on', async () => {
    const host = await startBigHost();
    const slow = await pausedSubscriber(host.host.port);
    const pushed = 120;
    for (let i = 0; i < pushed; i++) {
      await host.poller.refreshNow();
      if (i % 10 === 0) await settle();
    }
    slow.socket.resume();
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < 5; i++) {
      await host.poller.refreshNow();
      await settle();
    }
    await new Promise((r) => setTimeout(r, 200));
    const messages = streamMessages(slow);
    const snapshots = messages.filter((m) => m.kind === 'snapshot');
    expect(messages[0]?.kind).toBe('snapshot');
    expect(snapshots.length).toBeGreaterThanOrEqual(2);
    let seq: number | null = null;
    for (const m of messages) {
      if (m.kind === 'snapshot') seq = m.snapshot.seq;
      else {
        expect(m.delta.seq).toBe(seq! + 1);
        seq = m.delta.seq;
      }
    }
    // It caught up: the last message carries the poller's current seq.
    expect(seq).toBe(host.poller.getSnapshot()!.seq);
    expect(messages.filter((m) => m.kind === 'delta').length).toBeLessThan(pushed);
  });

  it('closes a client that stays behind longer than the limit', async () => {
    const host = await startBigHost({ limits: { staleCloseMs: 300 } });
    const slow = await pausedSubscriber(host.host.port);
    const endMs = performance.now() + 3000;
    while (performance.now() < endMs && !slow.isClosed()) {
      await host.poller.refreshNow();
      await settle();
    }
    // The close sits behind the unread bytes: read them, and the end must come.
    slow.socket.resume();
    await Promise.race([slow.closed, new Promise((r) => setTimeout(r, 3000))]);
    expect(slow.isClosed()).toBe(true);
  });
});
