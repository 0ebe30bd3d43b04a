/*
 * Electron's security checklist (electronjs.org/docs/latest/tutorial/security, items 1-20 in its own numbering),
 * one test per item, each asserting on the code that makes it hold: the window options, hardenWebContents and the
 * sender check with fakes, the preload with a faked electron, and the sources or config where an item is a
 * property of the build. Deeper tests of an item live beside its code and are named in the test title.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { HELPER_SAFETY_FUSES } from './__fixtures__/helper-fuses';
import { APP_INDEX_URL, APP_SCHEME_PRIVILEGES, resolveAppRequest } from './app-protocol';
import { createSenderCheck, type SenderEvent } from './trusted-sender';
import { mainWindowOptions } from './window-options';
import { createAppUrlCheck, hardenWebContents, isAllowedExternalUrl, type HardenableContents } from './window-security';

const ROOT = join(__dirname, '..', '..', '..');
const source = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const prefs = mainWindowOptions('/app/out/preload/index.cjs', {}).webPreferences!;
const mainSource = source('src-main/host/electron/main.ts');
const isAppUrl = createAppUrlCheck(APP_INDEX_URL);

const exposed = vi.hoisted(() => new Map<string, unknown>());
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (name: string, api: unknown) => exposed.set(name, api) },
  ipcRenderer: { invoke: () => Promise.resolve('sent'), on: () => {}, removeListener: () => {} },
}));

/** hardenWebContents on a fake webContents, with what it registered. */
function hardened() {
  const listeners = new Map<string, (event: { preventDefault(): void }, url?: string) => void>();
  const registered: { open?: (d: { url: string }) => { action: string }; permission?: (c: unknown, p: string, cb: (ok: boolean) => void) => void; check?: () => boolean } = {};
  const contents = {
    on: (name: string, fn: never) => listeners.set(name, fn),
    setWindowOpenHandler: (fn: never) => (registered.open = fn),
    session: { setPermissionRequestHandler: (fn: never) => (registered.permission = fn), setPermissionCheckHandler: (fn: never) => (registered.check = fn) },
  } as unknown as HardenableContents;
  const opened: string[] = [];
  hardenWebContents(contents, { isAppUrl, openExternal: (u) => opened.push(u) });
  const prevented = (name: string, url = '') => {
    let stopped = false;
    listeners.get(name)!({ preventDefault: () => (stopped = true) }, url);
    return stopped;
  };
  return { registered, opened, prevented };
}

