// User flow (issue 14): Find Handle or DLL… (Ctrl+Shift+F; Ctrl+F stays the filter) searches every process for a
// file name; the result names the process that holds it, and choosing it selects that process in the tree.
import { expect, processRow, test } from './fixtures';
import { startDetailTarget, type DetailTarget } from './detail-target';

let target: DetailTarget | null = null;
test.afterEach(() => {
  target?.stop();
  target = null;
});

test('Find Handle or DLL finds the open file and selects the process holding it', async ({ page, serveHost }) => {
  const t = (target = await startDetailTarget());
  await page.goto(serveHost.url);
  await expect(page.getByRole('treegrid', { name: 'Processes' })).toBeVisible();
  await page.getByRole('treegrid', { name: 'Processes' }).focus();
  await page.keyboard.press('Control+Shift+F');
  const dialog = page.getByRole('dialog', { name: 'Find Handle or DLL' });
  await dialog.getByRole('searchbox', { name: 'Handle or DLL substring' }).fill(`held-${t.marker}`);
  await dialog.getByRole('button', { name: 'Search' }).click();
  const match = dialog.getByRole('table', { name: 'Matches' }).getByRole('row').filter({ hasText: t.openFile });
  await expect(match).toHaveCount(1, { timeout: 20_000 });
  await expect(match).toContainText('detail-target');
  await expect(match).toContainText(String(t.pid));
  await page.screenshot({ path: 'test-results/screenshots/find-handle.png' });
  await match.click();
  await expect(dialog).toHaveCount(0);
  // Selected, and brought into view in the full (unfiltered) tree.
  await expect(processRow(page, 'detail-target', t.pid)).toHaveAttribute('aria-selected', 'true');
  await expect(processRow(page, 'detail-target', t.pid)).toBeInViewport();
});
