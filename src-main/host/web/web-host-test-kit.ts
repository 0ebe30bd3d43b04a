/*
 * Test tools for the browser host, shared by its attack, backpressure and fuzz tests: a host on a throw-away
 * renderer folder (removed again by dispose, even when the test failed), raw HTTP over TCP (so a test can send
 * request targets that no HTTP client would), and a raw WebSocket client that completes an authenticated upgrade
 * and then writes hand-made frames. Used only by tests; it never runs in the app.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeBackend, type FakeBackendOptions } from '../../platform/fake/fake-backend';
import type { Poller } from '../../poller/poller-types';
import { createAppServices, type AppServices } from '../app-services';
import { createTestPoller } from '../test-poller';
import { startWebHost, type WebHost, type WebHostOptions } from './web-host';

export const TEST_TOKEN = 'a'.repeat(48);

export interface TestHost {
  host: WebHost;
  services: AppServices;
  poller: Poller;
  rendererDir: string;
  /** Closes the host, disposes the services and removes the temp folder. */
  dispose(): Promise<void>;
}

export interface TestHostOptions {
  backend?: FakeBackendOptions;
  /** Builds the poller for the backend (default: the host-test double that polls on refreshNow only). */
  createPoller?: (backend: ReturnType<typeof createFakeBackend>) => Poller;
  /** Passed to createAppServices: the host's other pids. */
  hostPids?: () => readonly number[];
  /** Passed through to startWebHost (limits). */
  host?: Partial<Omit<WebHostOptions, 'services' | 'rendererDir' | 'token'>>;
}

export async function startTestHost(options: TestHostOptions = {}): Promise<TestHost> {
  const root = mkdtempSync(join(tmpdir(), 'procscope-web-'));
  try {
    const rendererDir = join(root, 'renderer');
    mkdirSync(join(rendererDir, 'assets'), { recursive: true });
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Procscope</title>');
    writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(root, 'secret.txt'), 'secret');
    const backend = createFakeBackend(options.backend ?? { processCount: 25 });
    const poller = options.createPoller ? options.createPoller(backend) : createTestPoller(backend);
    const services = createAppServices({ backend, poller, version: '0.0.1', ...(options.hostPids ? { hostPids: options.hostPids } : {}) });
    const host = await startWebHost({ port: 0, ...options.host, services, rendererDir, token: TEST_TOKEN });
    return {
      host,
      services,
      poller,
      rendererDir,
      async dispose() {
        try {
          await host.close();
          await services.dispose();
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
}

export interface RawResponse {
  /** 0 when the server closed without a status line. */
  status: number;
  head: string;
  headers: Record<string, string>;
  body: string;
}

function parseHead(text: string): Omit<RawResponse, 'body'> & { bodyStart: number } | null {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = text.slice(0, end);
  const [statusLine, ...lines] = head.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, head, headers, bodyStart: end + 4 };
}

/** Writes `request` as raw bytes and reads until the server closes or the response is complete. */
export function rawHttp(port: number, request: string | Buffer, timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const parsed = parseHead(text);
      if (!parsed) return resolve({ status: 0, head: text, headers: {}, body: '' });
      const { bodyStart, ...rest } = parsed;
      resolve({ ...rest, body: text.slice(bodyStart) });
    };
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(new Error(`no complete HTTP answer within ${timeoutMs} ms; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 200))}`));
    }, timeoutMs);
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      const parsed = parseHead(Buffer.concat(chunks).toString('latin1'));
      const length = parsed ? Number(parsed.headers['content-length'] ?? NaN) : NaN;
      // A 101 has no body: the head is the whole answer.
      if (parsed?.status === 101) finish();
      else if (parsed && Number.isFinite(length) && Buffer.concat(chunks).length >= parsed.bodyStart + length) finish();
    });
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', (err) => {
      // A reset after the answer arrived is still an answer; before it, the server dropped us.
      if (chunks.length > 0) finish();
      else if (!settled) {
        settled = true;
        clearTimeout(timer);
        reject(err);
      }
    });
    socket.write(request);
  });
}

