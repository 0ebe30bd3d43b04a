/*
 * Shared e2e fixtures: one real `procscope serve` (the built out/main/cli.js, real Linux backend) per worker, and
 * per test a real 3-level process tree whose command lines carry a unique marker. Each tree level is a bash
 * running tree.sh; SIGUSR1 makes a level spawn one more child, so a test can watch a process arrive. A capture
 * test gets a parent (capture-parent.sh) that starts short-lived children with distinct exit codes when told to.
 */
import { test as base, expect, type Locator, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForServeUrl } from '../scripts/serve-url.mjs';

export const ROOT = join(__dirname, '..');
/** The built CLI the tests serve; PROCSCOPE_E2E_OUT names another build folder (`electron-vite build --outDir`), so
 * two people building at once do not overwrite each other's out/. */
export const SERVE_CLI = join(process.env.PROCSCOPE_E2E_OUT ?? join(ROOT, 'out'), 'main', 'cli.js');
const TREE_SCRIPT = join(__dirname, 'tree.sh');
const CAPTURE_PARENT_SCRIPT = join(__dirname, 'capture-parent.sh');

export interface ServeHost {
  url: string;
  origin: string;
  pid: number;
  /** The server's PROCSCOPE_CONFIG_DIR (dump settings, the persisted view). */
  configDir: string;
}

export interface TestTree {
  marker: string;
  /** pid per level: 1 = root (child of this test worker), 2, 3. */
  pids: Record<number, number>;
  /** Ask a level to spawn one more child; resolves with its pid. */
  spawnChild(level: 1 | 2 | 3): Promise<number>;
}

export interface CaptureParent {
  marker: string;
  pid: number;
  /** Tells it to start its 3 children at once (each exits at once with its own code); resolves when all have ended. */
  spawnChildren(): Promise<{ pid: number; exitCode: number }[]>;
}

export interface Spawned {
  pid: number;
  /** Ends it (and its process group) now; also done after the test. */
  kill(): void;
}

/** The worker's serve config folder while its server runs (freshView clears the saved view there). */
let serveConfigDir: string | null = null;

export const test = base.extend<
  {
    tree: TestTree;
    captureParent: CaptureParent;
    dumpDir: string;
    spawnProcess: (command: string, args: string[]) => Promise<Spawned>;
    freshView: void;
  },
  { serveHost: ServeHost }
