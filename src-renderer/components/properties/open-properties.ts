/*
 * Properties opens a window per process. Electron: main makes (or focuses) that process's BrowserWindow through
 * procscope:open-properties-window. Browser host: the page opens the same page URL in a named tab, so a second
 * Properties of the same process returns to it; the token travels as it reaches this page today — in the URL's
 * query, which the host answers with Referrer-Policy: no-referrer and no-store — and nowhere else.
 */
import type { HostCapabilities } from '../../../src-shared/ipc/contract';
import { WEB_TOKEN_PARAM } from '../../../src-shared/ipc/web-protocol';
import { processKey } from '../../../src-shared/model/process';
import type { ProcscopeApi } from '../../api/procscope-api';
import type { PropertiesTarget } from '../../store/detail-slice';
import { PROPERTIES_PARAM } from './properties-page';

export function propertiesPageUrl(location: Pick<Location, 'origin' | 'pathname' | 'search'>, target: PropertiesTarget): string {
  const params = new URLSearchParams();
  const token = new URLSearchParams(location.search).get(WEB_TOKEN_PARAM);
  if (token !== null) params.set(WEB_TOKEN_PARAM, token);
  params.set(PROPERTIES_PARAM, processKey(target.pid, target.startTimeMs));
  return `${location.origin}${location.pathname}?${params.toString()}`;
}

export const propertiesWindowName = (target: PropertiesTarget) => `procscope-properties-${target.pid}-${target.startTimeMs}`;

/** The slice of a window this needs: focus, and where it is (same origin: the tab this page opened). */
export interface OpenedWindow {
  focus(): void;
  location: { href: string; replace(url: string): void };
}

export interface WindowOpener {
  location: Pick<Location, 'origin' | 'pathname' | 'search'>;
  open(url: string, name: string): OpenedWindow | null;
}

/** Resolves when the window is there; throws (IpcRequestError, or Error when the browser blocked the tab). */
export async function openProperties(
  api: ProcscopeApi,
  capabilities: HostCapabilities | null,
  target: PropertiesTarget,
  opener: WindowOpener = { location: window.location, open: (url, name) => window.open(url, name) },
): Promise<void> {
  if (capabilities?.propertiesWindow) {
    await api.request('procscope:open-properties-window', { pid: target.pid, startTimeMs: target.startTimeMs });
    return;
  }
  // Synchronously in the click's task: a popup blocker lets a window opened there through. An empty URL returns
  // the tab of that name as it is (opening it by its URL again would reload it and lose its history); a new one
  // starts blank and is sent to the page.
  const win = opener.open('', propertiesWindowName(target));
  if (!win) throw new Error('The browser blocked the Properties window: allow pop-ups for this page.');
  if (win.location.href === 'about:blank') win.location.replace(propertiesPageUrl(opener.location, target));
  win.focus();
}
