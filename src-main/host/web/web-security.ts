/*
 * The browser host's gatekeeping, kept pure so it can be tested without sockets: the token comparison (constant
 * time), the Host check against DNS rebinding (only loopback names), and the same-origin Origin check against
 * cross-site WebSocket hijacking. Runs in the `procscope serve` process.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export function createToken(): string {
  return randomBytes(24).toString('hex');
}

export function tokenMatches(expected: string, given: string | null | undefined): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?$/i;

/** A Host header naming anything but loopback means a rebinding DNS name pointed at us: refuse. */
export function isLoopbackHost(host: string | undefined): boolean {
  return typeof host === 'string' && LOOPBACK_HOST.test(host);
}

/**
 * The page and the socket must come from the same origin. Through an SSH tunnel the browser's port differs from
 * ours, so the Origin is compared with the Host the browser sent, which must itself be loopback.
 */
export function isAllowedOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (!origin || !isLoopbackHost(host)) return false;
  return origin.toLowerCase() === `http://${host!.toLowerCase()}`;
}

export const WEB_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
