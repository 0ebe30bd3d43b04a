// User flow: type the tree's marker into the filter; only matches and their ancestors remain, then clear it.
import { ancestryOf, expect, openAndFilter, processRow, test } from './fixtures';

test('filter by the marker keeps the matches and their ancestors', async ({ page, serveHost, tree }) => {
  await openAndFilter(page, serveHost, '');
  const grid = page.getByRole('treegrid', { name: 'Processes' });
  await expect.poll(async () => Number(await grid.getAttribute('aria-rowcount')), { timeout: 10_000 }).toBeGreaterThan(20);
  const unfiltered = Number(await grid.getAttribute('aria-rowcount'));

  await page.getByRole('searchbox', { name: 'Filter by name, PID or command line' }).fill(tree.marker.toUpperCase());
  for (const level of [1, 2, 3]) await expect(processRow(page, 'bash', tree.pids[level]!)).toBeVisible({ timeout: 10_000 });
  // The serve process is this worker's child too, but does not match: it is filtered out; the worker stays as ancestor.
  await expect(page.getByRole('row', { name: new RegExp(`, PID ${serveHost.pid}$`) })).toHaveCount(0);
  await expect(page.getByRole('row', { name: new RegExp(`, PID ${process.pid}$`) })).toBeVisible();
  // Exactly the three levels and the tree's ancestors (this worker and its own chain), however deep that chain is;
  // aria-rowcount counts the header row too.
  await expect.poll(async () => Number(await grid.getAttribute('aria-rowcount'))).toBe(1 + ancestryOf(process.pid).length + 3);
  expect(Number(await grid.getAttribute('aria-rowcount'))).toBeLessThan(unfiltered);

  // By PID as well.
  await page.getByRole('searchbox', { name: 'Filter by name, PID or command line' }).fill(String(tree.pids[3]));
  await expect(processRow(page, 'bash', tree.pids[3]!)).toBeVisible();
  await expect(page.getByRole('row', { name: /^sleep, PID/ })).toHaveCount(0);

  await page.getByRole('searchbox', { name: 'Filter by name, PID or command line' }).fill('');
  await expect.poll(async () => Number(await grid.getAttribute('aria-rowcount'))).toBeGreaterThan(20);
});
