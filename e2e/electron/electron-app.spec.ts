// User flow in the real Electron shell: the window opens with the live tree, a spawned tree shows up, the page
// has no Node. Runs wherever an Electron binary exists; elsewhere it reports itself skipped with the reason.
import { _electron as electron } from '@playwright/test';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, processRow, ROOT, test } from '../fixtures';

async function electronBinary(): Promise<{ path: string | null; reason: string | null }> {
  const { findElectronBinary } = (await import(pathToFileURL(join(ROOT, 'scripts', 'electron-binary.mjs')).href)) as {
    findElectronBinary(root: string, options: { tryDownload: boolean }): { path: string | null; reason: string | null };
  };
  // Never download here: the binary comes from GitHub, which CI cannot reach.
  return findElectronBinary(ROOT, { tryDownload: false });
}

test('the Electron window shows the live tree', async ({ tree }) => {
  const binary = await electronBinary();
  test.skip(
    binary.path === null,
    'no Electron binary: node_modules/electron/dist is empty (Electron downloads it from GitHub at first start, which this machine cannot reach; set ELECTRON_OVERRIDE_DIST_PATH to use one)',
  );
  // As root (the Linux CI container) Electron refuses to start without --no-sandbox (crbug.com/638180).
  const rootOnly = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  const app = await electron.launch({ executablePath: binary.path!, args: [...rootOnly, ROOT], env: { ...process.env, ELECTRON_ENABLE_LOGGING: '1' } });
  try {
    const page = await app.firstWindow();
    await expect(page.getByRole('treegrid', { name: 'Processes' })).toBeVisible();
    await page.getByRole('searchbox', { name: 'Filter by name, PID or command line' }).fill(tree.marker);
    for (const level of [1, 2, 3]) await expect(processRow(page, 'bash', tree.pids[level]!)).toBeVisible({ timeout: 15_000 });
    expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
    expect(await page.evaluate(() => Object.keys((globalThis as { procscope?: object }).procscope ?? {}).sort())).toEqual(['invoke', 'on']);
    expect(await page.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe('undefined');
    // Served from app://, not file:// (checklist item 18), and navigation away from the app page is refused.
    expect(page.url()).toBe('app://procscope/index.html');
    await page.evaluate(() => (location.href = 'https://example.com/'));
    await expect(page.getByRole('treegrid', { name: 'Processes' })).toBeVisible();
  } finally {
    await app.close();
  }
});
