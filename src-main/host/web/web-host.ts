/*
 * The browser host behind `procscope serve`: serves the built renderer and the IPC contract over a WebSocket, on
 * 127.0.0.1 only, guarded by a random token in the URL (like Jupyter), a loopback Host and a same-origin Origin.
 * Runs in plain Node; never listens on another interface and never serves a file outside the renderer folder.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { WEB_SOCKET_PATH, WEB_TOKEN_PARAM, type WebServerFrame } from '../../../src-shared/ipc/web-protocol';
import type { AppServices, HostSender } from '../app-services';
import { createRequestHandlers, dispatchRequest } from '../request-handlers';
import { createToken, isAllowedOrigin, isLoopbackHost, tokenMatches, WEB_CSP } from './web-security';

export interface WebHostOptions {
  services: AppServices;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  /** 0 = any free port. */
  port: number;
  /** For tests; otherwise random. */
  token?: string;
}

export interface WebHost {
  readonly url: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};
const MAX_FRAME_BYTES = 64 * 1024;

export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const rendererDir = resolve(options.rendererDir);
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new Error(`The renderer is not built (${join(rendererDir, 'index.html')} is missing): run \`npx electron-vite build\`.`);
  }
  const token = options.token ?? createToken();
  const handlers = createRequestHandlers(options.services);
  let nextSenderId = 1;

  const server = createServer((req, res) => serveHttp(req, res));
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });

  function refuse(res: ServerResponse, status: number, message: string): void {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-security-policy': WEB_CSP });
    res.end(`Procscope: ${message}\n`);
  }

  function serveHttp(req: IncomingMessage, res: ServerResponse): void {
    if (!isLoopbackHost(req.headers.host)) return refuse(res, 421, 'this host name is not allowed.');
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'method not allowed.');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      return refuse(res, 400, 'malformed path.');
    }
    if (path === '/' || path === '/index.html') {
      // The page is the one thing that needs the token: the scripts and styles are the public build.
      if (!tokenMatches(token, url.searchParams.get(WEB_TOKEN_PARAM))) {
        return refuse(res, 401, 'missing or wrong token. Open the exact URL that `procscope serve` printed.');
      }
      path = '/index.html';
    }
    const file = normalize(join(rendererDir, path));
    if (!file.startsWith(rendererDir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      return refuse(res, 404, 'not found.');
    }
    res.writeHead(200, {
      'content-type': MIME[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': WEB_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
  }

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const reject = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== WEB_SOCKET_PATH) return reject('404 Not Found');
    if (!isAllowedOrigin(req.headers.origin, req.headers.host)) return reject('403 Forbidden');
    if (!tokenMatches(token, url.searchParams.get(WEB_TOKEN_PARAM))) return reject('401 Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws));
  });

  function onConnection(ws: WebSocket): void {
    const send = (frame: WebServerFrame) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
    };
    const sender: HostSender = {
      id: `web-${nextSenderId++}`,
      push: (channel, payload) => send({ type: 'push', channel, payload }),
    };
    ws.on('message', async (data, isBinary) => {
      let frame: unknown;
      try {
        frame = isBinary ? undefined : JSON.parse(String(data));
      } catch {
        frame = undefined;
      }
      const f = frame as { type?: unknown; id?: unknown; channel?: unknown; args?: unknown } | undefined;
      if (!f || f.type !== 'request' || typeof f.id !== 'number' || !Number.isSafeInteger(f.id)) {
        ws.close(1008, 'Malformed frame: expected {type:"request", id, channel, args}.');
        return;
      }
      send({ type: 'response', id: f.id, result: await dispatchRequest(handlers, f.channel, f.args, { sender }) });
    });
    ws.on('close', () => options.services.releaseSender(sender.id));
  }

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(options.port, '127.0.0.1', () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/?${WEB_TOKEN_PARAM}=${token}`,
    close: () =>
      new Promise<void>((done) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
