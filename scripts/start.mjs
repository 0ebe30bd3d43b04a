#!/usr/bin/env node
// `npm start`: build, then run the app in Electron. Where no Electron binary can be had, say so in one sentence
// and run the same services behind the browser host instead (`procscope serve`), printing its URL.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { findElectronBinary } from './electron-binary.mjs';

const root = join(import.meta.dirname, '..');
const build = spawnSync(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (build.status !== 0) {
  process.stderr.write('procscope: the build failed (see above).\n');
  process.exit(1);
}

const electron = findElectronBinary(root);
const child = electron.path
  ? spawn(electron.path, [root, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' })
  : (process.stdout.write(`Electron is not available: ${electron.reason}; starting the browser host instead.\n`),
    spawn(process.execPath, [join(root, 'out', 'main', 'cli.js'), 'serve', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' }));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
