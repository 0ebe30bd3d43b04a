// User flow: a process tree started on the machine shows up in the live view, nested under its parent.
import { expect, openAndFilter, processRow, test } from './fixtures';

test('a spawned 3-level tree appears under its parent', async ({ page, serveHost, tree }) => {
  await openAndFilter(page, serveHost, tree.marker);
  const parent = page.getByRole('row', { name: new RegExp(`, PID ${process.pid}$`) });
  const levels = [parent, processRow(page, 'bash', tree.pids[1]!), processRow(page, 'bash', tree.pids[2]!), processRow(page, 'bash', tree.pids[3]!)];
  for (const row of levels) await expect(row).toBeVisible({ timeout: 10_000 });
  const parentLevel = Number(await parent.getAttribute('aria-level'));
  for (let i = 1; i <= 3; i++) await expect(levels[i]!).toHaveAttribute('aria-level', String(parentLevel + i));
  await expect(levels[1]!).toHaveAttribute('aria-expanded', 'true');
  // Rows follow tree order: each level directly below its parent (its sleep child sorts after the next level).
  const rows = page.getByRole('treegrid', { name: 'Processes' }).getByRole('row');
  const names = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
  const at = (pid: number) => names.findIndex((n) => n?.endsWith(`PID ${pid}`));
  expect(at(tree.pids[1]!)).toBeGreaterThan(at(process.pid));
  expect(at(tree.pids[2]!)).toBe(at(tree.pids[1]!) + 1);
  expect(at(tree.pids[3]!)).toBe(at(tree.pids[2]!) + 1);
});
