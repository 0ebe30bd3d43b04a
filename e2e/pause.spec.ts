// User flow: press Space to freeze the view (as in Process Explorer), then resume it.
import { expect, openAndFilter, processRow, test } from './fixtures';

test('Space pauses and resumes the refresh', async ({ page, serveHost, tree }) => {
  await openAndFilter(page, serveHost, tree.marker);
  await expect(processRow(page, 'bash', tree.pids[1]!)).toBeVisible({ timeout: 10_000 });
  await page.getByRole('treegrid', { name: 'Processes' }).focus();
  await page.keyboard.press('Space');
  const pause = page.getByRole('button', { name: 'Resume' });
  await expect(pause).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByLabel('Status')).toContainText('Paused');

  // While paused a new process does not show up.
  const childPid = await tree.spawnChild(3);
  await page.waitForTimeout(2500);
  await expect(processRow(page, 'bash', childPid)).toHaveCount(0);

  await page.keyboard.press('Space');
  await expect(page.getByRole('button', { name: 'Pause' })).toHaveAttribute('aria-pressed', 'false');
  await expect(processRow(page, 'bash', childPid)).toBeVisible({ timeout: 10_000 });
});
