// User flow: fold a branch of the tree away and open it again, by mouse and by keyboard.
import { expect, openAndFilter, processRow, scrollToLastRow, test } from './fixtures';

// A short window, so that the whole tree does not fit and the grid scrolls (and virtualises rows away).
test.use({ viewport: { width: 1280, height: 320 } });

test('collapse and expand a branch by click and by arrow keys', async ({ page, serveHost, tree }) => {
  await openAndFilter(page, serveHost, tree.marker);
  const root = processRow(page, 'bash', tree.pids[1]!);
  const mid = processRow(page, 'bash', tree.pids[2]!);
  const leaf = processRow(page, 'bash', tree.pids[3]!);
  const grid = page.getByRole('treegrid', { name: 'Processes' });
  await scrollToLastRow(page, leaf);

  await page.getByRole('button', { name: `Collapse bash, PID ${tree.pids[2]}`, exact: true }).click();
  await expect(mid).toHaveAttribute('aria-expanded', 'false');
  await expect(leaf).toHaveCount(0);
  await page.getByRole('button', { name: `Expand bash, PID ${tree.pids[2]}`, exact: true }).click();
  await expect(leaf).toBeVisible();

  // Clearing the filter shows the collapsed state for real (the filter keeps matches open).
  await root.click();
  await page.getByRole('searchbox', { name: 'Filter by name, PID or command line' }).fill('');
  await grid.focus();
  // Down and back up: the selection moves and is scrolled into view, wherever the unfiltered tree put the root.
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowUp');
  await expect(root).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowLeft');
  await expect(root).toHaveAttribute('aria-expanded', 'false');
  await expect(mid).toHaveCount(0);
  // Put the collapsed root on the grid's bottom edge, where its children would open out of view (and, past the
  // virtualiser's overscan, out of the DOM) unless expanding scrolls them in, as Windows' tree view does.
  const rootBox = (await root.boundingBox())!;
  await grid.evaluate((el, rootBottom) => {
    el.scrollTop += rootBottom - el.getBoundingClientRect().bottom;
  }, rootBox.y + rootBox.height);
  await expect(root).toBeInViewport();
  await page.keyboard.press('ArrowRight');
  await expect(root).toHaveAttribute('aria-expanded', 'true');
  // Whole rows, not a sliver at the grid's edge.
  await expect(mid).toBeInViewport({ ratio: 1 });
  await expect(root).toBeInViewport({ ratio: 1 });
  await expect(root).toHaveAttribute('aria-selected', 'true');
});
