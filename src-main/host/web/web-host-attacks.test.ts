/*
 * Issue 11, items 7, 8 and 10, performed against a real `serve` host on 127.0.0.1: request targets that `new URL`
 * cannot parse (on the plain and the upgrade path), WebSocket protocol errors sent raw over an authenticated
 * upgrade, the host's own pid as a kill or suspend target, the headers of every error answer, and a static file
 * whose read fails. Each attack must get an answer or a closed socket, and the server must serve the next client.
 */
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { encodeFrame, pageStatus, rawGet, rawHttp, rawWebSocket, startTestHost, TEST_TOKEN, type TestHost } from './web-host-test-kit';

let t: TestHost;
/** An exception that escaped the host: in `procscope serve` it would have ended the process. */
let escaped: unknown[] = [];
const onEscaped = (err: unknown) => void escaped.push(err);
beforeEach(async () => {
  escaped = [];
  process.on('uncaughtException', onEscaped);
  process.on('unhandledRejection', onEscaped);
  t = await startTestHost({ hostPids: () => [5] });
});
afterEach(async () => {
  process.off('uncaughtException', onEscaped);
  process.off('unhandledRejection', onEscaped);
  await t.dispose();
  expect(escaped).toEqual([]);
});

function connect(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${t.host.port}/ws?token=${TEST_TOKEN}`, { origin: `http://127.0.0.1:${t.host.port}` });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** One request over a fresh, well-behaved client: proves the host still carries the contract. */
async function request(channel: string, args: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }> {
  const ws = await connect();
  try {
    return await new Promise((resolve) => {
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as { type: string; id?: number; result?: never };
        if (frame.type === 'response' && frame.id === 7) resolve(frame.result!);
      });
      ws.send(JSON.stringify({ type: 'request', id: 7, channel, args }));
    });
  } finally {
    ws.close();
  }
}

const UNPARSABLE_TARGETS = ['//%', '//[', '//x:99999', '//%/ws?token=x', '//[::1/ws'];

describe('browser host under attack', () => {
  it.each(UNPARSABLE_TARGETS)('answers GET %s with 400 and keeps serving', async (target) => {
    const answer = await rawGet(t.host.port, target);
    expect(answer.status).toBe(400);
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(await pageStatus(t.host.port)).toBe(200);
  });

  it.each(UNPARSABLE_TARGETS)('answers an upgrade to %s with 400 and keeps serving', async (target) => {
    const answer = await rawGet(t.host.port, target, true);
    expect(answer.status).toBe(400);
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(await pageStatus(t.host.port)).toBe(200);
  });

  const PROTOCOL_ERRORS: [string, () => Buffer][] = [
    ['a frame over the size limit', () => encodeFrame({ opcode: 1, payload: Buffer.alloc(64 * 1024 + 1, 0x20) })],
    ['invalid UTF-8 text', () => encodeFrame({ opcode: 1, payload: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) })],
    ['a reserved opcode', () => encodeFrame({ opcode: 3, payload: Buffer.from('{}') })],
    ['an unmasked client frame', () => encodeFrame({ opcode: 1, masked: false, payload: Buffer.from('{}') })],
    ['reserved bits without an extension', () => encodeFrame({ opcode: 1, rsv: 4, payload: Buffer.from('{}') })],
    ['a fragmented control frame', () => encodeFrame({ opcode: 9, fin: false, payload: Buffer.from('x') })],
  ];

  it.each(PROTOCOL_ERRORS)('closes the socket on %s and serves the next client', async (_name, frame) => {
    const raw = await rawWebSocket(t.host.port);
    raw.socket.on('error', () => {});
    raw.socket.write(frame());
    await raw.closed;
    expect(await pageStatus(t.host.port)).toBe(200);
    const answer = await request('procscope:get-app-info', {});
    expect(answer.ok).toBe(true);
  });

  it('puts nosniff and no-store on every error answer, plain and upgrade', async () => {
    const port = t.host.port;
    const answers = [
      await rawGet(port, '/'), // 401
      await rawGet(port, '/missing.js'), // 404
      await rawGet(port, '/%E0%A4%A'), // 400
      await rawHttp(port, `POST / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`), // 405
      await rawHttp(port, `GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`), // 421
      await rawGet(port, '/nope', true), // 404 upgrade
      await rawGet(port, '/ws?token=wrong', true), // 401 upgrade
      await rawHttp(port, `GET /ws?token=${TEST_TOKEN} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\nOrigin: http://evil.example\r\n\r\n`), // 403
      await rawHttp(port, 'GARBAGE\r\n\r\n'), // 400 from the parser
    ];
    expect(answers.map((a) => a.status)).toEqual([401, 404, 400, 405, 421, 404, 401, 403, 400]);
    for (const answer of answers) {
      expect(answer.headers['x-content-type-options'], answer.head).toBe('nosniff');
      expect(answer.headers['cache-control'], answer.head).toBe('no-store');
    }
  });

  // Linux only: the failing read comes from procfs (reported as skipped elsewhere, e.g. on CI's windows-latest).
  it.skipIf(process.platform !== 'linux')('answers 500 for a static file whose read fails, and keeps serving', async () => {
    // /proc/self/mem opens and stats as a regular file, and its first read (offset 0, unmapped) fails with EIO.
    symlinkSync('/proc/self/mem', join(t.rendererDir, 'assets', 'broken.js'));
    const answer = await rawGet(t.host.port, '/assets/broken.js');
    expect(answer.status).toBe(500);
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(await pageStatus(t.host.port)).toBe(200);
  });

  it('refuses to suspend or kill its own process, with a typed error, and keeps running', async () => {
    const target = { pid: process.pid, startTimeMs: 1 };
    for (const channel of ['procscope:suspend-process', 'procscope:kill-process', 'procscope:kill-process-tree']) {
      const answer = await request(channel, target);
      expect(answer.ok, channel).toBe(false);
      expect(answer.error!.code, channel).toBe('own-process');
      expect(answer.error!.message, channel).toContain(`PID ${process.pid}`);
    }
    expect(await pageStatus(t.host.port)).toBe(200);
  });

  it('refuses to kill a tree that contains one of its processes, but not an ancestor alone', async () => {
    const rows = await t.services.readRows();
    const root = rows.find((r) => r.pid === 1)!;
    const own = rows.find((r) => r.pid === 5)!;
    const tree = await request('procscope:kill-process-tree', { pid: root.pid, startTimeMs: root.startTimeMs });
    expect(tree.error?.code).toBe('own-process');
    expect(tree.error?.message).toContain('PID 5');
    expect((await request('procscope:suspend-process', { pid: own.pid, startTimeMs: own.startTimeMs })).error?.code).toBe('own-process');
    const after = await t.services.backend.takeSnapshot({ includeHandleCount: false });
    expect(after.rows.filter((r) => r.pid === 1 || r.pid === 5)).toHaveLength(2);
    expect((await request('procscope:suspend-process', { pid: root.pid, startTimeMs: root.startTimeMs })).ok).toBe(true);
  });

  it('answers a request frame whose channel cannot be turned into a string', async () => {
    const answer = await request({ toString: 1 } as unknown as string, {});
    expect(answer.error?.code).toBe('unknown-channel');
    expect(await pageStatus(t.host.port)).toBe(200);
  });
});
