// Opening Properties: the Electron host's window by the contract channel; the browser host's tab by the same page
// URL with the page's own token and the identity — nothing else from the page's URL — in a window named per process.
import { describe, expect, it } from 'vitest';
import type { HostCapabilities } from '../../../src-shared/ipc/contract';
import type { ProcscopeApi } from '../../api/procscope-api';
import { openProperties, propertiesPageUrl, propertiesWindowName } from './open-properties';
import { propertiesTargetFromSearch } from './properties-page';

const caps = (propertiesWindow: boolean): HostCapabilities => ({
  suspend: true,
  dumpFormat: 'elf-core',
  chooseFolder: propertiesWindow,
  showInFolder: propertiesWindow,
  capture: true,
  openDumpDialog: propertiesWindow,
  saveReportDialog: propertiesWindow,
  propertiesWindow,
});
const target = { pid: 4242, startTimeMs: 1700000000123 };

function fakeApi() {
  const calls: [string, unknown][] = [];
  const api = { request: async (c: string, a: unknown) => void calls.push([c, a]), on: () => () => {}, onDisconnect: () => {} } as unknown as ProcscopeApi;
  return { api, calls };
}

describe('open Properties', () => {
  it('asks the Electron host for its window, and opens no tab', async () => {
    const { api, calls } = fakeApi();
    const opened: string[] = [];
    await openProperties(api, caps(true), target, { location: { origin: 'app://procscope', pathname: '/index.html', search: '' }, open: (u) => (opened.push(u), null) });
    expect(calls).toEqual([['procscope:open-properties-window', target]]);
    expect(opened).toEqual([]);
  });

  it('opens the page with the token and the identity in a tab named for the process, and only focuses it the second time', async () => {
    const { api, calls } = fakeApi();
    const tabs = new Map<string, { href: string; focused: number }>();
    const opened: [string, string][] = [];
    const open = (url: string, name: string) => {
      opened.push([url, name]);
      let tab = tabs.get(name);
      if (!tab) tabs.set(name, (tab = { href: 'about:blank', focused: 0 }));
      const t = tab;
      return { focus: () => void t.focused++, location: { get href() { return t.href; }, replace: (u: string) => void (t.href = u) } };
    };
    const location = { origin: 'http://127.0.0.1:4000', pathname: '/', search: '?token=abc123&filter=secret' };
    await openProperties(api, caps(false), target, { location, open });
    expect(calls).toEqual([]);
    // Opened blank by name, then sent to the page: never by its URL, which would reload an open one.
    expect(opened).toEqual([['', propertiesWindowName(target)]]);
    const tab = tabs.get(propertiesWindowName(target))!;
    expect(tab.href).toBe('http://127.0.0.1:4000/?token=abc123&properties=4242%3A1700000000123');
    expect(tab.focused).toBe(1);
    expect(propertiesTargetFromSearch(new URL(tab.href).search)).toEqual(target);
    tab.href += '#kept';
    await openProperties(api, caps(false), target, { location, open });
    expect(tab.href.endsWith('#kept')).toBe(true);
    expect(tab.focused).toBe(2);
    // A blocked pop-up is said, not swallowed.
    await expect(openProperties(api, caps(false), target, { location, open: () => null })).rejects.toThrow(/blocked/);
  });

  it('reads only a well-formed identity from the page URL', () => {
    expect(propertiesTargetFromSearch('?token=x')).toBeNull();
    expect(propertiesTargetFromSearch('?properties=12')).toBeNull();
    expect(propertiesTargetFromSearch('?properties=-1:5')).toBeNull();
    expect(propertiesTargetFromSearch('?properties=12:5')).toEqual({ pid: 12, startTimeMs: 5 });
    expect(propertiesPageUrl({ origin: 'http://h', pathname: '/', search: '' }, { pid: 1, startTimeMs: 2 })).toBe('http://h/?properties=1%3A2');
  });
});
