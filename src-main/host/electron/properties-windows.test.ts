// The Electron Properties windows over a fake BrowserWindow: one window per process identity with the main
// window's security settings and the page URL naming it, a second open focuses it (a recycled pid gets its own),
// each window is trusted for IPC only while it lives, and closeAll closes every one.
import { describe, expect, it } from 'vitest';
import type { BrowserWindowConstructorOptions } from 'electron';
import { join } from 'node:path';
import { APP_INDEX_URL, resolveAppRequest } from './app-protocol';
import { createPropertiesWindows, propertiesUrl, type PropertiesBrowserWindow } from './properties-windows';
import { createSenderCheck } from './trusted-sender';
import { createAppUrlCheck } from './window-security';
import { mainWindowOptions } from './window-options';

const INDEX = 'app://procscope/index.html';

function fakeElectron() {
  let nextId = 10;
  const made: { options: BrowserWindowConstructorOptions; win: PropertiesBrowserWindow; calls: string[]; emit(event: string): void }[] = [];
  const trusted = new Set<number>();
  const released: number[] = [];
  const createWindow = (options: BrowserWindowConstructorOptions) => {
    const calls: string[] = [];
    const handlers = new Map<string, () => void>();
    let destroyed = false;
    let minimized = false;
    const win = {
      webContents: { id: nextId++ },
      focus: () => void calls.push('focus'),
      isMinimized: () => minimized,
      restore: () => {
        minimized = false;
        calls.push('restore');
      },
      show: () => void calls.push('show'),
      close: () => {
        calls.push('close');
        destroyed = true;
        handlers.get('closed')?.();
      },
      isDestroyed: () => destroyed,
      loadURL: async (url: string) => void calls.push(`load ${url}`),
      once: (event: string, handler: () => void) => {
        handlers.set(event, handler);
        return win;
      },
      minimize: () => (minimized = true),
    };
    made.push({ options, win: win as unknown as PropertiesBrowserWindow, calls, emit: (e) => handlers.get(e)?.() });
    return win as unknown as PropertiesBrowserWindow;
  };
  const windows = createPropertiesWindows({
    createWindow,
    preloadPath: '/app/out/preload/index.cjs',
    indexUrl: INDEX,
    trust: (id) => void trusted.add(id),
    release: (id) => {
      trusted.delete(id);
      released.push(id);
    },
  });
  return { windows, made, trusted, released };
}

describe('Electron Properties windows', () => {
  it('opens one hardened window per process on the page naming it, and focuses it on a second open', () => {
    const e = fakeElectron();
    e.windows.open({ pid: 4242, startTimeMs: 1700000000123 });
    expect(e.made).toHaveLength(1);
    const first = e.made[0]!;
    // The very settings of the main window: the Properties page is the same renderer with the same preload.
    expect(first.options.webPreferences).toEqual(mainWindowOptions('/app/out/preload/index.cjs', {}).webPreferences);
    expect(first.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false });
    expect(first.options.show).toBe(false);
    expect(first.calls).toEqual([`load ${INDEX}?properties=4242%3A1700000000123`]);
    first.emit('ready-to-show');
    expect(first.calls.at(-1)).toBe('show');
    expect([...e.trusted]).toEqual([10]);

    (first.win as unknown as { minimize(): void }).minimize();
    e.windows.open({ pid: 4242, startTimeMs: 1700000000123 });
    expect(e.made).toHaveLength(1);
    expect(first.calls.slice(-2)).toEqual(['restore', 'focus']);

    // The same pid with another start time is another process: its own window.
    e.windows.open({ pid: 4242, startTimeMs: 1700000999000 });
    expect(e.made).toHaveLength(2);
    expect(e.windows.openCount).toBe(2);
  });

  it('stops trusting a closed window, opens afresh after, and closes every window with the app', () => {
    const e = fakeElectron();
    e.windows.open({ pid: 1, startTimeMs: 5 });
    e.windows.open({ pid: 2, startTimeMs: 6 });
    e.made[0]!.win.close();
    expect(e.released).toEqual([10]);
    expect([...e.trusted]).toEqual([11]);
    e.windows.open({ pid: 1, startTimeMs: 5 });
    expect(e.made).toHaveLength(3);
    expect(e.windows.openCount).toBe(2);
    e.windows.closeAll();
    expect(e.windows.openCount).toBe(0);
    expect(e.trusted.size).toBe(0);
    expect(e.made[1]!.calls).toContain('close');
    expect(e.made[2]!.calls).toContain('close');
  });

  it('puts only the identity in the URL, which serves the app page and passes the sender check while trusted', () => {
    expect(propertiesUrl(INDEX, { pid: 7, startTimeMs: 0 })).toBe(`${INDEX}?properties=7%3A0`);
    const url = propertiesUrl(APP_INDEX_URL, { pid: 7, startTimeMs: 0 });
    expect(resolveAppRequest(url, '/app/out/renderer')).toBe(join('/app/out/renderer', 'index.html'));
    const e = fakeElectron();
    const check = createSenderCheck({ trustedWebContentsIds: () => e.trusted, isAppUrl: createAppUrlCheck(APP_INDEX_URL) });
    const event = (id: number) => ({ sender: { id }, senderFrame: { url, parent: null } }) as never;
    expect(check(event(10))).toBe(false);
    e.windows.open({ pid: 7, startTimeMs: 0 });
    expect(check(event(10))).toBe(true);
    e.made[0]!.win.close();
    expect(check(event(10))).toBe(false);
  });
});
