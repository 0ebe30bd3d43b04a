// User flow: watch the tree live — a newly started child appears highlighted as new, a killed one goes away.
import { expect, openAndFilter, processRow, test } from './fixtures';

test('a new child appears highlighted and a killed one disappears', async ({ page, serveHost, tree }) => {
  await openAndFilter(page, serveHost, tree.marker);
  await expect(processRow(page, 'bash', tree.pids[3]!)).toBeVisible({ timeout: 10_000 });

  const childPid = await tree.spawnChild(2);
  const child = processRow(page, 'bash', childPid);
  // Green for exactly one refresh interval, then an ordinary row.
  await expect(child).toHaveAttribute('data-status', 'new', { timeout: 10_000 });
  await expect(child).toHaveAttribute('aria-level', String(Number(await processRow(page, 'bash', tree.pids[2]!).getAttribute('aria-level')) + 1));
  await expect(child).toHaveAttribute('data-status', 'steady', { timeout: 10_000 });

  process.kill(childPid, 'SIGKILL');
  await expect(child).toHaveCount(0, { timeout: 10_000 });
  await expect(processRow(page, 'bash', tree.pids[2]!)).toBeVisible();
});
