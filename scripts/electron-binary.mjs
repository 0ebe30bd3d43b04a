// Finds the Electron binary without triggering a crash: Electron 45 downloads it from GitHub at first start, which
// is impossible on machines without that network (CI here). Returns the path, or null with the reason.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function findElectronBinary(root, { tryDownload = true } = {}) {
  const dir = join(root, 'node_modules', 'electron');
  if (!existsSync(dir)) return { path: null, reason: 'the electron package is not installed (run npm install)' };
  const pathFile = join(dir, 'path.txt');
  const resolve = () => {
    if (process.env.ELECTRON_OVERRIDE_DIST_PATH) return join(process.env.ELECTRON_OVERRIDE_DIST_PATH, 'electron');
    if (!existsSync(pathFile)) return null;
    const p = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
    return existsSync(p) ? p : null;
  };
  let found = resolve();
  if (!found && tryDownload) {
    const r = spawnSync(process.execPath, [join(dir, 'install.js')], { stdio: 'ignore', timeout: 120_000 });
    if (r.status === 0) found = resolve();
  }
  return found
    ? { path: found, reason: null }
    : { path: null, reason: 'the Electron binary could not be downloaded (Electron fetches it from GitHub at first start)' };
}
