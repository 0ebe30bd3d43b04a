/*
 * Property-based fuzzing of the browser host over real sockets (issue 11): arbitrary and near-valid request targets
 * written raw over TCP, on the plain and the upgrade path, must each get an HTTP answer; arbitrary WebSocket frames
 * (any opcode, RSV bits, mask or none, lying lengths, fragments, valid requests among them) over an authenticated
 * upgrade must never end the server, which then still serves a fresh client. Seeded (fuzz-seed), counts printed.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { fuzzParameters, fuzzSeed } from '../../__fixtures__/fuzz-seed';
import { encodeFrame, pageStatus, rawHttp, rawWebSocket, startTestHost, TEST_TOKEN, type FrameSpec, type TestHost } from './web-host-test-kit';

const SEED = fuzzSeed();
const HTTP_CASES = 2000;
const FRAME_CASES = 1000;

let t: TestHost;
const escaped: unknown[] = [];
const onEscaped = (err: unknown) => void escaped.push(err);
beforeAll(async () => {
  process.on('uncaughtException', onEscaped);
  process.on('unhandledRejection', onEscaped);
  t = await startTestHost();
});
afterAll(async () => {
  process.off('uncaughtException', onEscaped);
  process.off('unhandledRejection', onEscaped);
  await t.dispose();
});

/** Pieces a hostile or sloppy target is made of: encodings half-done, brackets, ports, dots, unicode. */
const piece = fc.oneof(
  fc.constantFrom('/', '//', '%', '%2', '%2e', '%2f', '%00', '%ff', '%E0%A4%A', '[', ']', '[::1]', ':', ':99999', '@', '..', '.', '\\', '?', '#', '&', '=', 'ws', 'index.html', 'assets', 'token=', `token=${TEST_TOKEN}`, TEST_TOKEN.slice(0, 20)),
  fc.string({ unit: 'grapheme', maxLength: 6 }).map((s) => s.replace(/[\s\0]/g, '')),
  fc.string({ unit: fc.constantFrom(...'abcXYZ019-_~!$\'()*+,;'.split('')), maxLength: 12 }),
);
const target = fc.oneof(
  { weight: 6, arbitrary: fc.array(piece, { maxLength: 12 }).map((parts) => parts.join('')) },
  // Near-valid: the real paths with a query that carries, lacks or mangles the token.
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('/', '/index.html', '/ws', '/assets/app.js', '//', '/%'), fc.array(piece, { maxLength: 4 })).map(([p, q]) => `${p}?${q.join('')}`) },
  // Huge: past Node's 16 KiB header limit as well as below it.
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('/', '//', '/%', '/['), fc.integer({ min: 1000, max: 20_000 }), fc.constantFrom('a', '%', '%2e', '/')).map(([p, n, c]) => p + c.repeat(Math.ceil(n / c.length))) },
);

function requestBytes(path: string, upgrade: boolean, port: number): Buffer {
  const lines = [`GET ${path || '/'} HTTP/1.1`, `Host: 127.0.0.1:${port}`];
  if (upgrade) {
    lines.push('Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', `Origin: http://127.0.0.1:${port}`);
  } else lines.push('Connection: close');
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8');
}

const validRequest = fc
  .constantFrom('procscope:get-app-info', 'procscope:get-poller-state', 'procscope:subscribe-processes', 'procscope:refresh-now', 'procscope:nope')
  .map((channel) => Buffer.from(JSON.stringify({ type: 'request', id: 1, channel, args: {} })));
const payload = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)) },
  { weight: 2, arbitrary: validRequest },
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }).map((s) => Buffer.from(s, 'utf8')) },
);
const frame: fc.Arbitrary<FrameSpec> = fc.record(
  {
    fin: fc.boolean(),
    rsv: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 7 }) }),
    opcode: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(0, 1, 2, 8, 9, 10) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) }),
    masked: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    payload,
    declaredLength: fc.option(fc.constantFrom(0, 125, 126, 65_535, 65_536, 70_000, 2 ** 32, Number.MAX_SAFE_INTEGER), { freq: 6, nil: undefined }),
  },
  { requiredKeys: ['opcode', 'payload'] },
);

describe(`fuzz: the browser host over raw sockets (seed ${SEED})`, () => {
  it(`answers every request target over HTTP and upgrade (${HTTP_CASES} cases)`, async () => {
    let cases = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(target, fc.boolean(), async (path, upgrade) => {
        cases++;
        const answer = await rawHttp(t.host.port, requestBytes(path, upgrade, t.host.port));
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        expect(answer.status, JSON.stringify(answer.head.slice(0, 120))).toBeGreaterThanOrEqual(101);
        expect(answer.status).toBeLessThan(600);
        if (answer.status >= 400) expect(answer.headers['x-content-type-options']).toBe('nosniff');
        expect(escaped).toEqual([]);
      }),
      fuzzParameters(SEED, 1, HTTP_CASES),
    );
    expect(await pageStatus(t.host.port)).toBe(200);
    const byStatus = [...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}:${n}`).join(' ');
    console.log(`fuzz web-http: ${cases} cases, seed ${SEED}, answers ${byStatus}`);
  }, 120_000);

  it(`survives arbitrary WebSocket frames and serves a fresh client (${FRAME_CASES} cases)`, async () => {
    let cases = 0;
    let closedByServer = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 4 }), async (frames) => {
        cases++;
        // The upgrade itself succeeding proves the previous case left the server alive.
        const raw = await rawWebSocket(t.host.port);
        raw.socket.on('error', () => {});
        for (const spec of frames) raw.socket.write(encodeFrame(spec));
        raw.socket.end();
        const closed = await Promise.race([raw.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 200))]);
        if (closed) closedByServer++;
        raw.socket.destroy();
        expect(escaped).toEqual([]);
      }),
      fuzzParameters(SEED, 2, FRAME_CASES),
    );
    const ws = new WebSocket(`ws://127.0.0.1:${t.host.port}/ws?token=${TEST_TOKEN}`, { origin: `http://127.0.0.1:${t.host.port}` });
    const info = await new Promise<{ ok: boolean }>((resolve, reject) => {
      ws.once('error', reject);
      ws.on('message', (d) => resolve((JSON.parse(String(d)) as { result: { ok: boolean } }).result));
      ws.once('open', () => ws.send(JSON.stringify({ type: 'request', id: 1, channel: 'procscope:get-app-info', args: {} })));
    });
    ws.close();
    expect(info.ok).toBe(true);
    console.log(`fuzz web-ws: ${cases} cases, seed ${SEED}, ${closedByServer} closed by the server within 200 ms`);
  }, 120_000);
});
