/*
 * Every answer the browser host writes outside a WebSocket: the headers all of them carry (no sniffing, no caching,
 * the CSP, no referrer), plain-text refusals over an HTTP response, and the same refusal written raw on a socket
 * (the upgrade path and the parser's clientError have no ServerResponse). Runs in the `procscope serve` process.
 */
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WEB_CSP } from './web-security';

/** On every answer, errors included: a refusal must not be sniffed into HTML nor kept by a cache. */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': WEB_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** A plain-text refusal; drops any header set for an answer that could not be completed. */
export function refuse(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  const body = `Procscope: ${message}\n`;
  res.writeHead(status, {
    ...COMMON_HEADERS,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** The same refusal written on a raw socket, which is then closed. */
export function refuseRaw(socket: Duplex, status: number, message: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `Procscope: ${message}\n`;
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    ...Object.entries(COMMON_HEADERS).map(([name, value]) => `${name}: ${value}`),
    'content-type: text/plain; charset=utf-8',
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}
