// User flow: start a full dump of a large process, Cancel it while the progress bar runs → no file is left, and
// the tree keeps updating (a process started after the cancel appears).
import { readdirSync, readFileSync } from 'node:fs';
import { chooseFromRowMenu, expect, openAndFilter, processRow, test } from './fixtures';

/**
 * A 4 GiB shared anonymous mapping: the writer reads all of it (~3 s here), yet it costs nothing to create.
 * Touching that much private memory first would take ~30 s on this VM (page faults run at ~140 MB/s).
 */
const BIG_PYTHON = 'import mmap, time\nm = mmap.mmap(-1, 4 * 1024 ** 3)\nm[0] = 1\nprint("ready", flush=True)\ntime.sleep(600)\n';
const BIG_BYTES = 4 * 1024 ** 3;

function mappedBytes(pid: number): number {
  try {
    const m = /VmSize:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

test('Cancel during a large dump leaves no file and the tree still updates', async ({ page, serveHost, tree, spawnProcess, dumpDir }) => {
  const big = await spawnProcess('python3', ['-c', BIG_PYTHON, tree.marker]);
  await expect.poll(() => mappedBytes(big.pid), { timeout: 10_000 }).toBeGreaterThan(BIG_BYTES);
  await openAndFilter(page, serveHost, tree.marker);
  await chooseFromRowMenu(page, processRow(page, 'python3', big.pid), 'Create Full Dump…', 'Create Dump');
  const dialog = page.getByRole('dialog', { name: 'Create Full Dump' });
  await dialog.getByRole('textbox', { name: 'Folder' }).fill(dumpDir);
  await dialog.getByRole('button', { name: 'Create' }).click();

  const job = page.getByRole('region', { name: 'Dump jobs' }).getByRole('listitem', { name: new RegExp(`^Full dump of python3, PID ${big.pid}: `) });
  const bar = job.getByRole('progressbar');
  await expect(bar).toBeVisible();
  // The writer knows the size up front, so the bar shows a real percentage.
  await expect(bar).toHaveAttribute('aria-valuenow', /^\d+$/);
  // A partial file is being written: that is what the cancel must take away again.
  await expect.poll(() => readdirSync(dumpDir).length).toBe(1);
  await page.screenshot({ path: 'test-results/screenshots/jobs-panel-running.png' });
  await job.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('region', { name: 'Dump jobs' }).getByRole('listitem', { name: `Full dump of python3, PID ${big.pid}: cancelled` })).toBeVisible();
  await expect.poll(() => readdirSync(dumpDir)).toEqual([]);
  await page.screenshot({ path: 'test-results/screenshots/jobs-panel-cancelled.png' });

  const newPid = await tree.spawnChild(2);
  await expect(processRow(page, 'bash', newPid)).toBeVisible({ timeout: 5_000 });
  // The target was only paused, never harmed.
  expect(mappedBytes(big.pid)).toBeGreaterThan(BIG_BYTES);
});
