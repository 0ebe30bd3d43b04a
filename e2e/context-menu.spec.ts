// User flow: open a process's actions menu with the mouse or the keyboard, move through it and its submenus.
import { expect, openAndFilter, processRow, test } from './fixtures';

test('right-clicking a row selects it and opens its actions menu', async ({ page, serveHost, tree }) => {
  await openAndFilter(page, serveHost, tree.marker);
  const row = processRow(page, 'bash', tree.pids[2]!);
  await row.click({ button: 'right' });
  await expect(row).toHaveAttribute('aria-selected', 'true');
  const menu = page.getByRole('menu', { name: `Actions for bash, PID ${tree.pids[2]}` });
  await expect(menu.getByRole('menuitem', { name: 'Kill Process', exact: true })).toBeFocused();
  for (const name of ['Kill Process Tree', 'Suspend', 'Resume', 'Create Dump', 'Dump Process Tree', 'Copy', 'Properties']) {
    await expect(menu.getByRole('menuitem', { name, exact: true })).toBeVisible();
  }
  // Resume is for a suspended process only.
  await expect(menu.getByRole('menuitem', { name: 'Resume' })).toBeDisabled();
  await page.keyboard.press('Escape');
  await expect(menu).toHaveCount(0);
  await expect(page.getByRole('treegrid', { name: 'Processes' })).toBeFocused();
});

test('Shift+F10 and the arrow keys reach a submenu item and Properties', async ({ page, serveHost, tree }) => {
  await openAndFilter(page, serveHost, tree.marker);
  const row = processRow(page, 'bash', tree.pids[3]!);
  await row.click();
  await page.keyboard.press('Shift+F10');
  const menu = page.getByRole('menu', { name: `Actions for bash, PID ${tree.pids[3]}` });
  await expect(menu.getByRole('menuitem', { name: 'Kill Process', exact: true })).toBeFocused();
  // Kill Process, Kill Process Tree, Suspend, (Resume is disabled and skipped), Create Dump.
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowDown');
  const createDump = menu.getByRole('menuitem', { name: 'Create Dump' });
  await expect(createDump).toBeFocused();
  await page.keyboard.press('ArrowRight');
  const submenu = page.getByRole('menu', { name: 'Create Dump' });
  await expect(submenu.getByRole('menuitem', { name: 'Create Minidump…' })).toBeFocused();
  await expect(createDump).toHaveAttribute('aria-expanded', 'true');
  await page.keyboard.press('ArrowDown');
  await expect(submenu.getByRole('menuitem', { name: 'Create Full Dump…' })).toBeFocused();
  await page.screenshot({ path: 'test-results/screenshots/row-menu.png' });
  await page.keyboard.press('ArrowLeft');
  await expect(submenu).toHaveCount(0);
  await expect(createDump).toBeFocused();
  await page.keyboard.press('End');
  await expect(menu.getByRole('menuitem', { name: 'Properties' })).toBeFocused();
  // Properties is a window of its own (a tab of the browser host), its Image tab naming the command line and parent.
  const popup = page.waitForEvent('popup');
  await page.keyboard.press('Enter');
  const win = await popup;
  await expect(win.getByRole('heading', { name: `Properties: bash (PID ${tree.pids[3]})` })).toBeVisible();
  await expect(win.getByRole('tabpanel')).toContainText(tree.marker);
  await expect(win.getByRole('tabpanel')).toContainText(`bash (PID ${tree.pids[2]})`);
  await win.close();
  await expect(page.getByRole('treegrid', { name: 'Processes' })).toBeFocused();
  // The ContextMenu key opens the same menu on the selected row.
  await page.keyboard.press('ContextMenu');
  await expect(menu).toBeVisible();
});
