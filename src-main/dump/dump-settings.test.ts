import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDumpSettingsStore, defaultDumpDir, DUMP_SETTINGS_FILE } from './dump-settings';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'settings-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('dump settings', () => {
  it('gives per-user defaults when there is no file yet', async () => {
    const store = createDumpSettingsStore({ configDir: join(dir, 'missing') });
    expect(await store.load()).toEqual({ dumpDir: defaultDumpDir(), lastKind: 'full' });
    expect(defaultDumpDir('linux', '/home/ann')).toBe('/home/ann/procscope-dumps');
    expect(defaultDumpDir('win32', 'C:\\Users\\ann')).toBe('C:\\Users\\ann\\Documents\\Procscope Dumps');
  });

  it('persists updates across store instances, privately', async () => {
    const store = createDumpSettingsStore({ configDir: join(dir, 'cfg'), defaults: { dumpDir: '/d' } });
    await store.update({ lastKind: 'mini' });
    await store.update({ dumpDir: '/srv/dumps' });
    const again = createDumpSettingsStore({ configDir: join(dir, 'cfg') });
    expect(await again.load()).toEqual({ dumpDir: '/srv/dumps', lastKind: 'mini' });
    const file = join(dir, 'cfg', DUMP_SETTINGS_FILE);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ version: 1, dumpDir: '/srv/dumps', lastKind: 'mini' });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('serialises concurrent updates so neither is lost', async () => {
    const store = createDumpSettingsStore({ configDir: dir });
    await Promise.all([store.update({ dumpDir: '/a' }), store.update({ lastKind: 'mini' })]);
    expect(await store.load()).toEqual({ dumpDir: '/a', lastKind: 'mini' });
  });

  it('falls back to defaults for a corrupt file, and per field for a half-valid one', async () => {
    const file = join(dir, DUMP_SETTINGS_FILE);
    const store = createDumpSettingsStore({ configDir: dir, defaults: { dumpDir: '/default' } });
    await writeFile(file, '{"dumpDir": "/x", "lastKind": ');
    expect(await store.load()).toEqual({ dumpDir: '/default', lastKind: 'full' });
    await writeFile(file, '[1,2,3]');
    expect(await store.load()).toEqual({ dumpDir: '/default', lastKind: 'full' });
    await writeFile(file, JSON.stringify({ dumpDir: 'relative/path', lastKind: 'mini' }));
    expect(await store.load()).toEqual({ dumpDir: '/default', lastKind: 'mini' });
    await writeFile(file, JSON.stringify({ dumpDir: '/kept', lastKind: 'enormous' }));
    expect(await store.load()).toEqual({ dumpDir: '/kept', lastKind: 'full' });
    // And a corrupt file is simply replaced by the next update.
    await writeFile(file, '\u0000garbage');
    expect(await store.update({ lastKind: 'mini' })).toEqual({ dumpDir: '/default', lastKind: 'mini' });
  });

  it('refuses a relative folder or an unknown kind with a sentence', async () => {
    const store = createDumpSettingsStore({ configDir: dir });
    await expect(store.update({ dumpDir: 'dumps' })).rejects.toThrow("The dump folder must be an absolute path, not 'dumps'.");
    await expect(store.update({ lastKind: 'big' as 'full' })).rejects.toThrow(/'full' or 'mini'/);
  });
});