>({
  // Every test starts from the default view: the worker's server persists one (view-settings.json) across tests.
  freshView: [
    // eslint-disable-next-line no-empty-pattern -- Playwright reads fixture dependencies from the pattern
    async ({}, use) => {
      if (serveConfigDir) rmSync(join(serveConfigDir, 'view-settings.json'), { force: true });
      await use();
    },
    { auto: true },
  ],
  serveHost: [
    // eslint-disable-next-line no-empty-pattern -- Playwright reads fixture dependencies from the pattern
    async ({}, use) => {
      // The dump settings go to a throw-away folder, never into the tester's $HOME.
      const configDir = mkdtempSync(join(tmpdir(), 'procscope-e2e-config-'));
      serveConfigDir = configDir;
      const child = spawn(process.execPath, [SERVE_CLI, 'serve', '--port', '0', '--interval', '1000'], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, PROCSCOPE_CONFIG_DIR: configDir },
      });
      // A server that does not start (a broken build) must not leave its config folder behind either.
      const url = await waitForServeUrl(child).catch((err: unknown) => {
        child.kill('SIGKILL');
        rmSync(configDir, { recursive: true, force: true });
        serveConfigDir = null;
        throw err;
      });
      await use({ url, origin: new URL(url).origin, pid: child.pid!, configDir });
      // serve saves its settings as it stops (mkdir -p included): remove the folder only once it has exited, or
      // that last write brings it back.
      const exited = new Promise((r) => child.once('exit', r));
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(configDir, { recursive: true, force: true });
      serveConfigDir = null;
    },
    { scope: 'worker' },
  ],
  // eslint-disable-next-line no-empty-pattern -- Playwright reads fixture dependencies from the pattern
  dumpDir: async ({}, use) => {
    const dir = mkdtempSync(join(tmpdir(), 'procscope-e2e-dumps-'));
    await use(dir);
    rmSync(dir, { recursive: true, force: true });
  },
  // eslint-disable-next-line no-empty-pattern -- Playwright reads fixture dependencies from the pattern
  spawnProcess: async ({}, use) => {
    const started: ChildProcess[] = [];
    const killGroup = (child: ChildProcess) => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    await use(async (command, args) => {
      const child = spawn(command, args, { stdio: 'ignore', detached: true });
      started.push(child);
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      return { pid: child.pid!, kill: () => killGroup(child) };
    });
    for (const child of started) killGroup(child);
  },
  // eslint-disable-next-line no-empty-pattern -- Playwright reads fixture dependencies from the pattern
  captureParent: async ({}, use) => {
    const marker = `pscap${randomBytes(4).toString('hex')}`;
    const child = spawn('bash', [CAPTURE_PARENT_SCRIPT, marker, '3'], { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
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
    await expect.poll(() => lines.some((l) => l.startsWith('pid ')), { timeout: 10_000 }).toBe(true);
    const pid = Number(lines.find((l) => l.startsWith('pid '))!.slice(4));
    await use({
      marker,
      pid,
      async spawnChildren() {
        const from = lines.length;
        child.stdin!.write('go\n');
        await expect.poll(() => lines.slice(from).includes('spawned'), { timeout: 30_000 }).toBe(true);
        return lines
          .slice(from)
          .map((l) => /^child (\d+) (\d+)$/.exec(l))
          .filter((m): m is RegExpExecArray => m !== null)
          .map((m) => ({ pid: Number(m[1]), exitCode: Number(m[2]) }));
      },
    });
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  },
  // eslint-disable-next-line no-empty-pattern -- Playwright reads fixture dependencies from the pattern
  tree: async ({}, use) => {
    const marker = `psmark${randomBytes(4).toString('hex')}`;
    const root: ChildProcess = spawn('bash', [TREE_SCRIPT, marker, '1'], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    const pids: Record<number, number> = {};
    const waiters: ((pid: number) => void)[] = [];
    let buffered = '';
    root.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const [, level, pid] = /^pid (\d+) (\d+)$/.exec(buffered.slice(0, nl)) ?? [];
        buffered = buffered.slice(nl + 1);
        if (level === '9') waiters.shift()?.(Number(pid));
        else if (level) pids[Number(level)] = Number(pid);
      }
    });
    await expect.poll(() => Object.keys(pids).length, { timeout: 10_000 }).toBe(3);
    await use({
      marker,
      pids,
      spawnChild: (level) =>
        new Promise<number>((resolve) => {
          waiters.push(resolve);
          process.kill(pids[level]!, 'SIGUSR1');
        }),
    });
    try {
      process.kill(-root.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  },
});

export { expect };

/** The tree's row for a pid, found as a person (or a screen reader) would: by role and name. */
/** Whether a process with this pid exists (signal 0). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A process and its ancestors up to the root of the tree (Linux: ppid from /proc/PID/stat), nearest first. The tree
 * lists every ancestor of a match, so how many rows a filter leaves depends on how deep the runner was started.
 */
export function ancestryOf(pid: number): number[] {
  const chain: number[] = [];
  for (let p = pid; p > 0 && chain.length < 1000; ) {
    chain.push(p);
    const stat = readFileSync(`/proc/${p}/stat`, 'latin1');
    p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  }
  return chain;
}

/**
 * Wait for a filtered tree's last row (its deepest match) and scroll the grid down to it, as a user would: below a
 * deep chain of ancestors it can start out of a short window, and out of the DOM (the grid virtualises rows).
 */
export async function scrollToLastRow(page: Page, row: Locator): Promise<void> {
  const grid = page.getByRole('treegrid', { name: 'Processes' });
  await expect(async () => {
    await grid.evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    await expect(row).toBeVisible({ timeout: 500 });
  }).toPass({ timeout: 10_000 });
}

export function processRow(page: Page, name: string, pid: number) {
  return page.getByRole('row', { name: `${name}, PID ${pid}`, exact: true });
}

export async function openAndFilter(page: Page, serveHost: ServeHost, text: string): Promise<void> {
  await page.goto(serveHost.url);
  await expect(page.getByRole('treegrid', { name: 'Processes' })).toBeVisible();
  await page.getByRole('searchbox', { name: 'Filter by name, PID or command line' }).fill(text);
}

/** Right-click a row and choose an item, going through a submenu when one is named (as a person would). */
export async function chooseFromRowMenu(page: Page, row: ReturnType<typeof processRow>, item: string, submenu?: string): Promise<void> {
  await row.click({ button: 'right' });
  const menu = page.getByRole('menu').first();
  if (submenu) {
    await menu.getByRole('menuitem', { name: submenu }).click();
    await page.getByRole('menu', { name: submenu }).getByRole('menuitem', { name: item }).click();
  } else {
    await menu.getByRole('menuitem', { name: item, exact: true }).click();
  }
}
