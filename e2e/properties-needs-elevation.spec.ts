// User flow (issue 14): Procscope running as an ordinary user (nobody) opens Properties of a root process. What the
// system lets anyone read (the command line on the Image tab) shows; what it does not (the modules, the environment)
// is a sentence in that tab — "Access denied — needs elevation" — and the window is never blanked: back on Image,
// the data is still there.
import { chooseFromRowMenu, expect as baseExpect, processRow, test } from './fixtures';
import { startDetailTarget, type DetailTarget } from './detail-target';
import { serveAsNobody } from './serve-as-nobody';

const expect = baseExpect.configure({ timeout: 15_000 });
let target: DetailTarget | null = null;
test.afterEach(() => {
  target?.stop();
  target = null;
});

test('a tab the host may not read says it needs elevation, and the others keep their data', async ({ page }) => {
  test.skip(process.getuid?.() !== 0, 'needs root to start the browser host as nobody');
  const t = (target = await startDetailTarget());
  const { url, close } = await serveAsNobody();
  try {
    await page.goto(url);
    await page.getByRole('searchbox', { name: 'Filter by name, PID or command line' }).fill(t.marker);
    const popup = page.waitForEvent('popup');
    await chooseFromRowMenu(page, processRow(page, 'detail-target', t.pid), 'Properties');
    const win = await popup;
    const panel = win.getByRole('tabpanel');
    await expect(panel).toContainText(t.marker);

    await win.getByRole('tab', { name: 'Modules' }).click();
    await expect(panel.getByRole('status').filter({ hasText: 'Access denied — needs elevation' })).toBeVisible();
    await expect(win.getByRole('table', { name: 'Modules' })).toHaveCount(0);

    await win.getByRole('tab', { name: 'Environment' }).click();
    await win.getByRole('button', { name: 'Show' }).click();
    await expect(panel.getByRole('status').filter({ hasText: 'Access denied — needs elevation' })).toBeVisible();
    await expect(win.locator('body')).not.toContainText(t.envMarker);
    await win.screenshot({ path: 'test-results/screenshots/properties-needs-elevation.png' });

    await win.getByRole('tab', { name: 'Image' }).click();
    await expect(panel).toContainText(t.marker);
    await expect(win.getByRole('heading', { name: `Properties: detail-target (PID ${t.pid})` })).toBeVisible();
  } finally {
    await close();
  }
});
