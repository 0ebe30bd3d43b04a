/*
 * Before the browser host's "Retry as administrator" runs `node out/main/cli.js helper …` as root through pkexec:
 * every file that root would execute or load (node itself, the CLI bundle and its chunks in out/main, the runtime
 * packages they require) and every folder above each of them up to / must be owned by root and writable by no
 * one else, or whoever can write there decides what root runs. Runs in the serve host; it only reads metadata.
 */
import { lstat, readdir, realpath } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, parse } from 'node:path';

const STICKY = 0o1000;
const GROUP_OR_OTHER_WRITE = 0o022;

/** The files and package folders root would load to run `execPath cliScriptPath helper`. */
export async function elevatedCodePaths(execPath: string, cliScriptPath: string, packages: readonly string[]): Promise<string[]> {
  const bundleDir = dirname(cliScriptPath);
  const paths = [execPath, cliScriptPath, bundleDir];
  for (const entry of await readdir(bundleDir)) paths.push(join(bundleDir, entry));
  const require = createRequire(cliScriptPath);
  for (const name of packages) {
    let manifest: string;
    try {
      manifest = require.resolve(`${name}/package.json`);
    } catch {
      continue; // Not installed: nothing of it can be loaded either.
    }
    paths.push(...(await walk(dirname(manifest))));
  }
  return paths;
}

async function walk(dir: string): Promise<string[]> {
  const found = [dir];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await walk(path)));
    else found.push(path);
  }
  return found;
}

/**
 * The first path (or folder above it, up to /) that someone other than root could change, as a sentence; null
 * when all are safe. Each path is checked as written and as it resolves, so a link in the way is checked too.
 * A root-owned sticky folder (/tmp) may be world-writable: nobody else can rename or delete root's entries there.
 */
export async function findWritableElevatedCode(paths: readonly string[]): Promise<string | null> {
  const checked = new Set<string>();
  for (const path of paths) {
    let real: string;
    try {
      real = await realpath(path);
    } catch {
      return `it would run ${path} as root, and that file cannot be read.`;
    }
    for (const candidate of [path, real]) {
      for (let at = candidate; ; at = dirname(at)) {
        if (!checked.has(at)) {
          checked.add(at);
          const problem = await unsafeEntry(at);
          if (problem) return problem;
        }
        if (at === parse(at).root) break;
      }
    }
  }
  return null;
}

async function unsafeEntry(path: string): Promise<string | null> {
  const info = await lstat(path);
  const what = info.isDirectory() ? `the folder ${path}` : path;
  if (info.uid !== 0) return `it would run code from ${what} as root, and that belongs to uid ${info.uid}, not root.`;
  if (info.isSymbolicLink()) return null; // A link's own mode bits mean nothing; its target is checked as well.
  if ((info.mode & GROUP_OR_OTHER_WRITE) === 0) return null;
  if (info.isDirectory() && info.mode & STICKY) return null;
  const who = info.mode & 0o002 ? 'everyone' : `its group (gid ${info.gid})`;
  return `it would run code from ${what} as root, and ${who} may write there.`;
}
