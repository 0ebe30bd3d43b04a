#!/usr/bin/env node
// Makes the README's pictures of issue 14 (the browser host, `procscope serve`, real backend, in Debian's Chromium
// driven by Playwright as the e2e specs drive it), of e2e/detail-target.c compiled here with gcc (a dlopen()ed
// libpsdetail.so, a file held open, a TCP listener, a thread parked in psdetail_parked_here):
//   assets/lower-pane.png             the tree with the lower pane listing the fixture's DLLs (found by Find Handle or DLL)
//   assets/properties-threads.png     its Properties window, Threads tab, the parked thread's stack
//   assets/properties-performance.png the Performance tab's history graphs (of the serve process itself)
// Linux, gcc; expects a fresh build (npx electron-vite build; PROCSCOPE_OUT names another build folder). Removes its
// temp folder. Usage: node scripts/screenshot-detail.mjs [OUT_DIR]
/* global document, HTMLElement */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { waitForServeUrl } from './serve-url.mjs';

const root = join(import.meta.dirname, '..');
const cli = join(process.env.PROCSCOPE_OUT ?? join(root, 'out'), 'main', 'cli.js');
const outDir = process.argv[2] ?? join(root, 'assets');
const work = mkdtempSync(join(tmpdir(), 'procscope-screenshot-detail-'));
const stops = [];

/** Builds and starts the fixture; resolves once it says it is ready. */
async function startTarget() {
  const source = join(root, 'e2e', 'detail-target.c');
  const lib = join(work, 'libpsdetail.so');
  const exe = join(work, 'detail-target');
  const held = join(work, 'held-report.txt');
  execFileSync('gcc', ['-O1', '-g', '-shared', '-fPIC', '-DDETAIL_LIB', '-o', lib, source]);
  execFileSync('gcc', ['-O1', '-g', '-pthread', '-o', exe, source, '-ldl']);
  writeFileSync(held, 'held open\n');
  const child = spawn(exe, ['screenshot', held, lib], { stdio: ['ignore', 'pipe', 'inherit'] });
  stops.push(() => child.kill('SIGKILL'));
  const line = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.once('exit', (code) => reject(new Error(`detail-target exited with ${code}`)));
  });
  const [, , tid] = /^ready (\d+) (\d+)$/.exec(line);
  return { pid: child.pid, tid: Number(tid), held };
}

const blur = (page) => page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());

try {
  const target = await startTarget();
  // A config folder of its own: a saved view (a lower pane left open) must not change the pictures.
  const configDir = join(work, 'config');
  const server = spawn(process.execPath, [cli, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PROCSCOPE_CONFIG_DIR: configDir } });
  stops.push(() => server.kill('SIGTERM'));
  const url = await waitForServeUrl(server);
  const browser = await chromium.launch({ executablePath: process.env.PROCSCOPE_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  stops.push(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 760 }, colorScheme: process.env.SCHEME ?? 'light' });
  await page.goto(url);
  const grid = page.getByRole('treegrid', { name: 'Processes' });
  await page.getByRole('row', { name: /, PID 1$/ }).waitFor();
  await grid.focus();
  await page.keyboard.press('Control+Shift+F');
  const find = page.getByRole('dialog', { name: 'Find Handle or DLL' });
  await find.getByRole('searchbox').fill('held-report');
  await find.getByRole('button', { name: 'Search' }).click();
  await find.getByRole('table', { name: 'Matches' }).getByRole('row').filter({ hasText: target.held }).click();
  await page.keyboard.press('Control+l');
  await page.getByRole('region', { name: 'Lower pane' }).getByText('libpsdetail.so').first().waitFor();
  // Two samples in, so the CPU column and the toolbar graphs have values.
  await page.waitForTimeout(2500);
  await blur(page);
  await page.screenshot({ path: join(outDir, 'lower-pane.png') });

  const popup = page.waitForEvent('popup');
  await grid.focus();
  await page.getByRole('row', { name: `detail-target, PID ${target.pid}` }).click({ button: 'right' });
  await page.getByRole('menu').first().getByRole('menuitem', { name: 'Properties', exact: true }).click();
  const win = await popup;
  await win.setViewportSize({ width: 900, height: 620 });
  await win.getByRole('tab', { name: 'Threads' }).click();
  await win.getByRole('table', { name: 'Threads' }).getByRole('row').filter({ hasText: 'detail-parked' }).click();
  await win.getByRole('button', { name: 'Stack' }).click();
  await win.getByRole('region', { name: `Stack of thread ${target.tid}` }).getByText('psdetail_parked_here').waitFor({ timeout: 10_000 });
  await blur(win);
  await win.screenshot({ path: join(outDir, 'properties-threads.png') });

  // The Performance graphs of a busier process than the parked fixture: the server itself, serving this page.
  await page.getByRole('searchbox', { name: 'Filter by name, PID or command line' }).fill(String(server.pid));
  const perfPopup = page.waitForEvent('popup');
  await page.getByRole('row', { name: new RegExp(`, PID ${server.pid}$`) }).click({ button: 'right' });
  await page.getByRole('menu').first().getByRole('menuitem', { name: 'Properties', exact: true }).click();
  const perf = await perfPopup;
  await perf.setViewportSize({ width: 900, height: 620 });
  await perf.getByRole('tab', { name: 'Performance' }).click();
  await perf.getByRole('figure', { name: 'CPU history' }).waitFor();
  // Some samples on the graphs.
  await perf.waitForTimeout(12_000);
  await blur(perf);
  await perf.screenshot({ path: join(outDir, 'properties-performance.png') });
  console.log(`${outDir}: lower-pane.png, properties-threads.png, properties-performance.png of detail-target (PID ${target.pid})`);
} finally {
  for (const stop of stops.reverse()) await stop();
  rmSync(work, { recursive: true, force: true });
}
