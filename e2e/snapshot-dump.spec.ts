// User flow (issue 15): Create Minidump… with "Snapshot (shortest pause)" ticked → the job card says the dump was a
// snapshot and how long the process was paused; gdb opens the core; the process keeps no extra child (the clone
// was reaped) and is not traced.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { chooseFromRowMenu, expect, openAndFilter, processRow, test } from './fixtures';

function childrenOf(pid: number): string[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, 'latin1').split(/\s+/).filter(Boolean)).sort();
}

test('a snapshot dump from the dialog: the card says snapshot and the pause, gdb opens the core, nothing is left behind', async ({ page, serveHost, tree, dumpDir }) => {
  const pid = tree.pids[3]!;
  const childrenBefore = childrenOf(pid);
  await openAndFilter(page, serveHost, tree.marker);
  await chooseFromRowMenu(page, processRow(page, 'bash', pid), 'Create Minidump…', 'Create Dump');
  const dialog = page.getByRole('dialog', { name: 'Create Minidump' });
  const snapshot = dialog.getByRole('checkbox', { name: 'Snapshot (shortest pause)' });
  await expect(snapshot).not.toBeChecked(); // off by default
  await snapshot.check();
  await dialog.getByRole('textbox', { name: 'Folder' }).fill(dumpDir);
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(dialog).toHaveCount(0);

  const panel = page.getByRole('region', { name: 'Dump jobs' });
  const job = panel.getByRole('listitem', { name: `Minidump of bash, PID ${pid}: saved` });
  await expect(job).toBeVisible({ timeout: 20_000 });
  await expect(job.getByText(/, snapshot, paused /)).toBeVisible();
  await expect(job.getByText(/^[0-9a-f]{64}$/)).toBeVisible({ timeout: 20_000 });

  const core = readdirSync(dumpDir).find((f) => f.endsWith('_mini.core'))!;
  const gdb = execFileSync('gdb', ['-batch', '-ex', 'info threads', '-ex', 'bt', realpathSync('/bin/bash'), join(dumpDir, core)], {
    encoding: 'utf8',
    timeout: 30_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  expect(gdb).toMatch(new RegExp(`\\* 1\\s.*LWP ${pid}\\b`));
  expect(gdb).toMatch(/ in wait_for_single_pid \(/); // bash sits in its wait builtin: a wait4 the stop interrupted
  expect(childrenOf(pid)).toEqual(childrenBefore);
  expect(readFileSync(`/proc/${pid}/status`, 'latin1')).toMatch(/^TracerPid:\s+0$/m);

  await job.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog', { name: 'Delete Dump' }).getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(job).toHaveCount(0);
});
