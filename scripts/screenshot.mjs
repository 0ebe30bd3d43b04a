#!/usr/bin/env node
// Makes assets/screenshot.png for the README: the browser host (`procscope serve`, real backend) on this machine,
// opened in Debian's Chromium by Playwright. Expects a fresh build (npx electron-vite build).
/* global document, HTMLElement */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { waitForServeUrl } from './serve-url.mjs';

const root = join(import.meta.dirname, '..');
const server = spawn(process.execPath, [join(root, 'out', 'main', 'cli.js'), 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await waitForServeUrl(server);
const browser = await chromium.launch({ executablePath: process.env.PROCSCOPE_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 }, colorScheme: process.env.SCHEME ?? 'light' });
  await page.goto(url);
  await page.getByRole('row', { name: /, PID 1$/ }).waitFor();
  // Two samples in, so the CPU column has values.
  await page.waitForTimeout(3000);
  const rows = page.getByRole('treegrid', { name: 'Processes' }).getByRole('row');
  await rows.nth(4).click();
  await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
  await page.screenshot({ path: process.argv[2] ?? join(root, 'assets', 'screenshot.png') });
} finally {
  await browser.close();
  server.kill('SIGTERM');
}
