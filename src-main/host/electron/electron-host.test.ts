/*
 * The Electron host's pieces against a small fake of the electron API: window security settings, one ipcMain
 * handler per channel, the sender check, navigation/window.open denial, the menu and the remembered bounds.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REQUEST_CHANNELS } from '../../../src-shared/ipc/contract';
import { createFakeBackend } from '../../platform/fake/fake-backend';
import { createAppServices } from '../app-services';
import { createTestPoller } from '../test-poller';
import { buildMenuTemplate } from './app-menu';
import { registerIpcHandlers, type IpcMainLike } from './ipc-bridge';
import { createSenderCheck, type SenderEvent } from './trusted-sender';
import { mainWindowOptions } from './window-options';
import { createAppUrlCheck, createExternalUrlCheck, hardenWebContents, isAllowedExternalUrl, type HardenableContents } from './window-security';
import { loadWindowStateSync, saveWindowStateSync } from './window-state';

const APP_URL = 'app://procscope/index.html';
type Handler = (event: SenderEvent, args: unknown) => Promise<unknown>;

function fakeIpcMain() {
  const handlers = new Map<string, Handler>();
  const ipcMain = {
    handle(channel: string, handler: Handler) {
      // Electron throws on a second handler for one channel; so does the fake.
      if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
      handlers.set(channel, handler);
    },
    removeHandler(channel: string) {
      handlers.delete(channel);
    },
  };
  return { ipcMain: ipcMain as unknown as IpcMainLike, handlers };
}

function fakeEvent(contentsId: number, url = APP_URL, parent: unknown = null) {
  const sent: { channel: string; payload: unknown }[] = [];
  const event = {
    sender: { id: contentsId, send: (channel: string, payload: unknown) => sent.push({ channel, payload }), isDestroyed: () => false },
    senderFrame: { url, parent },
  };
  return { event: event as unknown as SenderEvent, sent };
}

function setup() {
  const backend = createFakeBackend({ processCount: 10 });
  const services = createAppServices({ backend, poller: createTestPoller(backend), version: '1.0.0' });
  const { ipcMain, handlers } = fakeIpcMain();
  const isTrusted = createSenderCheck({ trustedWebContentsIds: () => new Set([7]), isAppUrl: createAppUrlCheck(APP_URL) });
  const dispose = registerIpcHandlers(ipcMain, services, isTrusted);
  return { services, handlers, dispose };
}

describe('Electron window security', () => {
  it('isolates the page: context isolation, sandbox, no Node, no webview, our preload', () => {
    const options = mainWindowOptions('/app/out/preload/index.cjs', { x: 10, y: 20, width: 900, height: 700 });
    expect(options.webPreferences).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(options).toMatchObject({ x: 10, y: 20, width: 900, height: 700, show: false });
  });

  it('denies window.open (sending allow-listed https links to the OS browser), foreign navigation, webviews and permissions', () => {
    const listeners = new Map<string, (event: { preventDefault(): void }, url?: string) => void>();
    let openHandler: ((d: { url: string }) => { action: string }) | null = null;
    let permission: ((c: unknown, p: string, cb: (ok: boolean) => void) => void) | null = null;
    let permissionCheck: (() => boolean) | null = null;
    const contents = {
      on: (name: string, fn: never) => listeners.set(name, fn),
      setWindowOpenHandler: (fn: never) => (openHandler = fn),
      session: { setPermissionRequestHandler: (fn: never) => (permission = fn), setPermissionCheckHandler: (fn: never) => (permissionCheck = fn) },
    } as unknown as HardenableContents;
    const opened: string[] = [];
    hardenWebContents(contents, {
      isAppUrl: createAppUrlCheck(APP_URL),
      openExternal: (u) => opened.push(u),
      isExternalUrlAllowed: createExternalUrlCheck(['example.com']),
    });

    for (const url of ['https://example.com/', 'https://example.com/a?b', 'file:///etc/passwd', 'http://example.com/', 'https://evil.example/', 'smb://host/share', 'https://example.com:8443/', 'https://u:p@example.com/', 'ms-settings:', 'not a url']) {
      expect(openHandler!({ url })).toEqual({ action: 'deny' });
    }
    expect(opened).toEqual(['https://example.com/', 'https://example.com/a?b']);

    const navigate = (name: string, url: string) => {
      let prevented = false;
      listeners.get(name)!({ preventDefault: () => (prevented = true) }, url);
      return prevented;
    };
    expect(navigate('will-navigate', 'https://evil.example/')).toBe(true);
    expect(navigate('will-navigate', 'file:///opt/procscope/out/renderer/index.html')).toBe(true);
    expect(navigate('will-navigate', 'app://procscope/other.html')).toBe(true);
    expect(navigate('will-navigate', 'app://other/index.html')).toBe(true);
    expect(navigate('will-redirect', 'http://127.0.0.1:1/')).toBe(true);
    expect(navigate('will-navigate', `${APP_URL}?reload=1`)).toBe(false);
    expect(navigate('will-attach-webview', '')).toBe(true);
    let granted: boolean | null = null;
    permission!(null, 'media', (ok) => (granted = ok));
    expect(granted).toBe(false);
    expect(permissionCheck!()).toBe(false);
  });
});

describe('Electron external links', () => {
  it('opens nothing by default: the allow-list of hosts is empty until a link needs one', () => {
    for (const url of ['https://example.com/', 'https://github.com/', 'mailto:a@b', 'file:///etc/passwd']) expect(isAllowedExternalUrl(url)).toBe(false);
  });
});

describe('Electron IPC registration and sender check', () => {
  it('registers exactly one handler per request channel, and removes them', () => {
    const { handlers, dispose } = setup();
    expect([...handlers.keys()].sort()).toEqual([...REQUEST_CHANNELS].sort());
    dispose();
    expect(handlers.size).toBe(0);
  });

  it('answers the trusted window and validates its arguments', async () => {
    const { handlers } = setup();
    const { event, sent } = fakeEvent(7);
    expect(await handlers.get('procscope:get-app-info')!(event, {})).toMatchObject({ ok: true, value: { name: 'Procscope', backendPlatform: 'fake' } });
    expect(await handlers.get('procscope:set-refresh-interval')!(event, { intervalMs: 3 })).toMatchObject({
      ok: false,
      error: { code: 'invalid-argument' },
    });
    await handlers.get('procscope:subscribe-processes')!(event, {});
    await handlers.get('procscope:refresh-now')!(event, {});
    expect(sent.map((s) => s.channel)).toContain('procscope:process-stream');
  });

  it('refuses another webContents, a subframe and a page that is not ours', async () => {
    const { handlers } = setup();
    for (const { event } of [fakeEvent(8), fakeEvent(7, APP_URL, { url: APP_URL }), fakeEvent(7, 'https://evil.example/'), fakeEvent(7, 'file:///tmp/x.html'), fakeEvent(7, 'app://procscope/evil.html')]) {
      for (const channel of REQUEST_CHANNELS) {
        expect(await handlers.get(channel)!(event, {})).toMatchObject({ ok: false, error: { code: 'untrusted-sender' } });
      }
    }
  });
});

describe('Electron menu and window state', () => {
  it('has File, View (update speed, pause) and Help/About, with marks from the poller state', () => {
    const calls: string[] = [];
    const template = buildMenuTemplate(
      { intervalMs: 0, lastRunningIntervalMs: 2000, includeHandleCount: false },
      {
        setRefreshInterval: (ms) => calls.push(`interval ${ms}`),
        togglePause: () => calls.push('pause'),
        refreshNow: () => calls.push('refresh'),
        sendCommand: (c) => calls.push(c),
        showAbout: () => calls.push('about'),
      },
    );
    expect(template.map((m) => m.label ?? m.role)).toEqual(['&File', 'editMenu', '&View', '&Options', '&Help']);
    const view = template[2]!.submenu as Electron.MenuItemConstructorOptions[];
    const speeds = view[0]!.submenu as Electron.MenuItemConstructorOptions[];
    expect(speeds.filter((s) => s.checked).map((s) => s.label)).toEqual(['2 Seconds']);
    expect(view[1]).toMatchObject({ type: 'checkbox', checked: true });
    const click = (item: Electron.MenuItemConstructorOptions) => (item.click as () => void)();
    click(speeds[0]!);
    click(view[1]!);
    click(view.find((i) => i.label === 'Collapse All')!);
    click((template[4]!.submenu as Electron.MenuItemConstructorOptions[])[0]!);
    expect(calls).toEqual(['interval 500', 'pause', 'collapse-all', 'about']);
  });

  it('remembers bounds, and ignores bounds on a display that is gone or a damaged file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'procscope-window-'));
    try {
      const file = join(dir, 'window-state.json');
      const screen = [{ x: 0, y: 0, width: 1920, height: 1080 }];
      saveWindowStateSync(file, { bounds: { x: 100, y: 50, width: 1000, height: 700 }, maximized: true });
      expect(loadWindowStateSync(file, screen)).toEqual({ bounds: { x: 100, y: 50, width: 1000, height: 700 }, maximized: true });
      saveWindowStateSync(file, { bounds: { x: 5000, y: 50, width: 1000, height: 700 }, maximized: false });
      expect(loadWindowStateSync(file, screen)).toEqual({ bounds: { width: 1000, height: 700 }, maximized: false });
      writeFileSync(file, '{"bounds": {"width": "huge"}}');
      expect(loadWindowStateSync(file, screen).bounds).toEqual({ width: 1280, height: 800 });
      expect(loadWindowStateSync(join(dir, 'missing.json'), screen).maximized).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
