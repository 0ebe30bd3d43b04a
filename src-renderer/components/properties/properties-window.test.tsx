// The Properties window's markup over a store holding one answer: the eight tabs by their accessible names, the
// Image tab with the parent "(exited)" and the dump buttons, a tab's error as a sentence over its last data, the
// exit banner; the lower pane's DLL list of the selected process.
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ProcscopeApi } from '../../api/procscope-api';
import { ApiContext } from '../../api/api-context';
import { appStore } from '../../store/app-store';
import { LowerPane } from '../lower-pane';
import { detailErrorText } from './detail-table';
import { PropertiesWindow } from './properties-window';

const api = { request: async () => null, on: () => () => {}, onDisconnect: () => {} } as unknown as ProcscopeApi;
const target = { pid: 4242, startTimeMs: 1000 };
const image = {
  exePath: '/usr/bin/detail-target',
  commandLine: 'detail-target --listen',
  currentDirectory: '/tmp',
  parentPid: 77,
  parentName: null,
  parentExited: true,
  user: 'root',
  startTimeMs: 1000,
  description: null,
  companyName: null,
  version: null,
  packageOwner: null,
  is32Bit: false,
  elevated: null,
  integrityLevel: null,
  autostartLocation: null,
};

// A server render reads the store's initial state (useSyncExternalStore's server snapshot): point it at the live one.
beforeEach(() => {
  vi.spyOn(appStore, 'getInitialState').mockImplementation(() => appStore.getState());
});

afterEach(() => {
  vi.restoreAllMocks();
  appStore.setState({ properties: null, lowerPaneData: null, lowerPane: { visible: false, mode: 'dlls' }, selectedKey: null });
});

const render = (node: React.ReactNode) => renderToStaticMarkup(<ApiContext.Provider value={api}>{node}</ApiContext.Provider>);

describe('Properties window', () => {
  it('names its eight tabs and shows the Image tab with the parent marked exited', () => {
    appStore.getState().openPropertiesState(target);
    appStore.getState().applyPropertiesDetail({ ...target, timestampMs: 2000, image: { ok: true, value: image } });
    const html = render(<PropertiesWindow target={target} />);
    const tabs = [...html.matchAll(/role="tab"[^>]*>([^<]+)</g)].map((m) => m[1]);
    expect(tabs).toEqual(['Image', 'Performance', 'Threads', 'Modules', 'Handles', 'TCP/IP', 'Services', 'Environment']);
    expect(html).toContain('Properties: detail-target (PID 4242)');
    expect(html).toContain('(PID 77) (exited)');
    expect(html).toContain('Create Minidump…');
    expect(html).toContain('Create Full Dump…');
    expect(html).not.toContain('Process exited — the last data read is shown.');
  });

  it('keeps the last data under an error and says when the process exited', () => {
    appStore.getState().openPropertiesState(target);
    appStore.getState().applyPropertiesDetail({ ...target, timestampMs: 2000, image: { ok: true, value: image } });
    appStore.getState().applyPropertiesDetail({ ...target, timestampMs: 3000, image: { ok: false, error: { code: 'access-denied', message: 'cwd: EACCES' } } });
    appStore.getState().markPropertiesExited();
    const html = render(<PropertiesWindow target={target} />);
    expect(html).toContain('Access denied — needs elevation. cwd: EACCES');
    expect(html).toContain('detail-target --listen');
    expect(html).toContain('Process exited — the last data read is shown.');
    expect(detailErrorText({ code: 'process-gone', message: 'gone' })).toBe('Process exited. gone');
    // The host's sentence that already says it is not said twice.
    expect(detailErrorText({ code: 'access-denied', message: 'Access denied — needs elevation (run as root).' })).toBe('Access denied — needs elevation (run as root).');
  });
});

describe('lower pane', () => {
  it('lists the DLLs read for the selected process only', () => {
    appStore.setState({ lowerPane: { visible: true, mode: 'dlls' }, selectedKey: '4242:1000' });
    appStore.getState().applyLowerPaneDetail('4242:1000', 'dlls', {
      ...target,
      timestampMs: 1,
      modules: { ok: true, value: [{ name: 'libdetail.so', path: '/tmp/libdetail.so', baseAddress: '0x7f00', sizeBytes: 8192, version: null, description: null, companyName: null, buildId: 'beef' }] },
    });
    expect(render(<LowerPane />)).toContain('/tmp/libdetail.so');
    appStore.setState({ selectedKey: '9:9' });
    expect(render(<LowerPane />)).not.toContain('/tmp/libdetail.so');
    appStore.setState({ lowerPane: { visible: false, mode: 'dlls' } });
    expect(render(<LowerPane />)).toBe('');
  });
});

describe('performance graph scale', () => {
  it('tops the axis at a round 1, 2 or 5 × 10^n', async () => {
    const { niceCeiling } = await import('./performance-tab');
    expect([0, 0.4, 1, 1.5, 3, 7, 177_112_000].map(niceCeiling)).toEqual([1, 0.5, 1, 2, 5, 10, 200_000_000]);
  });
});

describe('window title', () => {
  it('names the image, or the command line’s first word when the path is unreadable', async () => {
    const { imageName } = await import('./image-tab');
    expect(imageName(image)).toBe('detail-target');
    expect(imageName({ ...image, exePath: null, commandLine: '/tmp/x/detail-target psdet1 /tmp/held' })).toBe('detail-target');
    expect(imageName({ ...image, exePath: null, commandLine: null })).toBeNull();
    expect(imageName(null)).toBeNull();
  });
});
