/*
 * Locks down every web contents the app creates: no navigation away from the app page, no new windows (a link to
 * an allow-listed https host goes to the OS browser, anything else nowhere), no webviews, no permissions. Runs in
 * the Electron main process; it never loosens a setting for convenience.
 */
import type { Event, WebContents } from 'electron';

/** The slice of WebContents this module uses (so tests can hand in a small fake). */
export type HardenableContents = Pick<WebContents, 'on' | 'setWindowOpenHandler' | 'session'>;

export interface HardenOptions {
  /** True for the app's own page URL (app://procscope/index.html). */
  isAppUrl(url: string): boolean;
  openExternal(url: string): void;
  /** Which URLs may reach openExternal; isAllowedExternalUrl (no host at all) by default. */
  isExternalUrlAllowed?(url: string): boolean;
}

/**
 * Hosts whose https pages the app may hand to the OS browser (Electron security checklist item 15). The page
 * links nowhere today, so the list is empty: shell.openExternal with a page-chosen URL can start any registered
 * protocol handler, and a link added later must add its host here, in review.
 */
export const EXTERNAL_LINK_HOSTS: readonly string[] = [];

/** https only, on the default port, no credentials, and a host on the list. */
export function createExternalUrlCheck(hosts: readonly string[]): (url: string) => boolean {
  const allowed = new Set(hosts.map((h) => h.toLowerCase()));
  return (url) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return false;
    }
    return parsed.protocol === 'https:' && parsed.port === '' && !parsed.username && !parsed.password && allowed.has(parsed.hostname);
  };
}

export const isAllowedExternalUrl = createExternalUrlCheck(EXTERNAL_LINK_HOSTS);

export function hardenWebContents(contents: HardenableContents, options: HardenOptions): void {
  const isExternalUrlAllowed = options.isExternalUrlAllowed ?? isAllowedExternalUrl;
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalUrlAllowed(url)) options.openExternal(url);
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
