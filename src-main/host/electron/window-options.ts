/*
 * The main window's construction options, with the security settings in one reviewable place: context isolation,
 * the sandbox, no Node in the page, no webview, no remote content. Runs in the Electron main process.
 */
import type { BrowserWindowConstructorOptions, Rectangle } from 'electron';

export const MIN_WINDOW_WIDTH_PX = 640;
export const MIN_WINDOW_HEIGHT_PX = 360;

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
    webPreferences: {
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
    },
  };
}
