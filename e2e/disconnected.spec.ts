// When the browser host goes away the page must say so: a banner, the list greyed (its data is no longer live),
// the actions disabled, no unhandled rejection (Space used to throw one); it retries with a growing delay and, when
// the connection returns, subscribes again and the list is live once more. Each test starts its own
// `procscope serve`, since one of them ends it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page, WebSocketRoute } from '@playwright/test';
import { waitForServeUrl } from '../scripts/serve-url.mjs';
import { chooseFromRowMenu, expect, processRow, SERVE_CLI, test } from './fixtures';

async function startServe(): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const configDir = mkdtempSync(join(tmpdir(), 'procscope-e2e-config-'));
  const child = spawn(process.execPath, [SERVE_CLI, 'serve', '--port', '0', '--interval', '1000'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, PROCSCOPE_CONFIG_DIR: configDir },
  });
  let url: string;
  try {
    url = await waitForServeUrl(child);
  } catch (err) {
    // A serve that did not start (a broken build) leaves no config folder behind either.
    rmSync(configDir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(configDir, { recursive: true, force: true });
    },
  };
}

function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
}

async function expectDisconnectedState(page: Page, errors: string[]) {
  await expect(page.getByRole('alert').filter({ hasText: /Disconnected/ })).toBeVisible({ timeout: 10_000 });
  await expect(page.getByRole('alert').filter({ hasText: /Disconnected/ })).toContainText(/retrying in \d+ s|reconnecting/i);
  const grid = page.getByRole('treegrid', { name: 'Processes' });
  await expect(grid).toHaveAttribute('aria-disabled', 'true');
  await expect(page.getByRole('button', { name: /^(Pause|Resume)$/ })).toBeDisabled();
  await expect(page.getByRole('combobox', { name: 'Refresh rate' })).toBeDisabled();
  // The keys that act on the host do nothing, and throw nothing.
  await grid.focus();
  await page.keyboard.press('Space');
  await page.keyboard.press('F5');
  await page.keyboard.press('Delete');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  // The row menu offers no action either.
  const someRow = grid.getByRole('row').nth(2);
  // force: the greyed list is aria-disabled, which Playwright would wait out; a person can still right-click it.
  await someRow.click({ button: 'right', force: true });
  await expect(page.getByRole('menu')).toHaveCount(0);
  await page.waitForTimeout(500);
  expect(errors).toEqual([]);
}

test('The host going away: banner, greyed list, disabled actions, no unhandled rejection', async ({ page, tree, dumpDir }) => {
  const serve = await startServe();
  try {
    const errors = watchErrors(page);
    await page.goto(serve.url);
    await page.getByRole('searchbox', { name: 'Filter by name, PID or command line' }).fill(tree.marker);
    const pid = tree.pids[3]!;
    await expect(processRow(page, 'bash', pid)).toBeVisible({ timeout: 10_000 });
    // A saved dump in the jobs panel, whose buttons ask the host too.
    await chooseFromRowMenu(page, processRow(page, 'bash', pid), 'Create Minidump…', 'Create Dump');
    const dialog = page.getByRole('dialog', { name: 'Create Minidump' });
    await expect(dialog.getByRole('textbox', { name: 'Folder' })).not.toHaveValue('');
    await dialog.getByRole('textbox', { name: 'Folder' }).fill(dumpDir);
    await dialog.getByRole('button', { name: 'Create' }).click();
    const job = page.getByRole('region', { name: 'Dump jobs' }).getByRole('listitem', { name: `Minidump of bash, PID ${pid}: saved` });
    await expect(job).toBeVisible({ timeout: 20_000 });
    await expect(job.getByRole('button', { name: 'Delete' })).toBeEnabled();

    await serve.stop();
    await expectDisconnectedState(page, errors);
    await expect(job.getByRole('button', { name: 'Delete' })).toBeDisabled();
  } finally {
    await serve.stop();
  }
});

test('A dropped connection is retried with back-off and the list is live again once it returns', async ({ page, tree }) => {
  const serve = await startServe();
  try {
    const errors = watchErrors(page);
    // The page's socket goes through this test, which can cut it and refuse new ones, as a broken SSH tunnel would.
    let up = true;
    let attemptsWhileDown = 0;
    const open: WebSocketRoute[] = [];
    await page.routeWebSocket(/\/ws\?/, (ws) => {
      if (!up) {
        attemptsWhileDown++;
        void ws.close({ code: 1011, reason: 'tunnel down' });
        return;
      }
      ws.connectToServer();
      open.push(ws);
    });
    await page.goto(serve.url);
    await page.getByRole('searchbox', { name: 'Filter by name, PID or command line' }).fill(tree.marker);
    await expect(processRow(page, 'bash', tree.pids[3]!)).toBeVisible({ timeout: 10_000 });

    up = false;
    for (const ws of open.splice(0)) await ws.close({ code: 1011, reason: 'tunnel down' });
    await expectDisconnectedState(page, errors);
    // While down, a process that arrives is not shown (the list is the last one seen).
    const childPid = await tree.spawnChild(3);
    await page.waitForTimeout(3_000);
    await expect(processRow(page, 'bash', childPid)).toHaveCount(0);
    expect(attemptsWhileDown).toBeGreaterThanOrEqual(1);
    // Back-off: not a retry storm (1 s, 2 s, 4 s, … apart).
    expect(attemptsWhileDown).toBeLessThanOrEqual(4);

    up = true;
    await expect(page.getByRole('alert').filter({ hasText: /Disconnected/ })).toHaveCount(0, { timeout: 15_000 });
    await expect(page.getByRole('treegrid', { name: 'Processes' })).not.toHaveAttribute('aria-disabled', 'true');
    await expect(processRow(page, 'bash', childPid)).toBeVisible({ timeout: 10_000 });
    // And live: another one arrives by itself.
    const secondPid = await tree.spawnChild(3);
    await expect(processRow(page, 'bash', secondPid)).toBeVisible({ timeout: 10_000 });
    await expect(page.getByRole('button', { name: 'Pause' })).toBeEnabled();
    expect(errors).toEqual([]);
  } finally {
    await serve.stop();
  }
});
