/*
 * The one parser of HTTP request targets in the browser host, used by the page/static path and the WebSocket
 * upgrade alike. It never throws: `new URL(target, base)` did, on '//%', '//[' or '//x:99999' (a '//' target is
 * read as a host name), and one such request from any page on the machine killed `procscope serve` (issue 11,
 * item 7). Only the origin form ('/path?query') is ours; anything else is answered 400 by the caller.
 */

export interface RequestTarget {
  /** The path as sent, before percent-decoding (compared exactly for the WebSocket path). */
  rawPath: string;
  /** The percent-decoded path. */
  path: string;
  query: URLSearchParams;
}

/** Far above any path of the build; Node's own header limit (16 KiB) caps it further. */
const MAX_TARGET_LENGTH = 8192;

/** The target split and decoded, or null for anything that is not a well-formed origin-form target. */
export function parseRequestTarget(target: unknown): RequestTarget | null {
  if (typeof target !== 'string' || target.length === 0 || target.length > MAX_TARGET_LENGTH) return null;
  // '//…' is a network-path reference: URL parsers (ours included, once) read a host name out of it.
  if (target[0] !== '/' || target[1] === '/') return null;
  // A fragment is never sent by a browser; cut it as URL would, so '/ws#x' is not a different resource.
  const hash = target.indexOf('#');
  const withoutHash = hash < 0 ? target : target.slice(0, hash);
  const mark = withoutHash.indexOf('?');
  const rawPath = mark < 0 ? withoutHash : withoutHash.slice(0, mark);
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return null;
  }
  // A NUL would reach fs calls that reject it with an exception rather than an answer.
  if (path.includes('\0')) return null;
  return { rawPath, path, query: new URLSearchParams(mark < 0 ? '' : withoutHash.slice(mark + 1)) };
}
