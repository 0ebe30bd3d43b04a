// User flow (issue 12): Procscope running as an ordinary user (nobody) asked to capture the children of a root
// process → the watch fails saying it needs administrator rights, the Capture panel offers "Retry as administrator",
// and the retry runs the watch in the helper. The prompting elevator is replaced by the no-prompt test double
// (PROCSCOPE_TEST_ELEVATOR=direct), so the helper is still nobody and is refused in turn; nothing is written.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseFromRowMenu, expect, processRow, ROOT, test } from './fixtures';
import { waitForServeUrl } from '../scripts/serve-url.mjs';

const NOBODY = 65534;
const NOGROUP = 65534;

test('a capture without the rights offers Retry as administrator, which runs it in the helper', async ({ page, captureParent }) => {
  test.skip(process.getuid?.() !== 0, 'needs root to start the browser host as nobody');
  const base = mkdtempSync(join(tmpdir(), 'procscope-e2e-nobody-'));
  chmodSync(base, 0o755);
  const [configDir, dumpDir] = [join(base, 'config'), join(base, 'dumps')];
  for (const dir of [configDir, dumpDir]) {
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, NOBODY, NOGROUP);
  }
  const serve: ChildProcess = spawn(
    'setpriv',
    ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, join(ROOT, 'out', 'main', 'cli.js'), 'serve', '--port', '0'],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, HOME: base, PROCSCOPE_CONFIG_DIR: configDir, PROCSCOPE_TEST_ELEVATOR: 'direct' } },
  );
  try {
    const url = await waitForServeUrl(serve, 'serve as nobody');
    await page.goto(url);
    await page.getByRole('searchbox', { name: 'Filter by name, PID or command line' }).fill(captureParent.marker);
    await chooseFromRowMenu(page, processRow(page, 'bash', captureParent.pid), 'Capture Children…');
    const dialog = page.getByRole('dialog', { name: 'Capture Children' });
    await dialog.getByRole('textbox', { name: 'Folder' }).fill(dumpDir);
    await dialog.getByRole('button', { name: 'Start' }).click();

    const panel = page.getByRole('region', { name: 'Capture watches' });
    const failed = panel.getByRole('listitem', { name: `Capture of the children of bash, PID ${captureParent.pid}: failed` });
    const refusal = new RegExp(`^Failed: Process ${captureParent.pid} belongs to another user \\(uid 0\\); you are uid ${NOBODY}\\.`);
    await expect(failed.getByText(refusal)).toBeVisible({ timeout: 20_000 });
    await expect(failed.getByRole('button', { name: 'Stop' })).toHaveCount(0);
    await failed.getByRole('button', { name: 'Retry as administrator' }).click();

    // The test double grants no rights: the watch now runs in the helper (badge), which is refused in turn.
    await expect(failed.getByText('as administrator', { exact: true })).toBeVisible({ timeout: 20_000 });
    await expect(failed.getByText(refusal)).toBeVisible({ timeout: 20_000 });
    await expect(failed.getByRole('button', { name: 'Retry as administrator' })).toHaveCount(0);
    // Its children run as before, unheld, and nothing was dumped.
    expect((await captureParent.spawnChildren()).map((c) => c.exitCode)).toEqual([3, 4, 5]);
    expect(readdirSync(dumpDir)).toEqual([]);
  } finally {
    // Wait for it to exit: it saves its settings as it stops, and would make base again after the rm.
    const exited = new Promise((r) => serve.once('exit', r));
    if (serve.exitCode === null && serve.signalCode === null) {
      serve.kill('SIGTERM');
      await exited;
    }
    rmSync(base, { recursive: true, force: true });
  }
});
