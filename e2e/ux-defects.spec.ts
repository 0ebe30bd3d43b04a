// Issue 14's UX defects, each tried as a user would: keyboard scrolling under the sticky header, a dump into a
// folder that does not exist (refused in the dialog, not remembered), the file name the dialog shows, Delete's
// confirmation, a compact resizable jobs panel with the secrets warning once, and the list's focus ring.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { DUMP_SECRETS_WARNING } from '../src-shared/model/dump';
import { formatFileBytes } from '../src-renderer/format/dump-format';
import { chooseFromRowMenu, expect, openAndFilter, processRow, test } from './fixtures';

/** Whether the selected row lies wholly inside the grid's viewport below its sticky header. */
function selectedRowFullyVisible(page: Page): Promise<boolean | string> {
  return page.evaluate(() => {
    const grid = document.querySelector<HTMLElement>('[role="treegrid"]')!;
    const row = grid.querySelector('[role="row"][aria-selected="true"]');
    if (!row) return 'no selected row on screen';
    const header = grid.querySelector('.grid-header')!.getBoundingClientRect();
    const r = row.getBoundingClientRect();
    const bottom = grid.getBoundingClientRect().top + grid.clientHeight;
    return (r.top >= header.bottom - 0.5 && r.bottom <= bottom + 0.5) || `row ${r.top}..${r.bottom}, header ends ${header.bottom}, view ends ${bottom}`;
  });
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function dumpInto(page: Page, pid: number, folder: string, kind: 'Create Full Dump…' | 'Create Minidump…' = 'Create Minidump…') {
  await chooseFromRowMenu(page, processRow(page, 'bash', pid), kind, 'Create Dump');
  const dialog = page.getByRole('dialog', { name: kind === 'Create Minidump…' ? 'Create Minidump' : 'Create Full Dump' });
  const field = dialog.getByRole('textbox', { name: 'Folder' });
  await expect(field).not.toHaveValue('');
  await field.fill(folder);
  await dialog.getByRole('button', { name: 'Create' }).click();
  return dialog;
}

test('Home, ↑ and PgUp leave the selected row fully visible below the sticky header', async ({ page, serveHost }) => {
  await page.setViewportSize({ width: 1000, height: 420 });
  await page.goto(serveHost.url);
  const grid = page.getByRole('treegrid', { name: 'Processes' });
  // Every process on the machine: far more rows than the ~12 that fit.
  await expect.poll(async () => Number(await grid.getAttribute('aria-rowcount')), { timeout: 10_000 }).toBeGreaterThan(40);
  await grid.focus();
  for (const key of ['Home', 'PageUp']) {
    await page.keyboard.press('End');
    await expect.poll(() => selectedRowFullyVisible(page)).toBe(true);
    await page.keyboard.press(key);
    await expect.poll(() => selectedRowFullyVisible(page), { message: `after ${key}` }).toBe(true);
  }
  await page.keyboard.press('End');
  for (let i = 0; i < 20; i++) {
    await page.keyboard.press('ArrowUp');
    await expect.poll(() => selectedRowFullyVisible(page), { message: `after ↑ #${i + 1}` }).toBe(true);
  }
});

test('A dump into a folder that does not exist is refused in the dialog, which stays open, and no job starts', async ({ page, serveHost, tree, dumpDir }) => {
  await openAndFilter(page, serveHost, tree.marker);
  const missing = join(dumpDir, 'no-such-folder', 'dumps');
  const dialog = await dumpInto(page, tree.pids[3]!, missing);
  await expect(dialog.getByRole('alert')).toContainText(`'${join(dumpDir, 'no-such-folder')}' does not exist`);
  await expect(dialog).toBeVisible();
  // The worker's serve keeps jobs of earlier tests: none may name this tree's process.
  await expect(page.getByRole('region', { name: 'Dump jobs' }).getByText(new RegExp(`PID ${tree.pids[3]}\\b`))).toHaveCount(0);
  // Fixed, the same dialog dumps.
  await dialog.getByRole('textbox', { name: 'Folder' }).fill(dumpDir);
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByRole('region', { name: 'Dump jobs' }).getByRole('listitem', { name: /: saved$/ })).toBeVisible({ timeout: 20_000 });
});

test('A dump into a folder that does not exist does not become the remembered folder', async ({ page, serveHost, tree, dumpDir }) => {
  await openAndFilter(page, serveHost, tree.marker);
  await chooseFromRowMenu(page, processRow(page, 'bash', tree.pids[3]!), 'Create Minidump…', 'Create Dump');
  const first = page.getByRole('dialog', { name: 'Create Minidump' });
  const field = first.getByRole('textbox', { name: 'Folder' });
  await expect(field).not.toHaveValue('');
  const remembered = await field.inputValue();
  await field.fill(join(dumpDir, 'no-such-folder', 'dumps'));
  await first.getByRole('button', { name: 'Create' }).click();
  await page.waitForTimeout(500);
  if (await first.isVisible()) await page.keyboard.press('Escape');
  await expect(first).toHaveCount(0);

  await chooseFromRowMenu(page, processRow(page, 'bash', tree.pids[2]!), 'Create Minidump…', 'Create Dump');
  await expect(page.getByRole('dialog', { name: 'Create Minidump' }).getByRole('textbox', { name: 'Folder' })).toHaveValue(remembered);
  await page.keyboard.press('Escape');
});

