// User flow (issue 13): dump a process from the UI, press Analyze on the finished job → the report view shows the
// findings first and every thread as a collapsible group; Save as JSON downloads the same redacted report, Save as
// HTML the host's page of it.
// Then Analyze Dump… with a typed path: a file that is not a dump gets the host's sentence in the view. A C program
// with two threads deadlocked on two mutexes gets the deadlock as its first, error finding, naming both threads.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseFromRowMenu, expect, openAndFilter, processRow, test } from './fixtures';

/** Builds and starts e2e/deadlock.c; resolves once both workers sit in futex (202) with their names. */
async function startDeadlock(dir: string, marker: string) {
  const exe = join(dir, 'deadlock');
  execFileSync('gcc', ['-O2', '-pthread', '-o', exe, join(__dirname, 'deadlock.c')]);
  const child = spawn(exe, [marker], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = child.pid!;
  for (let tries = 0; ; tries++) {
    const tasks = readdirSync(`/proc/${pid}/task`).map((t) => ({
      tid: Number(t),
      name: readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim(),
      syscall: readFileSync(`/proc/${pid}/task/${t}/syscall`, 'utf8').split(' ')[0],
    }));
    const a = tasks.find((t) => t.name === 'deadlock-a' && t.syscall === '202');
    const b = tasks.find((t) => t.name === 'deadlock-b' && t.syscall === '202');
    if (a && b) return { pid, a: a.tid, b: b.tid, stop: () => child.kill('SIGKILL') };
    if (tries > 200) throw new Error('the deadlock fixture did not deadlock');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('Analyze on a finished dump shows the report, and Save as JSON downloads it', async ({ page, serveHost, tree, dumpDir }) => {
  const pid = tree.pids[3]!;
  await openAndFilter(page, serveHost, tree.marker);
  await chooseFromRowMenu(page, processRow(page, 'bash', pid), 'Create Minidump…', 'Create Dump');
  const dialog = page.getByRole('dialog', { name: 'Create Minidump' });
  await dialog.getByRole('textbox', { name: 'Folder' }).fill(dumpDir);
  await dialog.getByRole('button', { name: 'Create' }).click();
  const job = page.getByRole('region', { name: 'Dump jobs' }).getByRole('listitem', { name: `Minidump of bash, PID ${pid}: saved` });
  await expect(job).toBeVisible({ timeout: 10_000 });
  // The hash and the analysis pack follow the saved file (issue 15): analyze the dump with its pack.
  await expect(job.getByText(/^[0-9a-f]{64}$/)).toBeVisible({ timeout: 10_000 });

  const started = Date.now();
  await job.getByRole('button', { name: `Analyze the Minidump of bash, PID ${pid}` }).click();
  const report = page.getByRole('region', { name: 'Analysis report' });
  await expect(report.getByRole('heading', { name: `Analysis of bash (PID ${pid})` })).toBeVisible({ timeout: 10_000 });
  const analysedMs = Date.now() - started;
  const findings = report.getByRole('region', { name: 'Findings' });
  await expect(findings.getByRole('listitem').first()).toBeVisible();
  // bash waits for its child (tree.sh's `wait`) or sleeps: either way the summary says what the thread does.
  const thread = report.getByRole('group', { name: new RegExp(`^Thread ${pid}\\b`) });
  await expect(thread).toBeVisible();
  await thread.locator('summary').click();
  const frames = thread.getByRole('list', { name: `Frames of thread ${pid}` });
  await expect(frames.getByRole('listitem').first()).toBeVisible();
  await expect(frames).toContainText('libc.so.6');
  // The summary comes before the threads.
  const headings = await report.getByRole('heading', { level: 3 }).allTextContents();
  expect(headings.indexOf('Findings')).toBeLessThan(headings.findIndex((h) => h.startsWith('Threads')));
  await page.screenshot({ path: 'test-results/screenshots/analysis-report.png' });

  const downloading = page.waitForEvent('download');
  await report.getByRole('button', { name: 'Save as JSON' }).click();
  const download = await downloading;
  const file = readdirSync(dumpDir).find((f) => f.endsWith('.core'))!;
  expect(download.suggestedFilename()).toBe(`${file}.report.json`);
  const saved = join(dumpDir, 'saved.report.json');
  await download.saveAs(saved);
  const json = JSON.parse(readFileSync(saved, 'utf8')) as { threads: { tid: number }[]; findings: unknown[]; header: { pid: number } };
  expect(json.header.pid).toBe(pid);
  expect(json.threads.map((t) => t.tid)).toContain(pid);
  expect(json.findings.length).toBeGreaterThan(0);
  await expect(report.getByRole('status').filter({ hasText: 'The JSON report was downloaded.' })).toBeVisible();
  // Save as HTML: the page the host rendered from the same report.
  const downloadingHtml = page.waitForEvent('download');
  await report.getByRole('button', { name: 'Save as HTML' }).click();
  const html = await downloadingHtml;
  expect(html.suggestedFilename()).toBe(`${file}.report.html`);
  const page2 = join(dumpDir, 'saved.report.html');
  await html.saveAs(page2);
  const text = readFileSync(page2, 'utf8');
  expect(text).toMatch(/^<!doctype html>/i);
  expect(text).toContain(`${pid}`);
  console.log(`analysis of a bash minidump through the UI: ${analysedMs} ms, ${json.threads.length} thread(s), ${json.findings.length} finding(s)`);

  // Analyze Dump… with a typed path of a file that is no dump: the host's sentence, in the view.
  const notADump = join(dumpDir, 'notes.txt');
  writeFileSync(notADump, 'hello');
  await page.getByRole('button', { name: 'Analyze Dump…' }).click();
  const pathDialog = page.getByRole('dialog', { name: 'Analyze Dump' });
  await pathDialog.getByRole('textbox', { name: 'Dump file' }).fill(notADump);
  await pathDialog.getByRole('button', { name: 'Analyze' }).click();
  await expect(report.getByRole('alert')).toContainText(`${notADump} is not a dump`);
  await report.getByRole('button', { name: 'Close report' }).click();
  await expect(report).toHaveCount(0);
});

test('Analyze on a dump of two deadlocked threads puts the deadlock first, naming both', async ({ page, serveHost, dumpDir }) => {
  const buildDir = mkdtempSync(join(tmpdir(), 'procscope-e2e-deadlock-'));
  const marker = `deadlockmark${Date.now().toString(36)}`;
  const deadlocked = await startDeadlock(buildDir, marker);
  const { a, b } = deadlocked;
  try {
    await openAndFilter(page, serveHost, marker);
    await chooseFromRowMenu(page, processRow(page, 'deadlock', deadlocked.pid), 'Create Minidump…', 'Create Dump');
    const dialog = page.getByRole('dialog', { name: 'Create Minidump' });
    await dialog.getByRole('textbox', { name: 'Folder' }).fill(dumpDir);
    await dialog.getByRole('button', { name: 'Create' }).click();
    const job = page.getByRole('region', { name: 'Dump jobs' }).getByRole('listitem', { name: `Minidump of deadlock, PID ${deadlocked.pid}: saved` });
    await expect(job).toBeVisible({ timeout: 10_000 });
    await job.getByRole('button', { name: /^Analyze the / }).click();
    const report = page.getByRole('region', { name: 'Analysis report' });
    const first = report.getByRole('region', { name: 'Findings' }).getByRole('listitem').first();
    await expect(first).toContainText('Deadlock: 2 threads wait for each other', { timeout: 10_000 });
    await expect(first).toContainText('error');
    expect((await first.textContent())!.match(/threads (\d+), (\d+)/)!.slice(1).map(Number).sort()).toEqual([a, b].sort());
    // Error threads start open with their frames, down from the lock to the fixture's own function.
    const threadA = report.getByRole('group', { name: new RegExp(`^Thread ${a} \\(deadlock-a\\)`) });
    await expect(threadA.getByRole('list', { name: `Frames of thread ${a}` })).toContainText('pthread_mutex_lock');
    await expect(threadA.getByRole('list', { name: `Frames of thread ${a}` })).toContainText('deadlock!');
    // The marker went in as an argument; the command line is shown (redacted) in the header.
    await expect(report.getByText(marker).first()).toBeVisible();
    await page.screenshot({ path: 'test-results/screenshots/analysis-deadlock.png' });
  } finally {
    deadlocked.stop();
    rmSync(buildDir, { recursive: true, force: true });
  }
});
