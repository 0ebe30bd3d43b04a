/*
 * Locks down every web contents the app creates: no navigation away from the app page, no new windows (external
 * http(s) links go to the OS browser), no webviews, no permissions. Runs in the Electron main process; it never
 * loosens a setting for convenience.
 */
import type { Event, WebContents } from 'electron';

/** The slice of WebContents this module uses (so tests can hand in a small fake). */
export type HardenableContents = Pick<WebContents, 'on' | 'setWindowOpenHandler' | 'session'>;

export interface HardenOptions {
  /** True for the app's own page URL (file://…/index.html). */
  isAppUrl(url: string): boolean;
  openExternal(url: string): void;
}

export function hardenWebContents(contents: HardenableContents, options: HardenOptions): void {
  contents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//i.test(url)) options.openExternal(url);
    return { action: 'deny' };
  });
  const blockNavigation = (event: Event, url: string) => {
    if (!options.isAppUrl(url)) event.preventDefault();
  };
  contents.on('will-navigate', blockNavigation);
  contents.on('will-redirect', blockNavigation);
  contents.on('will-attach-webview', (event: Event) => event.preventDefault());
  contents.session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  contents.session.setPermissionCheckHandler(() => false);
}

/** The app page's URL test: the built index.html, with any query or hash. */
export function createAppUrlCheck(indexFileUrl: string): (url: string) => boolean {
  return (url) => url === indexFileUrl || url.startsWith(`${indexFileUrl}?`) || url.startsWith(`${indexFileUrl}#`);
}
