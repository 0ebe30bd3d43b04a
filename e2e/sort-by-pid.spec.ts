// User flow: sort by PID, ascending then descending, in the flat list and in the tree.
import { expect, openAndFilter, test } from './fixtures';

test('sort by PID', async ({ page, serveHost, tree }) => {
  await openAndFilter(page, serveHost, tree.marker);
  await page.getByRole('button', { name: 'Flat list' }).click();
  const grid = page.getByRole('treegrid', { name: 'Processes' });
  // The grid's own header: the Capture panel (a watch listed by an earlier spec on this serve) has a PID column too.
  const header = grid.getByRole('columnheader', { name: 'PID' });
  const pidsShown = () =>
    grid.getByRole('row').evaluateAll((els) => els.map((e) => /PID (\d+)$/.exec(e.getAttribute('aria-label') ?? '')?.[1]).filter(Boolean).map(Number));
  const ours = [tree.pids[1]!, tree.pids[2]!, tree.pids[3]!].sort((a, b) => a - b);

  await header.getByRole('button').click();
  await expect(header).toHaveAttribute('aria-sort', 'ascending');
  await expect.poll(pidsShown, { timeout: 10_000 }).toEqual(ours);
  await header.getByRole('button').click();
  await expect(header).toHaveAttribute('aria-sort', 'descending');
  await expect.poll(pidsShown).toEqual([...ours].reverse());

  // Back in the tree, descending PID order applies among siblings only: parents still come first.
  await page.getByRole('button', { name: 'Flat list' }).click();
  await expect(header).toHaveAttribute('aria-sort', 'descending');
  await expect.poll(async () => (await pidsShown()).includes(process.pid)).toBe(true);
  const shown = await pidsShown();
  expect(shown.indexOf(process.pid)).toBeLessThan(shown.indexOf(tree.pids[1]!));
  expect(shown.indexOf(tree.pids[1]!)).toBeLessThan(shown.indexOf(tree.pids[2]!));
  expect(shown.indexOf(tree.pids[2]!)).toBeLessThan(shown.indexOf(tree.pids[3]!));
});
