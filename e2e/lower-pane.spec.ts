// User flow (issue 14): Ctrl+L opens the lower pane with the DLLs of the selected process; selecting another row
// follows it; Ctrl+H switches to its handles (the open file); Ctrl+L hides it again — real Linux backend.
import { expect, openAndFilter, processRow, test } from './fixtures';
import { startDetailTarget, type DetailTarget } from './detail-target';

const targets: DetailTarget[] = [];
test.afterEach(() => {
  for (const t of targets.splice(0)) t.stop();
});

test('the lower pane lists the selected process’s DLLs and follows the selection', async ({ page, serveHost }) => {
  const a = await startDetailTarget();
  targets.push(a);
  const b = await startDetailTarget();
  targets.push(b);
  // Both command lines hold their library's folder name prefix: filter on the program's name.
  await openAndFilter(page, serveHost, 'detail-target');
  await processRow(page, 'detail-target', a.pid).click();
  await page.keyboard.press('Control+l');
  const pane = page.getByRole('region', { name: 'Lower pane' });
  await expect(pane.getByRole('table', { name: `DLLs of detail-target (PID ${a.pid})` })).toContainText(a.libraryName);
  await expect(pane).not.toContainText(b.libraryName);

  await processRow(page, 'detail-target', b.pid).click();
  await expect(pane.getByRole('table', { name: `DLLs of detail-target (PID ${b.pid})` })).toContainText(b.libraryName);
  await expect(pane).not.toContainText(a.libraryName);
  await page.screenshot({ path: 'test-results/screenshots/lower-pane.png' });

  await page.keyboard.press('Control+h');
  await expect(pane.getByRole('table', { name: `Handles of detail-target (PID ${b.pid})` })).toContainText(b.openFile);
  await page.keyboard.press('Control+l');
  await expect(pane).toHaveCount(0);
});