describe("Electron's security checklist", () => {
  it('1. Only load secure content: the only page is app://procscope, a secure scheme; nothing loads over http', () => {
    expect(new URL(APP_INDEX_URL).protocol).toBe('app:');
    expect(APP_SCHEME_PRIVILEGES.privileges).toMatchObject({ secure: true });
    expect(mainSource).not.toMatch(/load(URL|File)\(\s*['"`]https?:/);
  });

  it('2. Do not enable Node.js integration for remote content: no Node in the page, its workers or subframes', () => {
    expect(prefs).toMatchObject({ nodeIntegration: false, nodeIntegrationInWorker: false, nodeIntegrationInSubFrames: false });
  });

  it('3. Enable context isolation', () => {
    expect(prefs.contextIsolation).toBe(true);
  });

  it('4. Enable process sandboxing: per window and for every renderer (app.enableSandbox)', () => {
    expect(prefs.sandbox).toBe(true);
    expect(mainSource).toMatch(/app\.enableSandbox\(\)/);
  });

  it('5. Handle session permission requests from remote content: every request and check is denied', () => {
    const { registered } = hardened();
    for (const permission of ['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read']) {
      let granted: boolean | null = null;
      registered.permission!(null, permission, (ok) => (granted = ok));
      expect(granted, permission).toBe(false);
    }
    expect(registered.check!()).toBe(false);
  });

  it('6. Do not disable webSecurity', () => {
    expect(prefs.webSecurity).toBe(true);
  });

  it("7. Define a Content Security Policy: default-src 'none', scripts only from the app, no inline or eval", () => {
    const csp = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(source('src-renderer/index.html'))?.[1] ?? '';
    expect(csp).toMatch(/(^|; )default-src 'none'(;|$)/);
    expect(csp).toMatch(/(^|; )script-src 'self'(;|$)/);
    expect(csp).toMatch(/base-uri 'none'/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*|https?:/);
  });

  it('8. Do not enable allowRunningInsecureContent', () => {
    expect(prefs.allowRunningInsecureContent).toBe(false);
  });

  it('9. Do not enable experimental features', () => {
    expect(prefs.experimentalFeatures).toBe(false);
  });

  it('10. Do not use enableBlinkFeatures', () => {
    expect(prefs).not.toHaveProperty('enableBlinkFeatures');
    expect(source('src-main/host/electron/window-options.ts')).not.toMatch(/enableBlinkFeatures/);
  });

  it('11. <webview>: Do not use allowpopups — no webview tag at all, and the renderer has none', () => {
    expect(prefs.webviewTag).toBe(false);
    expect(hardened().prevented('will-attach-webview')).toBe(true);
  });

  it('12. <webview>: Verify options and params — every attach is refused, whatever its options', () => {
    const { prevented } = hardened();
    expect(prevented('will-attach-webview', 'https://evil.example/')).toBe(true);
  });

  it('13. Disable or limit navigation: only the app page itself (more in electron-host.test.ts)', () => {
    const { prevented } = hardened();
    expect(prevented('will-navigate', 'https://evil.example/')).toBe(true);
    expect(prevented('will-redirect', 'file:///etc/passwd')).toBe(true);
    expect(prevented('will-navigate', `${APP_INDEX_URL}#x`)).toBe(false);
  });

  it('14. Disable or limit the creation of new windows: window.open is always denied', () => {
    const { registered } = hardened();
    for (const url of [APP_INDEX_URL, 'https://example.com/', 'about:blank']) expect(registered.open!({ url })).toEqual({ action: 'deny' });
  });

  it('15. Do not use shell.openExternal with untrusted content: only https to listed hosts (none listed)', () => {
    const { registered, opened } = hardened();
    for (const url of ['https://example.com/', 'file:///bin/sh', 'smb://attacker/share/x.desktop', 'ms-msdt:/id']) registered.open!({ url });
    expect(opened).toEqual([]);
    expect(isAllowedExternalUrl('https://example.com/')).toBe(false);
    expect(mainSource.match(/shell\.openExternal\(/g)).toHaveLength(1);
  });

  it('16. Use a current version of Electron: 45 or later', () => {
    const require = createRequire(__filename);
    const major = Number((require('electron/package.json') as { version: string }).version.split('.')[0]);
    expect(major).toBeGreaterThanOrEqual(45);
  });

  it('17. Validate the sender of all IPC messages (more in electron-host.test.ts)', () => {
    const check = createSenderCheck({ trustedWebContentsIds: () => new Set([7]), isAppUrl });
    const event = (id: number, url: string, parent: unknown = null) => ({ sender: { id }, senderFrame: { url, parent } }) as unknown as SenderEvent;
    expect(check(event(7, APP_INDEX_URL))).toBe(true);
    expect(check(event(8, APP_INDEX_URL))).toBe(false);
    expect(check(event(7, 'https://evil.example/'))).toBe(false);
    expect(check(event(7, APP_INDEX_URL, {}))).toBe(false);
  });

  it('18. Avoid usage of the file:// protocol: the window loads app://, never loadFile (more in app-protocol.test.ts)', () => {
    expect(mainSource).toMatch(/win\.loadURL\(APP_INDEX_URL\)/);
    expect(mainSource).not.toMatch(/loadFile\(|file:\/\//);
    expect(resolveAppRequest('app://procscope/..%2f..%2fmain%2findex.js', '/app/out/renderer')).toBeNull();
    expect(isAppUrl('file:///app/out/renderer/index.html')).toBe(false);
  });

  it('19. Check which fuses you can change: set in electron-builder.yml (more in electron-builder-config.test.ts)', () => {
    const yaml = createRequire(__filename)('js-yaml') as { load(text: string): { electronFuses: Record<string, boolean> } };
    expect(yaml.load(source('electron-builder.yml')).electronFuses).toMatchObject(HELPER_SAFETY_FUSES);
  });

  it('20. Do not expose Electron APIs to untrusted web content: the preload exposes invoke and on, nothing else', async () => {
    await import('./preload');
    expect([...exposed.keys()]).toEqual(['procscope']);
    const bridge = exposed.get('procscope') as Record<string, (...a: unknown[]) => unknown>;
    expect(Object.keys(bridge).sort()).toEqual(['invoke', 'on']);
    expect(await bridge.invoke!('procscope:no-such-channel', {})).toMatchObject({ ok: false, error: { code: 'unknown-channel' } });
    expect(() => bridge.on!('ipc-internal', () => {})).toThrow(/no push channel/);
    // A page's object whose toString is not a function: refused with the typed error, not a TypeError of our own.
    expect(await bridge.invoke!({ toString: 1 }, {})).toMatchObject({ ok: false, error: { code: 'unknown-channel', message: /given as object/ } });
    expect(() => bridge.on!({ toString: 1 }, () => {})).toThrow(/no push channel given as object/);
  });
});
