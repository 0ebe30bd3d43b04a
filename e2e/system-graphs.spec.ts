// User flow: the toolbar's system graphs (issue 14) — CPU, memory and I/O drawn by uPlot from the live stream,
// each a named figure with its value as text; hovering the CPU graph lists every core's CPU %.
import { cpus } from 'node:os';
import { expect, openAndFilter, processRow, test } from './fixtures';

test('the toolbar shows CPU, memory and I/O graphs, and per-core CPU on hover', async ({ page, serveHost }) => {
  await page.goto(serveHost.url);
  const graphs = page.getByRole('group', { name: 'System graphs' });
  const cpu = graphs.getByRole('figure', { name: 'CPU graph' });
  const memory = graphs.getByRole('figure', { name: 'Memory graph' });
  const io = graphs.getByRole('figure', { name: 'I/O graph' });
  for (const figure of [cpu, memory, io]) {
    await expect(figure).toBeVisible();
    // uPlot draws into a canvas of its own inside each figure.
    await expect(figure.locator('canvas')).toHaveCount(1);
  }
  // Values arrive once two polls have been measured (the first has no interval): text, not only pixels.
  await expect(cpu).toContainText(/CPU \d+\.\d %/, { timeout: 15_000 });
  await expect(memory).toContainText(/Commit \d+\.\d GB, used \d+\.\d GB/);
  await expect(io).toContainText(/Read .*K\/s, write .*K\/s/, { timeout: 15_000 });

  // The graph really plots: after a few polls the canvas holds non-transparent pixels.
  await page.waitForTimeout(2_500);
  const painted = await cpu.locator('canvas').evaluate((c: HTMLCanvasElement) => {
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
    return n;
  });
  expect(painted).toBeGreaterThan(0);

  await cpu.hover();
  const tooltip = page.getByRole('tooltip');
  await expect(tooltip).toBeVisible();
  const cores = tooltip.getByRole('list', { name: 'Per-core CPU' }).getByRole('listitem');
  // The serve host runs on this machine: one line per online CPU, each with a percentage.
  await expect(cores).toHaveCount(cpus().length);
  for (let i = 0; i < cpus().length; i++) await expect(cores.nth(i)).toHaveText(new RegExp(`^CPU ${i}: \\d+\\.\\d %$`));
  await expect(cpu).toHaveAttribute('aria-describedby', 'system-graph-cores');

  await page.mouse.move(0, 400);
  await expect(tooltip).toHaveCount(0);
});

test('an I/O column, once shown, makes the poll read I/O: the column fills in', async ({ page, serveHost, tree }) => {
  await openAndFilter(page, serveHost, tree.marker);
  const row = processRow(page, 'bash', tree.pids[1]!);
  await expect(row).toBeVisible({ timeout: 10_000 });
  await page.getByRole('button', { name: 'Columns…' }).click();
  await page.getByRole('checkbox', { name: 'I/O Read Bytes' }).check();
  await page.keyboard.press('Escape');
  const headers = page.getByRole('columnheader');
  await expect(headers.filter({ hasText: 'I/O Read Bytes' })).toHaveCount(1);
  const index = (await headers.allInnerTexts()).findIndex((h) => h.includes('I/O Read Bytes'));
  // bash has read its script by now: rchar is at least a few K, in K like every byte column.
  await expect(row.getByRole('gridcell').nth(index)).toHaveText(/^[\d,]+ K$/, { timeout: 10_000 });
});
