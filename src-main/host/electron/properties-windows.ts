/*
 * The Electron host's Properties windows (issue 14): one BrowserWindow per process identity (pid + start time),
 * showing the app page with ?properties=<pid>:<startTimeMs>, made with the main window's security settings. A second
 * Properties of the same process focuses its window; each window is trusted for IPC only while it lives; all close
 * with the main window. Takes the window constructor as an argument so the faked-Electron test can drive it.
 */
import type { BrowserWindow, BrowserWindowConstructorOptions } from 'electron';
import type { ProcessTargetArgs } from '../../../src-shared/ipc/dump-contract';
import { processKey } from '../../../src-shared/model/process';
import { propertiesWindowOptions } from './window-options';

/** The slice of BrowserWindow used here. */
export type PropertiesBrowserWindow = Pick<BrowserWindow, 'focus' | 'isMinimized' | 'restore' | 'show' | 'close' | 'isDestroyed' | 'loadURL' | 'once'> & {
  webContents: { id: number };
};

export interface PropertiesWindowsOptions {
  createWindow(options: BrowserWindowConstructorOptions): PropertiesBrowserWindow;
  preloadPath: string;
  /** app://procscope/index.html */
  indexUrl: string;
  iconPath?: string;
  /** The IPC sender check's set: a window's contents are added while it lives. */
  trust(contentsId: number): void;
  /** Its contents were destroyed: no longer trusted, and its subscriptions released. */
  release(contentsId: number): void;
}

export interface PropertiesWindows {
  open(target: ProcessTargetArgs): void;
  closeAll(): void;
  readonly openCount: number;
}

export function propertiesUrl(indexUrl: string, target: ProcessTargetArgs): string {
  return `${indexUrl}?properties=${encodeURIComponent(processKey(target.pid, target.startTimeMs))}`;
}

export function createPropertiesWindows(options: PropertiesWindowsOptions): PropertiesWindows {
  const windows = new Map<string, PropertiesBrowserWindow>();
  return {
    open(target) {
      const key = processKey(target.pid, target.startTimeMs);
      const existing = windows.get(key);
      if (existing && !existing.isDestroyed()) {
        if (existing.isMinimized()) existing.restore();
        existing.focus();
        return;
      }
      const win = options.createWindow(propertiesWindowOptions(options.preloadPath, `Properties: PID ${target.pid}`, options.iconPath));
      const contentsId = win.webContents.id;
      windows.set(key, win);
      options.trust(contentsId);
      win.once('closed', () => {
        if (windows.get(key) === win) windows.delete(key);
        options.release(contentsId);
      });
      win.once('ready-to-show', () => win.show());
      void win.loadURL(propertiesUrl(options.indexUrl, target));
    },
    closeAll() {
      for (const win of [...windows.values()]) if (!win.isDestroyed()) win.close();
    },
    get openCount() {
      return windows.size;
    },
  };
}
