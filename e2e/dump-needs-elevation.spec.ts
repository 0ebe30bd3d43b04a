// User flow: Procscope running as an ordinary user (nobody) asked to dump a root process → the job says it needs
// administrator rights and offers "Retry as administrator". The prompting elevator is replaced by the no-prompt
// test double (PROCSCOPE_TEST_ELEVATOR=direct), so the retry runs the helper, still as nobody, and fails again.
import { readdirSync } from 'node:fs';
import { chooseFromRowMenu, expect, processRow, test } from './fixtures';
import { NOBODY, serveAsNobody } from './serve-as-nobody';

test('a dump without the rights offers Retry as administrator', async ({ page, tree }) => {
  test.skip(process.getuid?.() !== 0, 'needs root to start the browser host as nobody');
  const { url, dumpDir, close } = await serveAsNobody();
  try {
    await page.goto(url);
    await page.getByRole('searchbox', { name: 'Filter by name, PID or command line' }).fill(tree.marker);
    const pid = tree.pids[3]!;
    await chooseFromRowMenu(page, processRow(page, 'bash', pid), 'Create Full Dump…', 'Create Dump');
    const dialog = page.getByRole('dialog', { name: 'Create Full Dump' });
    await dialog.getByRole('textbox', { name: 'Folder' }).fill(dumpDir);
    await dialog.getByRole('button', { name: 'Create' }).click();

    const job = page.getByRole('region', { name: 'Dump jobs' }).getByRole('listitem', { name: `Full dump of bash, PID ${pid}: failed` });
    await expect(job.getByText(new RegExp(`Process ${pid} belongs to another user \\(uid 0\\); you are uid ${NOBODY}\\.`))).toBeVisible({ timeout: 20_000 });
    const retry = job.getByRole('button', { name: 'Retry as administrator' });
    await expect(retry).toBeVisible();
    await page.screenshot({ path: 'test-results/screenshots/jobs-panel-needs-elevation.png' });

    await retry.click();
    // The test double grants no rights: the helper is refused in turn, with a sentence, and writes nothing.
    const elevatedJob = page.getByRole('region', { name: 'Dump jobs' }).getByRole('listitem', { name: `Full dump of bash, PID ${pid}: failed` });
    await expect(elevatedJob.getByText('(as administrator)')).toBeVisible({ timeout: 20_000 });
    await expect(elevatedJob.getByText(new RegExp(`Process ${pid} belongs to another user`))).toBeVisible();
    expect(readdirSync(dumpDir)).toEqual([]);
  } finally {
    await close();
  }
});
