// User flow (issue 12, Linux): right-click a parent → Capture Children… → "Hold at exec of these binaries (fanotify,
// parent not traced)" with one binary (a private copy of /bin/true) → at start → Start; the parent then runs that
// binary → the jobs panel lists its dump "at start", the file is there, the child ran to its end (exit 0), and the
// parent was never traced (TracerPid 0 in its /proc status, sampled while the watch runs).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseFromRowMenu, expect, openAndFilter, processRow, test } from './fixtures';

/** A bash whose command line carries `marker`; each stdin line runs `binary` once: "child PID", then "done CODE". */
function execParent(marker: string, binary: string) {
  const script = 'echo "pid $$"; while read -r _; do "$1" & echo "child $!"; wait $!; echo "done $?"; done';
  const child = spawn('bash', ['-c', script, marker, binary], { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
  const lines: string[] = [];
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      lines.push(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  });
  const pidOf = (prefix: string) => Number(lines.find((l) => l.startsWith(prefix))?.slice(prefix.length));
  return {
    lines,
    pid: () => pidOf('pid '),
    async run(): Promise<{ pid: number; exitCode: number }> {
      const from = lines.length;
      child.stdin!.write('go\n');
      await expect.poll(() => lines.slice(from).some((l) => l.startsWith('done ')), { timeout: 30_000 }).toBe(true);
      const mine = lines.slice(from);
      return { pid: Number(mine.find((l) => l.startsWith('child '))!.slice(6)), exitCode: Number(mine.find((l) => l.startsWith('done '))!.slice(5)) };
    },
    kill() {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    },
  };
}

const tracerPid = (pid: number) => Number(/^TracerPid:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1] ?? -1);

test('Capture Children in fanotify exec mode dumps a child at its exec of the named binary; the parent is not traced', async ({ page, serveHost, dumpDir }) => {
  test.skip(process.platform !== 'linux', 'fanotify exec mode is Linux only');
  const binDir = mkdtempSync(join(tmpdir(), 'procscope-e2e-exec-'));
  const name = `pstrue${randomBytes(3).toString('hex')}`;
  const binary = join(binDir, name);
  copyFileSync('/bin/true', binary);
  chmodSync(binary, 0o755);
  const marker = `pscapexec${randomBytes(4).toString('hex')}`;
  const parent = execParent(marker, binary);
  try {
    await expect.poll(() => parent.pid() > 0, { timeout: 10_000 }).toBe(true);
    const parentPid = parent.pid();
    await openAndFilter(page, serveHost, marker);
    await chooseFromRowMenu(page, processRow(page, 'bash', parentPid), 'Capture Children…');

    const dialog = page.getByRole('dialog', { name: 'Capture Children' });
    await dialog.getByRole('checkbox', { name: 'Hold at exec of these binaries (fanotify, parent not traced)' }).check();
    // The mode watches the children only: the other scopes cannot be chosen with it.
    await expect(dialog.getByRole('radio', { name: 'This process' })).toBeDisabled();
    const paths = dialog.getByRole('textbox', { name: /^Binaries, one full path a line/ });
    // The form's own check first: a relative path is refused in the dialog.
    await paths.fill('pstrue');
    await dialog.getByRole('textbox', { name: 'Folder' }).fill(dumpDir);
    await dialog.getByRole('button', { name: 'Start' }).click();
    await expect(dialog.getByText('pstrue is not a full path: it must start with /.')).toBeVisible();
    await paths.fill(binary);
    await dialog.getByRole('checkbox', { name: 'At exit', exact: true }).uncheck();
    await dialog.getByRole('checkbox', { name: 'At start', exact: true }).check();
    await dialog.getByRole('button', { name: 'Start' }).click();
    await expect(dialog).toHaveCount(0);

    const title = `Capture of the children of bash, PID ${parentPid}`;
    const watch = page.getByRole('region', { name: 'Capture watches' }).getByRole('listitem', { name: `${title}: armed` });
    await expect(watch).toBeVisible({ timeout: 20_000 });
    expect(tracerPid(parentPid)).toBe(0);

    const child = await parent.run();
    expect(child.exitCode).toBe(0);
    expect(tracerPid(parentPid)).toBe(0);
    const jobs = page.getByRole('region', { name: 'Dump jobs' });
    await expect(jobs.getByRole('listitem', { name: new RegExp(`^Minidump of ${name}, PID ${child.pid}, at start: saved$`) })).toBeVisible({ timeout: 30_000 });
    const files = readdirSync(dumpDir);
    expect(files.filter((f) => f.includes(`-at-start_${child.pid}_`)), `one dump of ${child.pid} in ${files.join(', ')}`).toHaveLength(1);

    await watch.getByRole('button', { name: 'Stop' }).click();
    await expect(page.getByRole('region', { name: 'Capture watches' }).getByRole('listitem', { name: `${title}: ended` })).toBeVisible({ timeout: 10_000 });
    expect(tracerPid(parentPid)).toBe(0);
  } finally {
    parent.kill();
    rmSync(binDir, { recursive: true, force: true });
  }
});
