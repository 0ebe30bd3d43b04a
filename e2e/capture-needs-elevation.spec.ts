// User flow (issue 12): Procscope running as an ordinary user (nobody) asked to capture the children of a root
// process → the watch fails saying it needs administrator rights, the Capture panel offers "Retry as administrator",
// and the retry runs the watch in the helper. The prompting elevator is replaced by the no-prompt test double
// (PROCSCOPE_TEST_ELEVATOR=direct), so the helper is still nobody and is refused in turn; nothing is written.
import { readdirSync } from 'node:fs';
import { chooseFromRowMenu, expect, processRow, test } from './fixtures';
import { NOBODY, serveAsNobody } from './serve-as-nobody';

test('a capture without the rights offers Retry as administrator, which runs it in the helper', async ({ page, captureParent }) => {
  test.skip(process.getuid?.() !== 0, 'needs root to start the browser host as nobody');
  const { url, dumpDir, close } = await serveAsNobody();
  try {
    await page.goto(url);
    await page.getByRole('searchbox', { name: 'Filter by name, PID or command line' }).fill(captureParent.marker);
    await chooseFromRowMenu(page, processRow(page, 'bash', captureParent.pid), 'Capture Children…');
    const dialog = page.getByRole('dialog', { name: 'Capture Children' });
    await dialog.getByRole('textbox', { name: 'Folder' }).fill(dumpDir);
    await dialog.getByRole('button', { name: 'Start' }).click();

    const panel = page.getByRole('region', { name: 'Capture watches' });
    const failed = panel.getByRole('listitem', { name: `Capture of the children of bash, PID ${captureParent.pid}: failed` });
    const refusal = new RegExp(`^Failed: Process ${captureParent.pid} belongs to another user \\(uid 0\\); you are uid ${NOBODY}\\.`);
    await expect(failed.getByText(refusal)).toBeVisible({ timeout: 20_000 });
    await expect(failed.getByRole('button', { name: 'Stop' })).toHaveCount(0);
    await failed.getByRole('button', { name: 'Retry as administrator' }).click();

    // The test double grants no rights: the watch now runs in the helper (badge), which is refused in turn.
    await expect(failed.getByText('as administrator', { exact: true })).toBeVisible({ timeout: 20_000 });
    await expect(failed.getByText(refusal)).toBeVisible({ timeout: 20_000 });
    await expect(failed.getByRole('button', { name: 'Retry as administrator' })).toHaveCount(0);
    // Its children run as before, unheld, and nothing was dumped.
    expect((await captureParent.spawnChildren()).map((c) => c.exitCode)).toEqual([3, 4, 5]);
    expect(readdirSync(dumpDir)).toEqual([]);
  } finally {
    await close();
  }
});
