// User flow (issue 15): a saved minidump's card → Prepare for upload → the .zst, the pack's .zst and the manifest
// appear on the card and beside the dump; the .zst decompresses to the dump's exact bytes and the manifest names the
// process the dump was taken of. The dump stays.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { zstdDecompressSync } from 'node:zlib';
import type { UploadPackageManifest } from '../src-shared/model/upload-package';
import { chooseFromRowMenu, expect, openAndFilter, processRow, test } from './fixtures';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

test('Prepare for upload writes a .zst, its SHA-256 and a manifest beside a saved dump', async ({ page, serveHost, tree, dumpDir }) => {
  const pid = tree.pids[2]!;
  await openAndFilter(page, serveHost, tree.marker);
  await chooseFromRowMenu(page, processRow(page, 'bash', pid), 'Create Minidump…', 'Create Dump');
  const dialog = page.getByRole('dialog', { name: 'Create Minidump' });
  await dialog.getByRole('textbox', { name: 'Folder' }).fill(dumpDir);
  await dialog.getByRole('button', { name: 'Create' }).click();

  const panel = page.getByRole('region', { name: 'Dump jobs' });
  const job = panel.getByRole('listitem', { name: `Minidump of bash, PID ${pid}: saved` });
  await expect(job).toBeVisible({ timeout: 20_000 });
  await expect(job.getByText(/^[0-9a-f]{64}$/)).toBeVisible({ timeout: 20_000 });
  const [core] = readdirSync(dumpDir).filter((f) => f.endsWith('.core'));
  const path = join(dumpDir, core!);

  await job.getByRole('button', { name: 'Prepare for upload' }).click();
  const result = job.getByRole('status', { name: 'Upload package' });
  await expect(result).toBeVisible({ timeout: 20_000 });
  await expect(result.getByText(`${path}.zst`, { exact: true })).toBeVisible();
  await expect(result.getByText(`${path}.manifest.json`, { exact: true })).toBeVisible();
  await expect(result.getByText(sha(readFileSync(`${path}.zst`)), { exact: true })).toBeVisible();
  await expect(job.getByRole('button', { name: 'Prepare for upload' })).toHaveCount(0);

  expect(readdirSync(dumpDir).sort()).toEqual([core, `${core}.manifest.json`, `${core}.pack`, `${core}.pack.zst`, `${core}.zst`].sort());
  const original = readFileSync(path);
  expect(sha(zstdDecompressSync(readFileSync(`${path}.zst`)))).toBe(sha(original));
  const m = JSON.parse(readFileSync(`${path}.manifest.json`, 'utf8')) as UploadPackageManifest;
  expect(m.process).toMatchObject({ name: 'bash', pid });
  expect(m.dump).toMatchObject({ file: core, format: 'elf-core', kind: 'mini', mode: 'live', bytes: original.length, sha256: sha(original) });
  expect(m.analysisPack?.sha256).toBe(sha(readFileSync(`${path}.pack`)));
  await page.screenshot({ path: 'test-results/screenshots/jobs-panel-upload-package.png' });
});
