import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CATEGORY_STYLES, type ViewSettings } from '../../src-shared/model/view-settings';
import { HostRequestError } from './host-request-error';
import { createViewSettingsStore, MAX_VIEW_SETTINGS_BYTES, VIEW_SETTINGS_FILE } from './view-settings';

const VIEW: ViewSettings = {
  version: 1,
  columns: ['name', 'cpuPercent', 'pid', 'exePath'],
  widthsPx: { name: 300, pid: 55, exePath: 2000 },
  sort: { column: 'cpuPercent', direction: 'desc' },
  flatList: true,
  lowerPane: { visible: true, view: 'handles' },
  refreshIntervalMs: 2000,
  newHighlightMs: 3000,
  keepExitedMs: 5000,
  categories: { ...DEFAULT_CATEGORY_STYLES, suspended: { color: '#123456', enabled: false } },
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'procscope-view-settings-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('view settings store', () => {
  it('answers nothing saved, without a notice, when there is no file', async () => {
    expect(await createViewSettingsStore(join(dir, 'not-yet')).load()).toEqual({ settings: null, notice: null });
  });

  it('saves atomically with mode 0600 and reads back the same view', async () => {
    const folder = join(dir, 'config');
    const store = createViewSettingsStore(folder);
    expect(await store.save(VIEW)).toEqual(VIEW);
    expect(await createViewSettingsStore(folder).load()).toEqual({ settings: VIEW, notice: null });
    expect(statSync(join(folder, VIEW_SETTINGS_FILE)).mode & 0o777).toBe(0o600);
    // No temporary file is left beside it.
    expect(readdirSync(folder)).toEqual([VIEW_SETTINGS_FILE]);
  });

  it('serialises saves: the last one wins', async () => {
    const store = createViewSettingsStore(dir);
    await Promise.all([1, 2, 3, 4, 5].map((n) => store.save({ ...VIEW, keepExitedMs: n * 1000 })));
    expect((await store.load()).settings?.keepExitedMs).toBe(5000);
    expect(readdirSync(dir)).toEqual([VIEW_SETTINGS_FILE]);
  });

  it.each([
    ['not JSON', '{"version": 1, "columns": [', 'not valid JSON'],
    ['JSON of another shape', '[1, 2, 3]', 'was refused'],
    ['an unknown column id', JSON.stringify({ ...VIEW, columns: ['name', 'evil'] }), 'unknown column id'],
    ['a width beyond 2000 px', JSON.stringify({ ...VIEW, widthsPx: { pid: 5000 } }), 'widthsPx.pid'],
    ['an extra key', JSON.stringify({ ...VIEW, script: 'x' }), 'was refused'],
  ])('answers the defaults and a notice for a file with %s, and leaves the file alone', async (_what, text, noticePart) => {
    writeFileSync(join(dir, VIEW_SETTINGS_FILE), text);
    const view = await createViewSettingsStore(dir).load();
    expect(view.settings).toBeNull();
    expect(view.notice).toContain(noticePart);
    expect(view.notice).toContain('default view');
    expect(readFileSync(join(dir, VIEW_SETTINGS_FILE), 'utf8')).toBe(text);
  });

  it('does not read a file larger than a view can be', async () => {
    writeFileSync(join(dir, VIEW_SETTINGS_FILE), ' '.repeat(MAX_VIEW_SETTINGS_BYTES + 1));
    expect((await createViewSettingsStore(dir).load()).notice).toContain('more than a view can be');
  });

  it('answers a notice, not a throw, when the path is a folder', async () => {
    mkdirSync(join(dir, VIEW_SETTINGS_FILE));
    const view = await createViewSettingsStore(dir).load();
    expect(view).toMatchObject({ settings: null, notice: expect.stringContaining('could not be read') });
  });

  it.each([
    ['65 columns', { ...VIEW, columns: ['name', ...Array.from({ length: 64 }, () => 'pid')] }, 'columns'],
    ['a repeated column', { ...VIEW, columns: ['name', 'pid', 'pid'] }, 'each column at most once'],
    ['Process not first', { ...VIEW, columns: ['pid', 'name'] }, 'the Process column comes first'],
    ['a width below 20 px', { ...VIEW, widthsPx: { pid: 19 } }, 'widthsPx.pid'],
    ['an unknown width id', { ...VIEW, widthsPx: { __proto__x: 50 } }, 'widthsPx'],
    ['a colour that is not #rrggbb', { ...VIEW, categories: { ...VIEW.categories, own: { color: 'red;x', enabled: true } } }, 'categories.own.color'],
    ['a keep-exited time over 60 s', { ...VIEW, keepExitedMs: 60_001 }, 'keepExitedMs'],
    ['an interval the poller has not', { ...VIEW, refreshIntervalMs: 7 }, 'refreshIntervalMs'],
  ])('refuses a save with %s and keeps the saved view', async (_what, bad, field) => {
    const store = createViewSettingsStore(dir);
    await store.save(VIEW);
    const error = await store.save(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostRequestError);
    expect((error as HostRequestError).code).toBe('invalid-argument');
    expect((error as Error).message).toContain(field);
    expect((await store.load()).settings).toEqual(VIEW);
  });
});
