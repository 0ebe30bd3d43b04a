/*
 * The Debian package that installed a file (the Image tab's "package owner"), from dpkg's own lists: each
 * /var/lib/dpkg/info/PACKAGE[:ARCH].list holds one installed path a line. No index is built — 764 lists, 7.7 MB and
 * 130,000 paths on the machine this was written on, which as a Map would cost ~20 MB of the host's memory for a
 * field one tab shows: a lookup reads the lists asynchronously (the libuv pool, never the main thread's I/O) and
 * searches each for the whole line — 6 ms for bash, 95 ms for a path no list holds (measured here) — once per
 * path (answers kept, bounded). One lookup runs at a time.
 * Merged /usr (Debian 12): the list may name /bin/x for /usr/bin/x, so both spellings are tried. Not Debian: null.
 */
import { readdir, readFile } from 'node:fs/promises';

const INFO_DIR = '/var/lib/dpkg/info';
const MAX_CACHED = 512;
const MERGED = ['/bin/', '/sbin/', '/lib/', '/lib32/', '/lib64/', '/libx32/'];

const answers = new Map<string, string | null>();
let queue: Promise<unknown> = Promise.resolve();

/** The other spelling of a path under merged /usr, or null. */
function mergedAlias(path: string): string | null {
  if (path.startsWith('/usr/')) {
    const rest = path.slice(4);
    return MERGED.some((p) => rest.startsWith(p)) ? rest : null;
  }
  return MERGED.some((p) => path.startsWith(p)) ? `/usr${path}` : null;
}

async function scan(path: string, infoDir: string): Promise<string | null> {
  let names: string[];
  try {
    names = (await readdir(infoDir)).filter((n) => n.endsWith('.list'));
  } catch {
    return null; // not a dpkg system
  }
  const wanted = [path, mergedAlias(path)].filter((p): p is string => p !== null).map((p) => `\n${p}\n`);
  for (const name of names) {
    const text = await readFile(`${infoDir}/${name}`, 'utf8').catch(() => null);
    if (text === null) continue;
    const padded = `\n${text}${text.endsWith('\n') ? '' : '\n'}`;
    if (wanted.some((w) => padded.includes(w))) return name.slice(0, -'.list'.length).replace(/:[^:]+$/, '');
  }
  return null;
}

/** The owning package's name (without ':arch'), or null (no dpkg, not packaged). */
export function dpkgOwnerOf(path: string, infoDir = INFO_DIR): Promise<string | null> {
  const key = `${infoDir}\0${path}`;
  if (answers.has(key)) return Promise.resolve(answers.get(key)!);
  const run = queue.then(async () => {
    if (answers.has(key)) return answers.get(key)!;
    const owner = await scan(path, infoDir);
    if (answers.size >= MAX_CACHED) answers.delete(answers.keys().next().value!);
    answers.set(key, owner);
    return owner;
  });
  queue = run.catch(() => null);
  return run;
}
