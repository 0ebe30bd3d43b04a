// User flow: right-click a process to get its actions menu (the hook point features such as dumps add items to).
import { expect, openAndFilter, processRow, test } from './fixtures';

test('right-clicking a row selects it and opens its actions menu', async ({ page, serveHost, tree }) => {
  await openAndFilter(page, serveHost, tree.marker);
  const row = processRow(page, 'bash', tree.pids[2]!);
  await row.click({ button: 'right' });
  await expect(row).toHaveAttribute('aria-selected', 'true');
  const menu = page.getByRole('menu', { name: `Actions for bash, PID ${tree.pids[2]}` });
  await expect(menu.getByRole('menuitem', { name: 'Copy PID' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(menu).toHaveCount(0);
});
