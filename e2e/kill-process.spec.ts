// User flow: Kill Process and Kill Process Tree from the row menu ask first; Cancel spares the process, Kill
// ends it and its row leaves the tree.
import { alive, expect, openAndFilter, processRow, test } from './fixtures';

test('Kill Process asks for confirmation, then removes the process', async ({ page, serveHost, tree }) => {
  const pid = tree.pids[3]!;
  await openAndFilter(page, serveHost, tree.marker);
  const row = processRow(page, 'bash', pid);
  const menuItem = page.getByRole('menu', { name: `Actions for bash, PID ${pid}` }).getByRole('menuitem', { name: 'Kill Process', exact: true });

  await row.click({ button: 'right' });
  await menuItem.click();
  const dialog = page.getByRole('dialog', { name: 'Kill Process' });
  await expect(dialog).toHaveAccessibleDescription(new RegExp(`Are you sure you want to kill bash \\(PID ${pid}\\)\\?`));
  // The safe answer has the focus, so an Enter in passing kills nothing.
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(dialog).toHaveCount(0);
  expect(alive(pid)).toBe(true);

  await row.click({ button: 'right' });
  await menuItem.click();
  await dialog.getByRole('button', { name: 'Kill', exact: true }).click();
  await expect(dialog).toHaveCount(0);
  await expect.poll(() => alive(pid)).toBe(false);
  await expect(row).toHaveCount(0, { timeout: 5_000 });
  await expect(processRow(page, 'bash', tree.pids[2]!)).toBeVisible();
});

test('Kill Process Tree ends the process and everything below it', async ({ page, serveHost, tree }) => {
  const [p1, p2, p3] = [tree.pids[1]!, tree.pids[2]!, tree.pids[3]!];
  await openAndFilter(page, serveHost, tree.marker);
  await processRow(page, 'bash', p2).click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'Kill Process Tree' }).click();
  const dialog = page.getByRole('dialog', { name: 'Kill Process Tree' });
  await expect(dialog).toHaveAccessibleDescription(/and all of its descendants/);
  await dialog.getByRole('button', { name: 'Kill Tree' }).click();
  await expect(dialog).toHaveCount(0);
  await expect.poll(() => [alive(p2), alive(p3)]).toEqual([false, false]);
  await expect(processRow(page, 'bash', p3)).toHaveCount(0, { timeout: 5_000 });
  await expect(processRow(page, 'bash', p2)).toHaveCount(0);
  expect(alive(p1)).toBe(true);
  await expect(processRow(page, 'bash', p1)).toBeVisible();
});
