// User flow: fold a branch of the tree away and open it again, by mouse and by keyboard.
import { expect, openAndFilter, processRow, test } from './fixtures';

test('collapse and expand a branch by click and by arrow keys', async ({ page, serveHost, tree }) => {
  await openAndFilter(page, serveHost, tree.marker);
  const root = processRow(page, 'bash', tree.pids[1]!);
  const mid = processRow(page, 'bash', tree.pids[2]!);
  const leaf = processRow(page, 'bash', tree.pids[3]!);
  await expect(leaf).toBeVisible({ timeout: 10_000 });

  await page.getByRole('button', { name: `Collapse bash, PID ${tree.pids[2]}`, exact: true }).click();
  await expect(mid).toHaveAttribute('aria-expanded', 'false');
  await expect(leaf).toHaveCount(0);
  await page.getByRole('button', { name: `Expand bash, PID ${tree.pids[2]}`, exact: true }).click();
  await expect(leaf).toBeVisible();

  // Clearing the filter shows the collapsed state for real (the filter keeps matches open).
  await root.click();
  await page.getByRole('searchbox', { name: 'Filter by name, PID or command line' }).fill('');
  await page.getByRole('treegrid', { name: 'Processes' }).focus();
  await page.keyboard.press('ArrowLeft');
  await expect(root).toHaveAttribute('aria-expanded', 'false');
  await expect(mid).toHaveCount(0);
  await page.keyboard.press('ArrowRight');
  await expect(root).toHaveAttribute('aria-expanded', 'true');
  await expect(mid).toBeVisible();
  await expect(root).toHaveAttribute('aria-selected', 'true');
});
