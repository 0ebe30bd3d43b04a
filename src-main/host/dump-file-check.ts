/*
 * The host's check of a dump path before anything reads it (Analyze Dump… in the browser host takes a typed
 * path; Analyze takes a job's own file, which may have been swapped since): absolute, no '..', every component
 * reached without a symbolic link or junction, a regular file, ELF or MDMP magic. Returns the file's identity
 * so the caller can tell afterwards that the file analysed is still the one checked. Every refusal is one
 * sentence (HostRequestError); it never follows a link to find out where it leads.
 */
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { HostRequestError } from './host-request-error';

export interface DumpFileIdentity {
  path: string;
  kind: 'elf-core' | 'minidump';
  fileBytes: number;
  dev: number;
  ino: number;
  mtimeMs: number;
}

const refuse = (message: string): never => {
  throw new HostRequestError('invalid-argument', message);
};

/** The path's components from the root down (the root itself excluded), so each can be lstat'ed. */
function componentsOf(path: string): string[] {
  const out: string[] = [];
  for (let p = path; dirname(p) !== p; p = dirname(p)) out.unshift(p);
  return out;
}

async function lstatOrRefuse(path: string, whole: string) {
  try {
    return await lstat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return refuse(`${whole} does not exist.`);
    if (code === 'EACCES' || code === 'EPERM') return refuse(`${whole} cannot be read: permission denied.`);
    return refuse(`${whole} cannot be read: ${(err as Error).message}`);
  }
}

export async function checkDumpFile(path: string): Promise<DumpFileIdentity> {
  const shown = path.length > 300 ? `${path.slice(0, 300)}…` : path;
  if (!isAbsolute(path)) refuse(`Give the dump's absolute path ('${shown}' is relative).`);
  if (path.split(/[\\/]/).includes('..')) refuse(`Give the dump's path without '..' ('${shown}').`);
  const full = resolve(path);
  for (const component of componentsOf(full)) {
    const st = await lstatOrRefuse(component, shown);
    if (st.isSymbolicLink()) refuse(`${shown} is reached through a link (${component.length > 300 ? 'a component' : component}); give the path of the file itself.`);
    if (component !== full && !st.isDirectory()) refuse(`${shown} does not exist.`);
  }
  const before = await lstatOrRefuse(full, shown);
  if (before.isDirectory()) refuse(`${shown} is a folder, not a dump file.`);
  if (!before.isFile()) refuse(`${shown} is not a regular file.`);
  let fh;
  try {
    // O_NOFOLLOW (where the OS has it): a link swapped in after the lstat is refused rather than followed;
    // O_NONBLOCK: a FIFO swapped in opens at once (and is refused below) instead of holding the open forever.
    fh = await open(full, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return refuse(`${shown} is a link; give the path of the file itself.`);
    if (code === 'EACCES' || code === 'EPERM') return refuse(`${shown} cannot be read: permission denied.`);
    return refuse(`${shown} cannot be opened: ${(err as Error).message}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.dev !== before.dev || st.ino !== before.ino) refuse(`${shown} changed while it was checked; try again.`);
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    const kind =
      bytesRead === 4 && head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])) ? 'elf-core' : bytesRead === 4 && head.toString('latin1') === 'MDMP' ? 'minidump' : null;
    if (!kind) refuse(`${shown} is not a dump: it starts with neither an ELF header (a Linux core) nor MDMP (a Windows minidump).`);
    return { path: full, kind: kind!, fileBytes: st.size, dev: st.dev, ino: st.ino, mtimeMs: st.mtimeMs };
  } finally {
    await fh.close();
  }
}

/** True when the path still names the same, unchanged file (checked after the analysis: it reads by path). */
export async function isSameDumpFile(identity: DumpFileIdentity): Promise<boolean> {
  try {
    const st = await lstat(identity.path);
    return st.isFile() && st.dev === identity.dev && st.ino === identity.ino && st.size === identity.fileBytes && st.mtimeMs === identity.mtimeMs;
  } catch {
    return false;
  }
}