/** A plain GET of `target` (written as-is) with a loopback Host header, optionally as a WebSocket upgrade. */
export function rawGet(port: number, target: string, upgrade = false): Promise<RawResponse> {
  const lines = [`GET ${target} HTTP/1.1`, `Host: 127.0.0.1:${port}`];
  if (upgrade) {
    lines.push(
      'Connection: Upgrade',
      'Upgrade: websocket',
      'Sec-WebSocket-Version: 13',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      `Origin: http://127.0.0.1:${port}`,
    );
  } else lines.push('Connection: close');
  return rawHttp(port, Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'));
}

export interface FrameSpec {
  fin?: boolean;
  /** RSV1-3 bits, 0..7. */
  rsv?: number;
  opcode: number;
  /** Default true: a client must mask. */
  masked?: boolean;
  payload: Buffer;
  /** Claim this length in the header instead of payload.length (frames that lie about their size). */
  declaredLength?: number;
}

/** One WebSocket frame as RFC 6455 section 5.2 lays it out. */
export function encodeFrame(spec: FrameSpec): Buffer {
  const masked = spec.masked ?? true;
  const length = spec.declaredLength ?? spec.payload.length;
  const first = ((spec.fin ?? true) ? 0x80 : 0) | (((spec.rsv ?? 0) & 7) << 4) | (spec.opcode & 0x0f);
  let header: Buffer;
  if (length < 126) header = Buffer.from([first, (masked ? 0x80 : 0) | length]);
  else if (length < 0x10000) {
    header = Buffer.alloc(4);
    header[0] = first;
    header[1] = (masked ? 0x80 : 0) | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = first;
    header[1] = (masked ? 0x80 : 0) | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  if (!masked) return Buffer.concat([header, spec.payload]);
  const mask = randomBytes(4);
  const body = Buffer.from(spec.payload);
  for (let i = 0; i < body.length; i++) body[i] = body[i]! ^ mask[i & 3]!;
  return Buffer.concat([header, mask, body]);
}

export interface RawWebSocket {
  socket: Socket;
  /** Bytes the server sent after the 101 answer. */
  received(): Buffer;
  /** Resolves when the server closed or reset the TCP connection. */
  closed: Promise<void>;
  isClosed(): boolean;
}

/** Completes an authenticated upgrade to /ws over a raw TCP socket; `paused` never reads after the 101. */
export function rawWebSocket(port: number, options: { paused?: boolean; token?: string } = {}): Promise<RawWebSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buffer = Buffer.alloc(0);
    let upgraded = false;
    let closed = false;
    const after: Buffer[] = [];
    const closedPromise = new Promise<void>((done) => socket.once('close', () => ((closed = true), done())));
    socket.on('error', (err) => {
      if (!upgraded) reject(err);
    });
    socket.on('data', (chunk) => {
      if (upgraded) {
        after.push(chunk);
        return;
      }
      buffer = Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffer.subarray(0, end).toString('latin1');
      if (!head.startsWith('HTTP/1.1 101')) {
        socket.destroy();
        return reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
      }
      upgraded = true;
      after.push(buffer.subarray(end + 4));
      if (options.paused) socket.pause();
      resolve({ socket, received: () => Buffer.concat(after), closed: closedPromise, isClosed: () => closed });
    });
    socket.write(
      [
        `GET /ws?token=${options.token ?? TEST_TOKEN} HTTP/1.1`,
        `Host: 127.0.0.1:${port}`,
        'Connection: Upgrade',
        'Upgrade: websocket',
        'Sec-WebSocket-Version: 13',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
        `Origin: http://127.0.0.1:${port}`,
        '',
        '',
      ].join('\r\n'),
    );
  });
}

/** The 200 page answer proves the server still listens and serves after an attack. */
export async function pageStatus(port: number): Promise<number> {
  return (await rawGet(port, `/?token=${TEST_TOKEN}`)).status;
}

export interface ServerFrame {
  opcode: number;
  payload: Buffer;
}

/** Splits what a server sent into frames (servers never mask); a cut last frame is left out. */
export function decodeServerFrames(bytes: Buffer): ServerFrame[] {
  const frames: ServerFrame[] = [];
  let at = 0;
  while (at + 2 <= bytes.length) {
    const opcode = bytes[at]! & 0x0f;
    let length = bytes[at + 1]! & 0x7f;
    let start = at + 2;
    if (length === 126) {
      if (start + 2 > bytes.length) break;
      length = bytes.readUInt16BE(start);
      start += 2;
    } else if (length === 127) {
      if (start + 8 > bytes.length) break;
      length = Number(bytes.readBigUInt64BE(start));
      start += 8;
    }
    if (start + length > bytes.length) break;
    frames.push({ opcode, payload: bytes.subarray(start, start + length) });
    at = start + length;
  }
  return frames;
}

/** A masked text frame carrying one request of the contract. */
export function requestFrame(id: number, channel: string, args: unknown = {}): Buffer {
  return encodeFrame({ opcode: 1, payload: Buffer.from(JSON.stringify({ type: 'request', id, channel, args })) });
}
