/*
 * The app windows' construction options (the main window and each Properties window), with the security settings in one reviewable place: context isolation,
 * the sandbox, no Node in the page, no webview, no remote content. Runs in the Electron main process.
 */
import type { BrowserWindowConstructorOptions, Rectangle } from 'electron';

export const MIN_WINDOW_WIDTH_PX = 640;
export const MIN_WINDOW_HEIGHT_PX = 360;

/** The one set of page settings every app window gets (main and Properties): reviewed here, never loosened per window. */
export function secureWebPreferences(preloadPath: string): NonNullable<BrowserWindowConstructorOptions['webPreferences']> {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    safeDialogs: true,
  };
}

/** A Properties window (issue 14): the main window's security settings, its own size. */
export function propertiesWindowOptions(preloadPath: string, title: string, iconPath?: string): BrowserWindowConstructorOptions {
  return {
    width: 760,
    height: 620,
    minWidth: 480,
    minHeight: 360,
    title,
    show: false,
    backgroundColor: '#1e1f22',
    ...(iconPath ? { icon: iconPath } : {}),
    webPreferences: secureWebPreferences(preloadPath),
  };
}

export function mainWindowOptions(preloadPath: string, bounds: Partial<Rectangle>, iconPath?: string): BrowserWindowConstructorOptions {
  return {
    ...bounds,
    width: bounds.width ?? 1280,
    height: bounds.height ?? 800,
    minWidth: MIN_WINDOW_WIDTH_PX,
    minHeight: MIN_WINDOW_HEIGHT_PX,
    title: 'Procscope',
    show: false,
    backgroundColor: '#1e1f22',
    ...(iconPath ? { icon: iconPath } : {}),
    webPreferences: secureWebPreferences(preloadPath),
  };
}