test('The file written has the name the dialog showed', async ({ page, serveHost, tree, dumpDir }) => {
  const pid = tree.pids[3]!;
  await openAndFilter(page, serveHost, tree.marker);
  await chooseFromRowMenu(page, processRow(page, 'bash', pid), 'Create Minidump…', 'Create Dump');
  const dialog = page.getByRole('dialog', { name: 'Create Minidump' });
  const field = dialog.getByRole('textbox', { name: 'Folder' });
  await expect(field).not.toHaveValue('');
  await field.fill(dumpDir);
  // A person reads the name, thinks for a few seconds, then presses Create: the name on screen at that moment is
  // the one that counts.
  await page.waitForTimeout(2_500);
  await dialog.getByRole('button', { name: 'Create' }).evaluate((button) => {
    button.addEventListener('click', () => {
      (window as unknown as { shownName: string }).shownName = document.querySelector('output[aria-label="File name"]')!.textContent!;
    }, { capture: true, once: true });
  });
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByRole('region', { name: 'Dump jobs' }).getByRole('listitem', { name: `Minidump of bash, PID ${pid}: saved` })).toBeVisible({ timeout: 20_000 });
  const shown = await page.evaluate(() => (window as unknown as { shownName: string }).shownName);
  expect(shown).toMatch(new RegExp(`^bash_${pid}_\\d{8}_\\d{6}_mini\\.core$`));
  expect(readdirSync(dumpDir).filter((f) => f.endsWith('.core'))).toEqual([shown]);
});

test('Delete in the jobs panel asks first, naming the file and its size', async ({ page, serveHost, tree, dumpDir }) => {
  const pid = tree.pids[3]!;
  await openAndFilter(page, serveHost, tree.marker);
  await dumpInto(page, pid, dumpDir, 'Create Full Dump…');
  const job = page.getByRole('region', { name: 'Dump jobs' }).getByRole('listitem', { name: `Full dump of bash, PID ${pid}: saved` });
  await expect(job).toBeVisible({ timeout: 20_000 });
  const core = readdirSync(dumpDir).find((f) => f.endsWith('.core'))!;
  const path = join(dumpDir, core);
  const size = formatFileBytes(statSync(path).size);

  await job.getByRole('button', { name: 'Delete' }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete Dump' });
  await expect(confirm).toHaveAccessibleDescription(new RegExp(`${escape(path)}.*${escape(size)}`));
  // The safe answer has the focus: an Enter in passing deletes nothing.
  await expect(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(confirm).toHaveCount(0);
  expect(existsSync(path)).toBe(true);
  await expect(job).toBeVisible();

  await job.getByRole('button', { name: 'Delete' }).click();
  await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(job).toHaveCount(0);
  expect(readdirSync(dumpDir)).toEqual([]);
});

test('The jobs panel is compact in a 600 px window, says the secrets warning once and can be resized', async ({ page, serveHost, tree, dumpDir }) => {
  await page.setViewportSize({ width: 1000, height: 600 });
  await openAndFilter(page, serveHost, tree.marker);
  const panel = page.getByRole('region', { name: 'Dump jobs' });
  for (const pid of [tree.pids[3]!, tree.pids[2]!]) {
    await dumpInto(page, pid, dumpDir);
    await expect(panel.getByRole('listitem', { name: `Minidump of bash, PID ${pid}: saved` })).toBeVisible({ timeout: 20_000 });
  }
  await expect(panel.getByText(DUMP_SECRETS_WARNING)).toHaveCount(1);
  const height = async () => (await panel.boundingBox())!.height;
  expect(await height()).toBeLessThanOrEqual(600 * 0.25);

  const handle = page.getByRole('separator', { name: 'Resize the dump jobs panel' });
  await expect(handle).toHaveAttribute('aria-orientation', 'horizontal');
  const before = await height();
  const valueBefore = Number(await handle.getAttribute('aria-valuenow'));
  await handle.focus();
  for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowUp');
  await expect.poll(async () => Number(await handle.getAttribute('aria-valuenow'))).toBeGreaterThan(valueBefore);
  await expect.poll(height).toBeGreaterThan(before);
  // Dragging the handle down makes it smaller again.
  const box = (await handle.boundingBox())!;
  const grown = await height();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2 + 60, { steps: 4 });
  await page.mouse.up();
  await expect.poll(height).toBeLessThan(grown);
});

test('The list shows a focus ring when it has the focus and nothing is selected', async ({ page, serveHost }) => {
  await page.goto(serveHost.url);
  const grid = page.getByRole('treegrid', { name: 'Processes' });
  await expect(grid.getByRole('row').nth(3)).toBeVisible({ timeout: 10_000 });
  await expect(grid).not.toHaveAttribute('aria-activedescendant');
  const ring = () => grid.evaluate((el) => {
    const s = getComputedStyle(el);
    return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
  });
  expect(await ring()).toBe(false);
  await grid.focus();
  expect(await ring()).toBe(true);
});
