/*
 * Test tools for the capture channels over the browser host's real WebSocket: a host on given AppServices with a
 * throw-away renderer folder, and a client that sends requests and collects every push frame. Used by
 * web-host-capture*.test.ts only; it never runs in the app.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { AppServices } from '../app-services';
import { startWebHost, type WebHost } from './web-host';

const TOKEN = 'c'.repeat(48);

export interface PushFrame {
  channel: string;
  payload: unknown;
}

export interface CaptureClient {
  host: WebHost;
  pushes: PushFrame[];
  request<T>(channel: string, args: unknown): Promise<{ ok: boolean; value?: T; error?: { code: string; message: string } }>;
  /** Polls until `test` holds (every 10 ms), or throws naming `what` after timeoutMs. */
  until(what: string, test: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startCaptureClient(services: AppServices): Promise<CaptureClient> {
  const root = mkdtempSync(join(tmpdir(), 'procscope-web-capture-'));
  let host: WebHost | null = null;
  let ws: WebSocket | null = null;
  const close = async (): Promise<void> => {
    try {
      ws?.close();
      await host?.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
  try {
    const rendererDir = join(root, 'renderer');
    mkdirSync(rendererDir);
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Procscope</title>');
    host = await startWebHost({ services, rendererDir, port: 0, token: TOKEN });
    const socket = new WebSocket(`ws://127.0.0.1:${host.port}/ws?token=${TOKEN}`, { origin: `http://127.0.0.1:${host.port}` });
    ws = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const pushes: PushFrame[] = [];
    const waiting = new Map<number, (result: never) => void>();
    let nextId = 1;
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string; id?: number; channel?: string; payload?: unknown; result?: unknown };
      if (frame.type === 'push') pushes.push({ channel: frame.channel!, payload: frame.payload });
      if (frame.type === 'response') waiting.get(frame.id!)?.(frame.result as never);
    });
    const until = async (what: string, test: () => boolean, timeoutMs = 20_000): Promise<void> => {
      const t0 = Date.now();
      while (!test()) {
        if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    return {
      host,
      pushes,
      until,
      request: (channel, args) =>
        new Promise((resolve) => {
          const id = nextId++;
          waiting.set(id, resolve as (result: never) => void);
          socket.send(JSON.stringify({ type: 'request', id, channel, args }));
        }),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
