/*
 * The browser host behind `procscope serve`: serves the built renderer and the IPC contract over a WebSocket, on
 * 127.0.0.1 only, guarded by a random token in the URL (like Jupyter), a loopback Host and a same-origin Origin.
 * Runs in plain Node; never listens on another interface and never serves a file outside the renderer folder.
 * No request and no client may end it: every target gets an answer (web-request-target), every socket and the
 * server itself have an error listener, and slow clients are held back (web-socket-client).
 */
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { WebSocketServer } from 'ws';
import { WEB_SOCKET_PATH, WEB_TOKEN_PARAM } from '../../../src-shared/ipc/web-protocol';
import type { AppServices } from '../app-services';
import { createRequestHandlers } from '../request-handlers';
import { parseRequestTarget } from './web-request-target';
import { refuse, refuseRaw } from './web-responses';
import { createToken, isAllowedOrigin, isLoopbackHost, tokenMatches } from './web-security';
import { attachWebSocketClient, DEFAULT_WEB_SOCKET_LIMITS, type WebSocketLimits } from './web-socket-client';
import { serveStaticFile } from './web-static';

export interface WebHostOptions {
  services: AppServices;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  /** 0 = any free port. */
  port: number;
  /** For tests; otherwise random. */
  token?: string;
  /** For tests; otherwise DEFAULT_WEB_SOCKET_LIMITS. */
  limits?: Partial<WebSocketLimits>;
}

export interface WebHost {
  readonly url: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

const MAX_FRAME_BYTES = 64 * 1024;
const TOKEN_REFUSAL = 'missing or wrong token. Open the exact URL that `procscope serve` printed.';

export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const rendererDir = resolve(options.rendererDir);
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new Error(`The renderer is not built (${join(rendererDir, 'index.html')} is missing): run \`npx electron-vite build\`.`);
  }
  const token = options.token ?? createToken();
  const handlers = createRequestHandlers(options.services);
  const limits: WebSocketLimits = { ...DEFAULT_WEB_SOCKET_LIMITS, ...options.limits };
  let nextSenderId = 1;

  const server = createServer((req, res) => serveHttp(req, res));
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });

  function serveHttp(req: IncomingMessage, res: ServerResponse): void {
    if (!isLoopbackHost(req.headers.host)) return refuse(res, 421, 'this host name is not allowed.');
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'method not allowed.');
    const target = parseRequestTarget(req.url);
    if (!target) return refuse(res, 400, 'malformed request target.');
    let path = target.path;
    if (path === '/' || path === '/index.html') {
      // The page is the one thing that needs the token: the scripts and styles are the public build.
      if (!tokenMatches(token, target.query.get(WEB_TOKEN_PARAM))) return refuse(res, 401, TOKEN_REFUSAL);
      path = '/index.html';
    }
    serveStaticFile(req, res, rendererDir, path);
  }

  server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
    // Node hands over the socket without its own error listener: a reset here would otherwise throw.
    socket.on('error', () => socket.destroy());
    const target = parseRequestTarget(req.url);
    if (!target) return refuseRaw(socket, 400, 'malformed request target.');
    if (target.rawPath !== WEB_SOCKET_PATH) return refuseRaw(socket, 404, 'not found.');
    if (!isAllowedOrigin(req.headers.origin, req.headers.host)) return refuseRaw(socket, 403, 'this origin is not allowed.');
    if (!tokenMatches(token, target.query.get(WEB_TOKEN_PARAM))) return refuseRaw(socket, 401, TOKEN_REFUSAL);
    wss.handleUpgrade(req, socket, head, (ws) =>
      attachWebSocketClient({ ws, socket, senderId: `web-${nextSenderId++}`, services: options.services, handlers, limits }),
    );
  });
  // A request Node's parser rejects (bad method, header overflow): the same headers as our own refusals.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    refuseRaw(socket, err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400, 'malformed request.');
  });
  wss.on('error', () => {});

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
  server.on('error', (err) => console.error(`procscope serve: ${err.message}`));
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
