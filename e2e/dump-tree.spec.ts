// User flow: Dump Process Tree ▸ Minidumps… on a process with two children → one file per process, all three
// listed together in the jobs panel as one group; Clear finished then empties the list and leaves the files.
import { readdirSync, readFileSync } from 'node:fs';
import { chooseFromRowMenu, expect, openAndFilter, processRow, test } from './fixtures';

test('Dump Process Tree writes one file per process and lists the three together', async ({ page, serveHost, spawnProcess, dumpDir }) => {
  const marker = `pstree${Date.now().toString(36)}`;
  // bash with two sleep children: a 3-process tree whose root carries the marker ($0) in its command line.
  const root = await spawnProcess('bash', ['-c', 'sleep 600 & sleep 600 & wait', marker]);
  await expect.poll(() => readChildren(root.pid), { timeout: 10_000 }).toHaveLength(2);
  const childPids = readChildren(root.pid);
  await openAndFilter(page, serveHost, marker);
  await chooseFromRowMenu(page, processRow(page, 'bash', root.pid), 'Minidumps…', 'Dump Process Tree');

  const dialog = page.getByRole('dialog', { name: 'Dump Process Tree: Minidumps' });
  await dialog.getByRole('textbox', { name: 'Folder' }).fill(dumpDir);
  await dialog.getByRole('button', { name: 'Create' }).click();

  const group = page.getByRole('region', { name: 'Dump jobs' }).getByRole('region', { name: `Process tree of bash, PID ${root.pid}` });
  await expect(group.getByText('3 of 3 files written.')).toBeVisible({ timeout: 20_000 });
  await expect(group.getByRole('listitem', { name: `Minidump of bash, PID ${root.pid}: saved` })).toBeVisible();
  for (const pid of childPids) await expect(group.getByRole('listitem', { name: `Minidump of sleep, PID ${pid}: saved` })).toBeVisible();

  // Each saved job's hash follows its file (issue 15), and the pack with it: wait for all three hashes.
  await expect(group.getByText(/^[0-9a-f]{64}$/)).toHaveCount(3, { timeout: 20_000 });
  // Three cores, each with its analysis pack beside it.
  const files = readdirSync(dumpDir).sort();
  expect(files.filter((f) => f.endsWith('.core'))).toHaveLength(3);
  expect(files.filter((f) => f.endsWith('.pack')).sort()).toEqual(files.filter((f) => f.endsWith('.core')).map((f) => `${f}.pack`).sort());
  expect(files).toHaveLength(6);
  for (const [name, pid] of [['bash', root.pid], ...childPids.map((p) => ['sleep', p] as const)] as const) {
    const file = files.find((f) => new RegExp(`^${name}_${pid}_\\d{8}_\\d{6}_mini\\.core$`).test(f));
    expect(file, `a minidump of ${name} ${pid} in ${files.join(', ')}`).toBeDefined();
    await expect(group.getByText(`${dumpDir}/${file}`, { exact: true })).toBeVisible();
  }

  // Clear finished takes the group (and whatever else has finished) off the list; the files stay.
  await page.getByRole('region', { name: 'Dump jobs' }).getByRole('button', { name: /^Clear finished \(\d+\)$/ }).click();
  await expect(group).toHaveCount(0);
  expect(readdirSync(dumpDir).sort()).toEqual(files);
});

function readChildren(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`)
      .flatMap((tid) => {
        try {
          return readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/);
        } catch {
          return [];
        }
      })
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}
