#!/usr/bin/env node
// `npm run win -- <procscope arguments>`: builds the CLI (out/main/cli.js) and runs it under Wine with the
// Windows node.exe and koffi from .cache/win, so `list`, `list --tree` and `dump <pid>` can be tried by hand on
// Linux. Set PROCSCOPE_WIN_NO_BUILD=1 to reuse the last build. Paths given to the CLI are Windows paths: the
// Linux file system is Wine's Z: drive (e.g. --out Z:\tmp).
import { spawnSync } from 'node:child_process';
import { ensureWinRuntime, root, runWine, stageBuiltCli } from './wine/wine-env.mjs';

const args = process.argv.slice(2);
try {
  ensureWinRuntime();
} catch (err) {
  process.stderr.write(`win: ${err.message}\n`);
  process.exit(2);
}
if (!process.env.PROCSCOPE_WIN_NO_BUILD) {
  const build = spawnSync('npx', ['--no-install', 'electron-vite', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.status !== 0) {
    process.stderr.write('win: the build failed (npx electron-vite build).\n');
    process.exit(2);
  }
}
const cli = stageBuiltCli();
const r = await runWine(cli, args, { timeoutMs: 30 * 60_000 });
process.stdout.write(r.stdout);
process.stderr.write(r.stderr);
if (r.timedOut) process.stderr.write('win: stopped after 30 minutes.\n');
process.exit(r.code ?? 1);
