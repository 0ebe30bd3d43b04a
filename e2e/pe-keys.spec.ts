// Process Explorer's keys on the selected row: Del kills (asking first), Shift+Del kills the tree, Ctrl+C copies the
// row's visible columns tab-separated, a double-click opens Properties, F5 refreshes now (even while paused) and
// does not reload the page.
import type { Page } from '@playwright/test';
import { alive, expect, openAndFilter, processRow, test } from './fixtures';

test('Del asks, then kills the selected process; Shift+Del offers the tree', async ({ page, serveHost, tree }) => {
  const pid = tree.pids[3]!;
  await openAndFilter(page, serveHost, tree.marker);
  await processRow(page, 'bash', pid).click();
  await page.keyboard.press('Delete');
  const dialog = page.getByRole('dialog', { name: 'Kill Process' });
  await expect(dialog).toHaveAccessibleDescription(new RegExp(`kill bash \\(PID ${pid}\\)\\?`));
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  expect(alive(pid)).toBe(true);

  await processRow(page, 'bash', tree.pids[2]!).click();
  await page.keyboard.press('Shift+Delete');
  const treeDialog = page.getByRole('dialog', { name: 'Kill Process Tree' });
  await expect(treeDialog).toHaveAccessibleDescription(new RegExp(`bash \\(PID ${tree.pids[2]}\\) and all of its descendants`));
  await page.keyboard.press('Escape');

  await processRow(page, 'bash', pid).click();
  await page.keyboard.press('Delete');
  await dialog.getByRole('button', { name: 'Kill', exact: true }).click();
  await expect.poll(() => alive(pid)).toBe(false);
  await expect(processRow(page, 'bash', pid)).toHaveCount(0, { timeout: 5_000 });
  // Del while typing in the filter edits the text, it kills nothing.
  const filter = page.getByRole('searchbox', { name: 'Filter by name, PID or command line' });
  await filter.focus();
  await page.keyboard.press('Home');
  await page.keyboard.press('Delete');
  await expect(filter).toHaveValue(tree.marker.slice(1));
  await expect(page.getByRole('dialog')).toHaveCount(0);
});

test('Ctrl+C copies the selected row, its visible columns separated by tabs', async ({ page, context, serveHost, tree }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const pid = tree.pids[2]!;
  await openAndFilter(page, serveHost, tree.marker);
  const row = processRow(page, 'bash', pid);
  await row.click();
  await page.keyboard.press('Control+c');
  const cells = (await row.getByRole('gridcell').allTextContents()).map((t) => t.trim());
  const headers = (await page.getByRole('treegrid', { name: 'Processes' }).getByRole('columnheader').allTextContents()).map((t) => t.trim());
  await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toContain(`\t${pid}\t`);
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  const fields = copied.replace(/\r?\n$/, '').split('\t');
  expect(fields).toHaveLength(headers.length);
  expect(fields[0]).toBe('bash');
  // The values the row shows (CPU and memory may have ticked on between the copy and the read).
  expect(fields[headers.findIndex((h) => /^PID/.test(h))]).toBe(String(pid));
  expect(fields).toContain(cells.find((c) => c.includes(tree.marker))!);
});

test('A double-click opens Properties', async ({ page, serveHost, tree }) => {
  const pid = tree.pids[2]!;
  await openAndFilter(page, serveHost, tree.marker);
  const row = processRow(page, 'bash', pid);
  // It has a child, so its branch is open; a double-click must leave it so.
  await expect(row).toHaveAttribute('aria-expanded', 'true');
  // Properties was a dialog and becomes a window (a tab of the browser host) per process: either is what the row
  // menu's Properties does, which the double-click runs.
  const popups: Page[] = [];
  page.on('popup', (p) => popups.push(p));
  await row.dblclick();
  const dialog = page.getByRole('dialog', { name: `Properties: bash (PID ${pid})` });
  await expect.poll(async () => popups.some((p) => p.url().includes(`properties=${pid}`)) || (await dialog.count()) === 1, { timeout: 10_000 }).toBe(true);
  // It opens Properties instead of folding the branch.
  await expect(row).toHaveAttribute('aria-expanded', 'true');
});

test('F5 refreshes now, even while paused, and does not reload the page', async ({ page, serveHost, tree }) => {
  await openAndFilter(page, serveHost, tree.marker);
  await expect(processRow(page, 'bash', tree.pids[1]!)).toBeVisible({ timeout: 10_000 });
  await page.evaluate(() => ((window as unknown as { samePage: boolean }).samePage = true));
  await page.getByRole('treegrid', { name: 'Processes' }).focus();
  await page.keyboard.press('Space');
  await expect(page.getByRole('button', { name: 'Resume' })).toHaveAttribute('aria-pressed', 'true');
  try {
    const childPid = await tree.spawnChild(3);
    await page.waitForTimeout(2_000);
    await expect(processRow(page, 'bash', childPid)).toHaveCount(0);
    await page.keyboard.press('F5');
    await expect(processRow(page, 'bash', childPid)).toBeVisible({ timeout: 5_000 });
    expect(await page.evaluate(() => (window as unknown as { samePage?: boolean }).samePage)).toBe(true);
    await expect(page.getByRole('button', { name: 'Resume' })).toHaveAttribute('aria-pressed', 'true');
  } finally {
    await page.getByRole('treegrid', { name: 'Processes' }).focus();
    await page.keyboard.press('Space');
    await expect(page.getByRole('button', { name: 'Pause' })).toHaveAttribute('aria-pressed', 'false');
  }
});
