/*
 * Serves the renderer from app://procscope/ instead of file:// (Electron security checklist item 18): a standard,
 * secure scheme whose origin is the app alone, answered by protocol.handle with files under out/renderer and
 * nothing else. With it the grantFileProtocolExtraPrivileges fuse can be off. Runs in the Electron main process;
 * a request that leaves the renderer folder (.., encoded slashes, another host) gets 404, never a file.
 */
import { isAbsolute, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CustomScheme, Protocol } from 'electron';

export const APP_SCHEME = 'app';
export const APP_HOST = 'procscope';
export const APP_INDEX_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** Privileges for registerSchemesAsPrivileged, which must run before the app is ready. */
export const APP_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: APP_SCHEME,
  // standard: relative URLs and an origin of its own; secure: treated like https (CSP 'self', no mixed content).
  privileges: { standard: true, secure: true, supportFetchAPI: true },
};

/** The file under rendererRoot that `url` names, or null for anything that is not plainly one of its files. */
export function resolveAppRequest(url: string, rendererRoot: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host.toLowerCase() !== APP_HOST || parsed.username || parsed.password) return null;
  let path: string;
  try {
    path = decodeURIComponent(parsed.pathname);
  } catch {
    return null;
  }
  // The URL parser already folded plain '..'; what survives decoding (%2e%2e, %2f, backslashes, NUL) is refused.
  if (path.includes('\0') || path.includes('\\') || path.split('/').some((part) => part === '..' || part === '.')) return null;
  const file = join(rendererRoot, path === '/' ? 'index.html' : path);
  const inside = relative(rendererRoot, file);
  if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) return null;
  return file;
}

export type ProtocolLike = Pick<Protocol, 'handle'>;
export type FetchFile = (fileUrl: string) => Promise<Response>;

/** Answers app:// from rendererRoot; fetchFile is Electron's net.fetch, which reads file:// (and asar) URLs. */
export function handleAppProtocol(protocol: ProtocolLike, rendererRoot: string, fetchFile: FetchFile): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const file = resolveAppRequest(request.url, rendererRoot);
    if (!file) return notFound();
    try {
      const response = await fetchFile(pathToFileURL(file).href);
      return response.ok ? response : notFound();
    } catch {
      return notFound();
    }
  });
}

function notFound(): Response {
  return new Response('Not found', { status: 404, headers: { 'content-type': 'text/plain', 'x-content-type-options': 'nosniff' } });
}
