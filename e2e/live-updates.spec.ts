// User flow: watch the tree live — a newly started child appears highlighted as new, a killed one goes away.
import { expect, openAndFilter, processRow, test } from './fixtures';

test('a new child appears highlighted and a killed one disappears', async ({ page, serveHost, tree }) => {
  await openAndFilter(page, serveHost, tree.marker);
  await expect(processRow(page, 'bash', tree.pids[3]!)).toBeVisible({ timeout: 10_000 });

  // Green for exactly one refresh interval, then an ordinary row. The page records every row it ever showed as new:
  // an expect() that polls the attribute (every second, after its first few tries) can fall between two refreshes
  // and never see a one-second state, and a loaded machine can delay the test's first look by as much.
  await page.evaluate(() => {
    const seen = new Set<string>();
    (window as unknown as { __rowsSeenNew: Set<string> }).__rowsSeenNew = seen;
    const note = (el: Element) => {
      if (el.getAttribute('data-status') === 'new') seen.add(el.getAttribute('aria-label') ?? '');
    };
    new MutationObserver((records) => {
      for (const record of records) {
        if (record.type === 'attributes') note(record.target as Element);
        for (const node of record.addedNodes) {
          if (!(node instanceof Element)) continue;
          note(node);
          node.querySelectorAll('[data-status]').forEach(note);
        }
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
  });
  const childPid = await tree.spawnChild(2);
  const child = processRow(page, 'bash', childPid);
  const seenNew = (label: string) => page.evaluate((l) => (window as unknown as { __rowsSeenNew: Set<string> }).__rowsSeenNew.has(l), label);
  await expect.poll(() => seenNew(`bash, PID ${childPid}`), { timeout: 10_000 }).toBe(true);
  await expect(child).toHaveAttribute('aria-level', String(Number(await processRow(page, 'bash', tree.pids[2]!).getAttribute('aria-level')) + 1));
  await expect(child).toHaveAttribute('data-status', 'steady', { timeout: 10_000 });

  process.kill(childPid, 'SIGKILL');
  await expect(child).toHaveCount(0, { timeout: 10_000 });
  await expect(processRow(page, 'bash', tree.pids[2]!)).toBeVisible();
});
