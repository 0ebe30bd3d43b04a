// Cells clip only when their text may not fit (src-renderer/format/text-fit.ts keeps clips off most cells, because
// each clip costs frame time on every update). Whatever the widths, no cell's text may spill into its neighbour:
// every cell that overflows must be one that clips, at the default widths and after the columns are narrowed.
import { expect, openAndFilter, test } from './fixtures';
import type { Page } from '@playwright/test';

/** Cells (and name texts) whose content is wider than their box while they do not clip it. */
function spilling(page: Page): Promise<string[]> {
  return page.getByRole('treegrid', { name: 'Processes' }).evaluate((grid) => {
    const out: string[] = [];
    for (const el of grid.querySelectorAll<HTMLElement>('[role="row"] [role="gridcell"], [role="row"] .name-text')) {
      const clips = getComputedStyle(el).overflowX !== 'visible';
      if (!clips && el.scrollWidth > el.clientWidth + 0.5) out.push(`${el.className}: '${el.textContent}' ${el.scrollWidth} > ${el.clientWidth}`);
    }
    return out;
  });
}

test('no cell text spills into the next column, at default widths or narrowed ones', async ({ page, serveHost, tree }) => {
  await openAndFilter(page, serveHost, tree.marker);
  const grid = page.getByRole('treegrid', { name: 'Processes' });
  await expect(grid.getByRole('row', { name: `bash, PID ${tree.pids[3]}` })).toBeVisible();
  const clipped = () => grid.locator('.clip').count();
  expect(await spilling(page)).toEqual([]);
  // The marker command lines are longer than the column: those cells clip.
  expect(await clipped()).toBeGreaterThan(0);
  const before = await clipped();

  for (const label of ['Process', 'PID', 'Private Bytes', 'Working Set', 'User', 'Command Line']) {
    const handle = page.getByRole('separator', { name: `Resize ${label} column` });
    await handle.focus();
    for (let i = 0; i < 40; i++) await page.keyboard.press('ArrowLeft'); // down to the 40 px minimum
    await expect(handle).toHaveAttribute('aria-valuenow', '40');
  }
  await expect.poll(clipped).toBeGreaterThan(before);
  expect(await spilling(page)).toEqual([]);
});
