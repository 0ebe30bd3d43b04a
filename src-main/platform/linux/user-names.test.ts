import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { userNameOfUidSync } from './ffi/libc';
import { parseProcStatusUids } from './proc-status';
import { createUserNameCache, parsePasswdNames, passwdFilesFirst, passwdFilesLookup } from './user-names';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/bash',
  '# a comment:x:5:5::/:/bin/sh',
  'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
  'toor:x:0:0:second root:/root:/bin/sh',
  'broken:x:notanumber:1::/:/bin/sh',
  'short:x:7:7',
  'badgid:x:8:x::/:/bin/sh',
  '',
].join('\n');

describe('passwdFilesFirst', () => {
  it('is true only when the passwd line names files first', () => {
    expect(passwdFilesFirst('# comment\npasswd:         files systemd\ngroup: files\n')).toBe(true);
    expect(passwdFilesFirst('passwd: files')).toBe(true);
    expect(passwdFilesFirst('passwd:files [NOTFOUND=return] ldap')).toBe(true);
    expect(passwdFilesFirst('passwd: sss files\n')).toBe(false);
    expect(passwdFilesFirst('passwd: compat\n')).toBe(false);
    expect(passwdFilesFirst('#passwd: files\ngroup: files\n')).toBe(false);
    expect(passwdFilesFirst('')).toBe(false);
  });
});

describe('parsePasswdNames', () => {
  it('keeps the first entry of each uid and skips lines glibc would refuse', () => {
    const names = parsePasswdNames(PASSWD)!;
    expect([...names]).toEqual([
      [0, 'root'],
      [1, 'daemon'],
    ]);
  });

  it('gives up on NIS compat entries, whose meaning depends on the service', () => {
    expect(parsePasswdNames('root:x:0:0::/:/bin/sh\n+@admins::::::\n')).toBeNull();
    expect(parsePasswdNames('-baduser::::::\nroot:x:0:0::/:/bin/sh\n')).toBeNull();
  });
});

describe('passwdFilesLookup', () => {
  const files = (nsswitch: string) => (path: string) => {
    if (path === '/etc/nsswitch.conf') return nsswitch;
    if (path === '/etc/passwd') return PASSWD;
    throw new Error(`unexpected read of ${path}`);
  };

  it('answers a uid that /etc/passwd holds without asking NSS, and asks NSS for the others', () => {
    const asked: number[] = [];
    const lookup = passwdFilesLookup((uid) => {
      asked.push(uid);
      return uid === 4242 ? 'ldapuser' : null;
    }, files('passwd: files ldap\n'));
    expect(lookup(0)).toBe('root');
    expect(lookup(1)).toBe('daemon');
    expect(lookup(4242)).toBe('ldapuser');
    expect(lookup(9999)).toBeNull();
    expect(asked).toEqual([4242, 9999]);
  });

  it('asks NSS for every uid when files is not first, or when the files cannot be read', () => {
    for (const readText of [
      files('passwd: sss files\n'),
      () => {
        throw new Error('EACCES');
      },
    ]) {
      const asked: number[] = [];
      const lookup = passwdFilesLookup((uid) => {
        asked.push(uid);
        return `nss-${uid}`;
      }, readText);
      expect(lookup(0)).toBe('nss-0');
      expect(asked).toEqual([0]);
    }
  });
});

describe.runIf(process.platform === 'linux')('user names on this machine', () => {
  it('are what getpwuid_r answers (through koffi) for every uid in /etc/passwd and of every running process', () => {
    const uids = new Set<number>([0, 65534, 4_000_000]);
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const uid = line.split(':')[2];
      if (uid !== undefined && /^\d+$/.test(uid)) uids.add(Number(uid));
    }
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const ids = parseProcStatusUids(readFileSync(`/proc/${name}/status`, 'latin1'));
        if (ids) uids.add(ids.effectiveUid);
      } catch {
        // Gone meanwhile.
      }
    }
    const ours = createUserNameCache();
    for (const uid of uids) expect([uid, ours(uid)]).toEqual([uid, userNameOfUidSync(uid) ?? String(uid)]);
  });
});
