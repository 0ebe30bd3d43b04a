// User flow (issue 14): with Options → Keep Exited Processes at 5 seconds, a killed child stays in the tree, greyed
// and marked exited (its accessible name says so), its menu offers no action that needs a live process, and it
// goes once its time is up.
import { expect, openAndFilter, processRow, test } from './fixtures';

test('a killed child stays greyed and marked exited for the chosen 5 s, then goes', async ({ page, serveHost, tree }) => {
  await openAndFilter(page, serveHost, tree.marker);
  await expect(processRow(page, 'bash', tree.pids[3]!)).toBeVisible();
  await page.getByRole('button', { name: 'Options' }).click();
  await page.getByRole('menuitem', { name: 'Keep Exited Processes…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Highlighting' });
  await dialog.getByLabel('Keep exited processes').selectOption({ label: '5 seconds' });
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toHaveCount(0);

  const child = await tree.spawnChild(3);
  const live = processRow(page, 'bash', child);
  await expect(live).toBeVisible();
  const killedAt = Date.now();
  process.kill(child, 'SIGKILL');

  const exited = page.getByRole('row', { name: `bash, PID ${child}, exited`, exact: true });
  await expect(exited).toBeVisible({ timeout: 5_000 });
  await expect(live).toHaveCount(0);
  await expect(exited).toHaveAttribute('data-status', 'exiting');
  await expect(exited.locator('.exited-tag')).toHaveText('exited');
  expect(await exited.evaluate((el) => getComputedStyle(el).fontStyle)).toBe('italic');

  // Not actionable: the menu's live-process items are disabled; copying what it showed still works.
  await exited.click({ button: 'right' });
  const menu = page.getByRole('menu', { name: `Actions for bash, PID ${child}` });
  await expect(menu.getByRole('menuitem', { name: 'Kill Process', exact: true })).toBeDisabled();
  await expect(menu.getByRole('menuitem', { name: 'Suspend' })).toBeDisabled();
  await expect(menu.getByRole('menuitem', { name: 'Create Dump' })).toBeDisabled();
  await expect(menu.getByRole('menuitem', { name: 'Properties' })).toBeDisabled();
  await expect(menu.getByRole('menuitem', { name: 'Copy PID' })).toBeEnabled();
  await page.keyboard.press('Escape');
  await expect(menu).toHaveCount(0);

  // Still there 3.5 s after the kill (the old single interval would have removed it after about 1 s)...
  await page.waitForTimeout(Math.max(0, killedAt + 3_500 - Date.now()));
  await expect(exited).toBeVisible();
  // ...and gone once 5 s of samples have passed since the exit was seen.
  await expect(exited).toHaveCount(0, { timeout: 10_000 });
  expect(Date.now() - killedAt).toBeGreaterThanOrEqual(4_800);
  await expect(processRow(page, 'bash', tree.pids[3]!)).toBeVisible();
});
