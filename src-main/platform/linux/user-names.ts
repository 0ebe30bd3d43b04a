/*
 * uid → user name for the Linux backend. getpwuid_r (through koffi) rather than parsing /etc/passwd, because users
 * from LDAP, sssd or systemd-homed exist only behind NSS — reading the file would show their processes as bare
 * numbers. NSS can be slow (a network directory), so each uid is looked up once per backend and cached; a machine
 * has a handful of distinct uids, so the cache stays tiny.
 */
import { userNameOfUidSync } from './ffi/libc';

export type UidLookup = (uid: number) => string | null;

/** Unknown uids show as the number, as ps and top do, so the column never lies by being empty. */
export function createUserNameCache(lookup: UidLookup = userNameOfUidSync): (uid: number) => string {
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
