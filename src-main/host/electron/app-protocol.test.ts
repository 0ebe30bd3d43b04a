/*
 * The app:// protocol handler with a fake protocol and a real folder: the renderer's own files are served, every
 * way out of the folder (.., encoded dots and slashes, backslashes, NUL, another host or scheme) gets 404.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_INDEX_URL, APP_SCHEME_PRIVILEGES, handleAppProtocol, resolveAppRequest, type ProtocolLike } from './app-protocol';

let dir: string;
let root: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'procscope-app-protocol-'));
  root = join(dir, 'renderer');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>Procscope</title>');
  writeFileSync(join(root, 'assets', 'index.js'), 'console.log(1)');
  writeFileSync(join(dir, 'secret.txt'), 'outside the renderer');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** net.fetch's stand-in: reads the file:// URL it is given, as Electron's does. */
const fetchFile = async (url: string) => new Response(await readFile(fileURLToPath(url)), { status: 200 });

function serve() {
  let handler: ((request: Request) => Promise<Response>) | null = null;
  const protocol = { handle: (scheme: string, fn: never) => {
    expect(scheme).toBe('app');
    handler = fn;
  } } as unknown as ProtocolLike;
  handleAppProtocol(protocol, root, fetchFile);
  return async (url: string) => {
    const response = await handler!({ url } as Request);
    return { status: response.status, body: await response.text() };
  };
}

describe('app:// protocol', () => {
  it('is registered standard and secure, and the app page is app://procscope/index.html', () => {
    expect(APP_SCHEME_PRIVILEGES).toEqual({ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } });
    expect(APP_INDEX_URL).toBe('app://procscope/index.html');
  });

  it("serves the renderer's files", async () => {
    const get = serve();
    expect(await get(APP_INDEX_URL)).toEqual({ status: 200, body: '<!doctype html><title>Procscope</title>' });
    expect(await get('app://procscope/')).toMatchObject({ status: 200 });
    expect(await get('app://procscope/assets/index.js?v=1#x')).toEqual({ status: 200, body: 'console.log(1)' });
  });

  it('refuses every way out of out/renderer, and a file that is not there, with 404', async () => {
    const get = serve();
    for (const url of [
      'app://procscope/../secret.txt', 'app://procscope/%2e%2e/secret.txt', 'app://procscope/assets/..%2f..%2fsecret.txt',
      'app://procscope/%2e%2e%2fsecret.txt', 'app://procscope/..%5csecret.txt', 'app://procscope/index.html%00.js',
      'app://procscope/%zz', 'app://other/index.html', 'app://u:p@procscope/index.html', 'file:///etc/passwd',
      'app://procscope/missing.js', 'app://procscope//etc/passwd', 'app://procscope/assets/',
    ]) {
      expect(await get(url), url).toEqual({ status: 404, body: 'Not found' });
    }
  });

  it('resolves only inside the root (pure rule)', () => {
    expect(resolveAppRequest('app://procscope/assets/index.js', '/r')).toBe('/r/assets/index.js');
    // The URL parser folds %2e%2e like '..' and never above the root: this names /r/x, not /x.
    expect(resolveAppRequest('app://procscope/a/%2e%2e/%2e%2e/x', '/r')).toBe('/r/x');
    expect(resolveAppRequest('app://procscope/a/..%2f..%2fx', '/r')).toBeNull();
    expect(resolveAppRequest('not a url', '/r')).toBeNull();
  });
});
