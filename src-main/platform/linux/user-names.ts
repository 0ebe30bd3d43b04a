/*
 * uid → user name for the Linux backend. Through NSS (getpwuid_r via koffi) rather than parsing /etc/passwd alone,
 * because users from LDAP, sssd or systemd-homed exist only behind NSS — reading the file would show their processes
 * as bare numbers. NSS can be slow (a network directory), so each uid is looked up once per backend and cached; a
 * machine has a handful of distinct uids, so the cache stays tiny. When nsswitch.conf asks `files` first, a uid that
 * /etc/passwd holds is answered from it — what NSS would answer — without loading koffi (see passwdFilesLookup).
 */
import { readFileSync } from 'node:fs';
import { userNameOfUidSync } from './ffi/libc';

export type UidLookup = (uid: number) => string | null;

/**
 * Whether the `passwd:` line of an nsswitch.conf text names `files` as its first service (nsswitch.conf(5)): then
 * getpwuid asks /etc/passwd first and returns its entry whenever the file has one (the default action on success
 * is return). False when there is no such line (glibc's built-in default is not assumed).
 */
export function passwdFilesFirst(nsswitchText: string): boolean {
  for (const raw of nsswitchText.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const m = /^passwd\s*:\s*(\S+)/.exec(line);
    if (m) return m[1] === 'files';
  }
  return false;
}

/**
 * uid → name of the first entry for each uid in a passwd(5) text, as glibc's files backend scans it; null when the
 * file has NIS compat entries (`+`/`-` lines), whose meaning depends on the service, so NSS must answer.
 */
export function parsePasswdNames(text: string): Map<number, string> | null {
  const names = new Map<number, string>();
  for (const raw of text.split('\n')) {
    // glibc's files backend (nss/nss_files/files-XXX.c) skips leading blanks, empty lines and comments.
    const line = raw.trimStart();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('+') || line.startsWith('-')) return null;
    const fields = line.split(':');
    // As glibc's line parser, which refuses an entry whose uid or gid is not a number.
    if (fields.length < 7 || fields[0] === '' || !/^\d+$/.test(fields[2]!) || !/^\d+$/.test(fields[3]!)) continue;
    const uid = Number(fields[2]);
    if (!names.has(uid)) names.set(uid, fields[0]!);
  }
  return names;
}

/**
 * A lookup that answers from /etc/passwd where NSS would (files first), else through `nss`. The file is read once,
 * at the first call: a uid added to it later is not in that map and goes to NSS, which reads the file afresh.
 */
export function passwdFilesLookup(
  nss: UidLookup = userNameOfUidSync,
  readText: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): UidLookup {
  let files: Map<number, string> | null | undefined;
  return (uid) => {
    if (files === undefined) {
      try {
        files = passwdFilesFirst(readText('/etc/nsswitch.conf')) ? parsePasswdNames(readText('/etc/passwd')) : null;
      } catch {
        files = null;
      }
    }
    return files?.get(uid) ?? nss(uid);
  };
}

/** Unknown uids show as the number, as ps and top do, so the column never lies by being empty. */
export function createUserNameCache(lookup: UidLookup = passwdFilesLookup()): (uid: number) => string {
  const names = new Map<number, string>();
  return (uid) => {
    let name = names.get(uid);
    if (name === undefined) {
      name = lookup(uid) ?? String(uid);
      names.set(uid, name);
    }
    return name;
  };
}
