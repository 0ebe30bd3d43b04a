#!/usr/bin/env node
// Makes assets/report.png for the README: the report view of the browser host (`procscope serve`, real backend) in
// Debian's Chromium, driven by Playwright as e2e/analyze-dump.spec.ts drives it. The dump is of e2e/deadlock.c (two
// named threads deadlocked on two mutexes, compiled here with gcc), written by `procscope dump` and opened through
// Analyze Dump… with its path, so the deadlock is the first finding. Linux, gcc; expects a fresh build (npx
// electron-vite build). Removes its temp folder. Usage: node scripts/screenshot-report.mjs [OUT.png]
/* global document, HTMLElement */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { waitForServeUrl } from './serve-url.mjs';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'out', 'main', 'cli.js');
const outPng = process.argv[2] ?? join(root, 'assets', 'report.png');
const work = mkdtempSync(join(tmpdir(), 'procscope-screenshot-report-'));
const stops = [];
const HEIGHT = 1000;

/** Starts the deadlock fixture; resolves with its pid once both workers sit in futex (syscall 202). */
async function startDeadlock() {
  const exe = join(work, 'deadlock');
  execFileSync('gcc', ['-O2', '-pthread', '-o', exe, join(root, 'e2e', 'deadlock.c')]);
  const child = spawn(exe, ['--port', '8080', '--token', 'hunter2'], { stdio: ['ignore', 'pipe', 'inherit'] });
  stops.push(() => child.kill('SIGKILL'));
  const pid = child.pid;
  for (let tries = 0; tries < 250; tries++) {
    const inFutex = readdirSync(`/proc/${pid}/task`).filter((t) => {
      const name = readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim();
      return name.startsWith('deadlock-') && readFileSync(`/proc/${pid}/task/${t}/syscall`, 'utf8').startsWith('202 ');
    });
    if (inFutex.length === 2) return pid;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the deadlock fixture did not deadlock');
}

try {
  const pid = await startDeadlock();
  const dump = JSON.parse(execFileSync(process.execPath, [cli, 'dump', String(pid), '--out', work, '--json'], { encoding: 'utf8' }));
  stops.shift()();
  const server = spawn(process.execPath, [cli, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  stops.push(() => server.kill('SIGTERM'));
  const url = await waitForServeUrl(server);
  const browser = await chromium.launch({ executablePath: process.env.PROCSCOPE_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  stops.push(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: process.env.SCHEME ?? 'light' });
  await page.goto(url);
  await page.getByRole('treegrid', { name: 'Processes' }).waitFor();
  await page.getByRole('button', { name: 'Analyze Dump…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Analyze Dump' });
  await dialog.getByRole('textbox', { name: 'Dump file' }).fill(dump.path);
  await dialog.getByRole('button', { name: 'Analyze' }).click();
  const report = page.getByRole('region', { name: 'Analysis report' });
  const first = report.getByRole('region', { name: 'Findings' }).getByRole('listitem').first();
  await first.filter({ hasText: 'Deadlock' }).waitFor({ timeout: 15_000 });
  await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
  // The panel scrolls within 48% of the window; for the picture it shows its top HEIGHT pixels at once.
  await report.evaluate((el) => {
    el.style.setProperty('max-height', 'none', 'important');
    el.style.setProperty('overflow', 'visible', 'important');
  });
  const box = await report.boundingBox();
  await page.screenshot({ path: outPng, fullPage: true, animations: 'disabled', clip: { x: box.x, y: box.y, width: box.width, height: Math.min(box.height, HEIGHT) } });
  console.log(`${outPng}: the report of ${dump.path.split('/').pop()}`);
} finally {
  for (const stop of stops.reverse()) await stop();
  rmSync(work, { recursive: true, force: true });
}
