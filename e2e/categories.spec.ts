// User flow (issue 14): a stopped process (kill -STOP) must not look normal: its row takes the Suspended colour,
// which the legend names; Options → Colours changes that colour and can switch the category off.
import { expect, openAndFilter, processRow, test } from './fixtures';

test('a stopped process has the suspended colour, and the legend names it', async ({ page, serveHost, tree }) => {
  const pid = tree.pids[3]!;
  await openAndFilter(page, serveHost, tree.marker);
  const row = processRow(page, 'bash', pid);
  await expect(row).toBeVisible();
  await expect(row).not.toHaveAttribute('data-category', 'suspended');
  const legend = page.getByRole('list', { name: 'Colour legend' });
  await expect(legend.getByRole('listitem').filter({ hasText: 'Suspended' })).toBeVisible();
  try {
    process.kill(pid, 'SIGSTOP');
    await expect(row).toHaveAttribute('data-category', 'suspended', { timeout: 5_000 });
    const background = () => row.evaluate((el) => getComputedStyle(el).backgroundColor);
    // #9e9e9e, the default suspended colour.
    await expect.poll(background).toBe('rgb(158, 158, 158)');
    const swatch = legend.locator('li[data-category="suspended"] .legend-swatch');
    expect(await swatch.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(158, 158, 158)');

    await page.getByRole('button', { name: 'Options' }).click();
    await page.getByRole('menuitem', { name: 'Colours…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Colours' });
    await dialog.getByLabel('Suspended colour').fill('#ff00ff');
    await expect.poll(background).toBe('rgb(255, 0, 255)');
    await dialog.getByRole('checkbox', { name: 'Suspended' }).uncheck();
    await expect(row).not.toHaveAttribute('data-category', 'suspended');
    await expect(legend.locator('li[data-category="suspended"]')).toHaveCount(0);
    await dialog.getByRole('checkbox', { name: 'Suspended' }).check();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(row).toHaveAttribute('data-category', 'suspended');

    // Resumed, it looks normal again.
    process.kill(pid, 'SIGCONT');
    await expect(row).not.toHaveAttribute('data-category', 'suspended', { timeout: 5_000 });
  } finally {
    process.kill(pid, 'SIGCONT');
  }
});
