/*
 * The browser host over real sockets on 127.0.0.1: the token, the Host and Origin checks, static files confined
 * to the renderer folder, and the contract over the WebSocket (request/response and pushes).
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createFakeBackend } from '../../platform/fake/fake-backend';
import { createAppServices } from '../app-services';
import { createTestPoller } from '../test-poller';
import { startWebHost, type WebHost } from './web-host';
import { isAllowedOrigin, isLoopbackHost, tokenMatches } from './web-security';

let host: WebHost;
let root: string;
const TOKEN = 'a'.repeat(48);

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'procscope-web-'));
  const dir = join(root, 'renderer');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Procscope</title>');
  writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, '..', 'secret.txt'), 'secret');
  const backend = createFakeBackend({ processCount: 25 });
  const services = createAppServices({ backend, poller: createTestPoller(backend), version: '0.0.1' });
  host = await startWebHost({ services, rendererDir: dir, port: 0, token: TOKEN });
});
afterEach(async () => {
  try {
    await host.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; csp: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: host.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, csp: res.headers['content-security-policy'] as string | undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

function connect(token: string, origin = `http://127.0.0.1:${host.port}`): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ws?token=${token}`, { origin });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

describe('browser host', () => {
  it('prints a 127.0.0.1 URL with the token and serves the page only with it', async () => {
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/?token=${TOKEN}`);
    expect((await get(`/?token=${TOKEN}`)).status).toBe(200);
    expect((await get(`/?token=${TOKEN}`)).csp).toContain("script-src 'self'");
    expect((await get('/')).status).toBe(401);
    expect((await get('/?token=wrong')).body).toContain('missing or wrong token');
    expect((await get('/assets/app.js')).status).toBe(200);
    expect((await get('/../secret.txt')).status).toBe(404);
    expect((await get('/%2e%2e/secret.txt')).status).toBe(404);
    expect((await get('/..%2fsecret.txt')).status).toBe(404);
    expect((await get('/%E0%A4%A')).status).toBe(400);
    expect((await get(`/?token=${TOKEN}`, { host: 'evil.example:80' })).status).toBe(421);
  });

  it('refuses a WebSocket with a missing or wrong token, or from another origin', async () => {
    await expect(connect('')).rejects.toThrow('HTTP 401');
    await expect(connect('b'.repeat(48))).rejects.toThrow('HTTP 401');
    await expect(connect(TOKEN, 'http://evil.example')).rejects.toThrow('HTTP 403');
    await expect(connect(TOKEN, `http://127.0.0.1:${host.port + 1}`)).rejects.toThrow('HTTP 403');
  });

  it('carries requests, typed errors and the process stream', async () => {
    const ws = await connect(TOKEN);
    const frames: { type: string; id?: number; channel?: string; result?: unknown; payload?: unknown }[] = [];
    ws.on('message', (d) => frames.push(JSON.parse(String(d))));
    const wait = (pred: () => boolean) => new Promise<void>((r) => { const t = setInterval(() => pred() && (clearInterval(t), r()), 5); });
    ws.send(JSON.stringify({ type: 'request', id: 1, channel: 'procscope:get-snapshot', args: {} }));
    ws.send(JSON.stringify({ type: 'request', id: 2, channel: 'procscope:subscribe-processes', args: {} }));
    ws.send(JSON.stringify({ type: 'request', id: 3, channel: 'procscope:set-refresh-interval', args: { intervalMs: 3 } }));
    await wait(() => frames.filter((f) => f.type === 'response').length === 3 && frames.some((f) => f.type === 'push'));
    const byId = (id: number) => frames.find((f) => f.id === id)!.result as { ok: boolean; value?: { rows: unknown[] }; error?: { code: string } };
    expect(byId(1).value!.rows).toHaveLength(25);
    expect(byId(2).ok).toBe(true);
    expect(byId(3).error!.code).toBe('invalid-argument');
    expect(frames.find((f) => f.type === 'push')!.channel).toBe('procscope:process-stream');
    ws.close();
  });

  it('closes the socket on a malformed frame', async () => {
    const ws = await connect(TOKEN);
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send('not json');
    expect(await closed).toBe(1008);
  });

  it('checks tokens in constant time, Host names and same-origin Origins', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abc', 'abd')).toBe(false);
    expect(tokenMatches('abc', null)).toBe(false);
    expect(isLoopbackHost('localhost:8080')).toBe(true);
    expect(isLoopbackHost('127.0.0.1.evil.example')).toBe(false);
    expect(isAllowedOrigin('http://localhost:8080', 'localhost:8080')).toBe(true);
    expect(isAllowedOrigin('http://localhost:8081', 'localhost:8080')).toBe(false);
    expect(isAllowedOrigin(undefined, 'localhost:8080')).toBe(false);
  });
});
