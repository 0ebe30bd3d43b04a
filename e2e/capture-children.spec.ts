// User flow (issue 12): right-click a parent → Capture Children… → at exit → Start; the parent then starts three
// children that exit at once with codes 3, 4, 5 → the jobs panel lists one dump per child saying "at exit", the
// files carry the trigger in their names, and the Capture panel still lists each exited child with its exit code.
import { readdirSync } from 'node:fs';
import { chooseFromRowMenu, expect, openAndFilter, processRow, test } from './fixtures';

test('Capture Children at exit dumps every short-lived child and keeps it listed after it exited', async ({ page, serveHost, captureParent, dumpDir }) => {
  await openAndFilter(page, serveHost, captureParent.marker);
  await chooseFromRowMenu(page, processRow(page, 'bash', captureParent.pid), 'Capture Children…');

  const dialog = page.getByRole('dialog', { name: 'Capture Children' });
  await expect(dialog.getByRole('radio', { name: 'Its children (and theirs)' })).toBeChecked();
  await expect(dialog.getByRole('checkbox', { name: 'At exit', exact: true })).toBeChecked();
  await dialog.getByRole('textbox', { name: 'Folder' }).fill(dumpDir);
  await dialog.getByRole('button', { name: 'Start' }).click();
  await expect(dialog).toHaveCount(0);

  const title = `Capture of the children of bash, PID ${captureParent.pid}`;
  const watch = page.getByRole('region', { name: 'Capture watches' }).getByRole('listitem', { name: `${title}: armed` });
  // Only once armed may the children start: from then on none can be missed.
  await expect(watch).toBeVisible({ timeout: 20_000 });

  const children = await captureParent.spawnChildren();
  expect(children.map((c) => c.exitCode)).toEqual([3, 4, 5]);

  const jobs = page.getByRole('region', { name: 'Dump jobs' });
  for (const child of children) {
    await expect(jobs.getByRole('listitem', { name: new RegExp(`^Minidump of \\S+, PID ${child.pid}, at exit: saved$`) })).toBeVisible({ timeout: 30_000 });
  }
  const table = watch.getByRole('table', { name: `Processes seen by the ${title}` });
  for (const child of children) {
    await expect(table.getByRole('row', { name: `sh, PID ${child.pid}: exit code ${child.exitCode}`, exact: true })).toBeVisible();
  }
  await expect(watch.getByText(/^3 seen, 3 dumps$/)).toBeVisible();
  await page.screenshot({ path: 'test-results/screenshots/capture-panel.png' });

  const files = readdirSync(dumpDir);
  for (const child of children) {
    expect(files.filter((f) => f.includes(`-at-exit_${child.pid}_`)), `one dump of ${child.pid} in ${files.join(', ')}`).toHaveLength(1);
  }
  expect(files).toHaveLength(3);

  // Stop releases everything; the exited children stay listed, the row a user looks for after the fact.
  await watch.getByRole('button', { name: 'Stop' }).click();
  const ended = page.getByRole('region', { name: 'Capture watches' }).getByRole('listitem', { name: `${title}: ended` });
  await expect(ended).toBeVisible({ timeout: 10_000 });
  await expect(ended.getByRole('row', { name: new RegExp(`, PID ${children[0]!.pid}: exit code 3$`) })).toBeVisible();
});
