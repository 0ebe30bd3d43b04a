// User flow (issue 14): Find Handle or DLL… (Ctrl+Shift+F; Ctrl+F stays the filter) searches every process for a
// file name; the result names the process that holds it, and choosing it selects that process in the tree.
import { expect, openAndFilter, processRow, test } from './fixtures';
import { startDetailTarget, type DetailTarget } from './detail-target';

let target: DetailTarget | null = null;
test.afterEach(() => {
  target?.stop();
  target = null;
});

test('Find Handle or DLL finds the open file and selects the process holding it', async ({ page, serveHost }) => {
  const t = (target = await startDetailTarget());
  // Find searches the processes the host has listed, as the tree shows them: wait until the new process is in the
  // tree (the next poll, up to a second), as a user sees it before looking for what it holds. Searching at once
  // raced the poll (CI: "0 matches").
  await openAndFilter(page, serveHost, String(t.pid));
  await expect(processRow(page, 'detail-target', t.pid)).toBeVisible({ timeout: 10_000 });
  await page.getByRole('searchbox', { name: 'Filter by name, PID or command line' }).fill('');
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
