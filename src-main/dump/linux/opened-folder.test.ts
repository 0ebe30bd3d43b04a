// The folder walk and the create relative to it, on real folders as root: what the walk opens and refuses (with the
// sentences the helper and the root CLI show), that a file made for a requester is theirs from birth and the thread
// gets its own rights back on every path, and that a removal only ever removes the file we made.
import { chmodSync, chownSync, closeSync, fstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DumpError, type LinuxOpenedFolder } from '../dump-writer';
import { setfsuidSync } from './ffi/libc-files';
import { closeOpenedFolderSync, createFileInFolderSync, openFolderByWalkSync, removeFileInFolderSync, type FolderWalkPolicy } from './opened-folder';

const NOBODY = 65534;
const ROOT_CLI: FolderWalkPolicy = { kind: 'root-cli' };
const forNobody: FolderWalkPolicy = { kind: 'helper', requesterUid: NOBODY, createAsRequester: true };

let base: string;
const opened: LinuxOpenedFolder[] = [];

beforeEach(() => {
  expect(process.getuid!()).toBe(0);
  base = mkdtempSync(join(tmpdir(), 'procscope-opened-folder-'));
});
afterEach(() => {
  for (const f of opened.splice(0)) closeOpenedFolderSync(f);
  rmSync(base, { recursive: true, force: true });
});

function open(path: string, policy: FolderWalkPolicy): LinuxOpenedFolder {
  const f = openFolderByWalkSync(path, policy);
  opened.push(f);
  return f;
}

function refusal(path: string, policy: FolderWalkPolicy): { code: string; message: string } {
  try {
    open(path, policy);
  } catch (err) {
    expect(err).toBeInstanceOf(DumpError);
    return { code: (err as DumpError).code, message: (err as DumpError).message };
  }
  throw new Error(`the walk accepted ${path}`);
}

/** fsuid/fsgid of one task of this process (fourth field of Uid:/Gid:). */
function fsIdsOf(statusPath: string): [number, number] {
  const status = readFileSync(statusPath, 'latin1');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+\\d+\\s+\\d+\\s+\\d+\\s+(\\d+)`, 'm').exec(status)?.[1]);
  return [field('Uid'), field('Gid')];
}

/** A folder owned by nobody below base: base (root 0700) / home (nobody) / dumps (nobody). */
function nobodysFolder(): string {
  const home = join(base, 'home');
  mkdirSync(join(home, 'dumps'), { recursive: true });
  chownSync(home, NOBODY, NOBODY);
  chownSync(join(home, 'dumps'), NOBODY, NOBODY);
  return join(home, 'dumps');
}

describe('the folder walk', () => {
  it('opens the folder itself, and a trailing slash names the same folder', () => {
    const dir = join(base, 'a', 'b');
    mkdirSync(dir, { recursive: true });
    for (const path of [dir, `${dir}/`]) {
      const f = open(path, ROOT_CLI);
      expect(f).toMatchObject({ platform: 'linux', path: dir, createAs: null });
      expect(fstatSync(f.fd).ino).toBe(statSync(dir).ino);
    }
  });

  it('refuses a symbolic link at the end and on the way, naming the link, for the helper and for root', () => {
    const real = join(base, 'real');
    mkdirSync(join(real, 'deeper'), { recursive: true });
    const link = join(base, 'link');
    symlinkSync(real, link);
    for (const path of [link, join(link, 'deeper')]) {
      expect(refusal(path, ROOT_CLI)).toEqual({
        code: 'bad-request',
        message: `'${link}' is a symbolic link; as root, procscope dump only writes into folders reached without links. Give the real folder.`,
      });
    }
    chownSync(real, NOBODY, NOBODY);
    expect(refusal(link, { kind: 'helper', requesterUid: NOBODY, createAsRequester: true })).toEqual({
      code: 'bad-request',
      message: `'${link}' is a symbolic link; the elevated helper only writes into folders reached without links. Choose the real folder.`,
    });
  });

  it('refuses a missing folder, a file, a relative path and every spelling that is not the plain path', () => {
    writeFileSync(join(base, 'file'), '');
    expect(refusal(join(base, 'missing', 'x'), ROOT_CLI)).toEqual({
      code: 'folder-unwritable',
      message: `The folder '${join(base, 'missing')}' does not exist. Choose an existing folder.`,
    });
    expect(refusal(join(base, 'file'), ROOT_CLI)).toEqual({ code: 'folder-unwritable', message: `'${join(base, 'file')}' is not a folder. Choose a folder.` });
    expect(refusal('tmp/x', ROOT_CLI)).toEqual({ code: 'bad-request', message: "The folder 'tmp/x' is not an absolute path." });
    mkdirSync(join(base, 'sub'));
    for (const path of [`${base}/sub/..`, `${base}/./sub`, `${base}//sub`, `${base}/sub/.`]) {
      expect(refusal(path, ROOT_CLI), path).toEqual({
        code: 'bad-request',
        message: `The folder '${path}' contains '.', '..' or doubled slashes; give its plain absolute path.`,
      });
    }
  });

  it("holds the helper to the requester's folder, below ancestors that only root or the requester can change", () => {
    const dumps = nobodysFolder();
    const home = join(base, 'home');
    // base is root's and 0700, /tmp root's and sticky: accepted, with the requester's uid and the folder's gid.
    chownSync(dumps, NOBODY, 100);
    expect(open(dumps, forNobody).createAs).toEqual({ uid: NOBODY, gid: 100 });
    expect(open(dumps, { ...forNobody, createAsRequester: false }).createAs).toBeNull();

    chownSync(dumps, 4321, NOBODY);
    expect(refusal(dumps, forNobody)).toEqual({
      code: 'bad-request',
      message: `The folder '${dumps}' does not belong to you, so the elevated helper will not write there. Choose a folder of your own.`,
    });
    chownSync(dumps, NOBODY, NOBODY);
    const below = `The folder '${home}' can be changed by another user, so the elevated helper will not write below it. Choose a folder in your home.`;
    chownSync(home, 4321, 4321);
    expect(refusal(dumps, forNobody)).toEqual({ code: 'bad-request', message: below });
    chownSync(home, 0, 0);
    for (const mode of [0o775, 0o757]) {
      chmodSync(home, mode);
      expect(refusal(dumps, forNobody), mode.toString(8)).toEqual({ code: 'bad-request', message: below });
    }
    chmodSync(home, 0o1777);
    expect(open(dumps, forNobody).path).toBe(dumps);
  });
});

describe('creating and removing in the opened folder', () => {
  it("creates the file with the requester's rights (theirs from birth, 0600) and gives the thread its own rights back", () => {
    const dumps = nobodysFolder();
    const f = open(dumps, forNobody);
    const created = createFileInFolderSync(f, 'x.core');
    try {
      const st = fstatSync(created.fd);
      expect([st.uid, st.gid, st.mode & 0o777, st.nlink]).toEqual([NOBODY, NOBODY, 0o600, 1]);
    } finally {
      closeSync(created.fd);
    }
    expect(fsIdsOf('/proc/thread-self/status')).toEqual([0, 0]);
    expect(statSync(join(dumps, 'x.core')).uid).toBe(NOBODY);
  });

  it('with the requester\'s rights it cannot create where they could not, and the thread still gets its rights back', () => {
    const rootOwned = join(base, 'root-owned');
    mkdirSync(rootOwned, { mode: 0o755 });
    const f: LinuxOpenedFolder = { ...open(rootOwned, ROOT_CLI), createAs: { uid: NOBODY, gid: NOBODY } };
    expect(() => createFileInFolderSync(f, 'x.core')).toThrow(expect.objectContaining({ code: 'EACCES' }));
    expect(fsIdsOf('/proc/thread-self/status')).toEqual([0, 0]);
    expect(readdirSync(rootOwned)).toEqual([]);
  });

  it('never opens an existing name, not even a symbolic link there (EEXIST), and refuses a name that is a path', () => {
    const dumps = nobodysFolder();
    writeFileSync(join(base, 'target'), 'root');
    symlinkSync(join(base, 'target'), join(dumps, 'taken.core'));
    writeFileSync(join(dumps, 'plain.core'), 'keep');
    const f = open(dumps, forNobody);
    for (const name of ['taken.core', 'plain.core']) {
      expect(() => createFileInFolderSync(f, name), name).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    }
    expect(readFileSync(join(base, 'target'), 'utf8')).toBe('root');
    expect(statSync(join(base, 'target')).uid).toBe(0);
    for (const name of ['../x.core', '..', '', 'a/b']) expect(() => createFileInFolderSync(f, name), name).toThrow(/not a plain file name/);
  });

  it('removes the file it made, but not another file the requester put at its name', () => {
    const dumps = nobodysFolder();
    const f = open(dumps, forNobody);
    const first = createFileInFolderSync(f, 'a.core');
    closeSync(first.fd);
    removeFileInFolderSync(f, 'a.core', first);
    expect(readdirSync(dumps)).toEqual([]);

    const second = createFileInFolderSync(f, 'b.core');
    closeSync(second.fd);
    renameSync(join(dumps, 'b.core'), join(dumps, 'moved.core'));
    writeFileSync(join(dumps, 'b.core'), 'theirs');
    removeFileInFolderSync(f, 'b.core', second);
    expect(readdirSync(dumps).sort()).toEqual(['b.core', 'moved.core']);
    expect(fsIdsOf('/proc/thread-self/status')).toEqual([0, 0]);
  });

  it('setfsuid changes only the calling thread (glibc does not broadcast it to the other threads)', () => {
    const tasks = readdirSync('/proc/self/task');
    expect(tasks.length).toBeGreaterThan(1); // Node's own threads: V8 platform workers, libuv
    setfsuidSync(NOBODY);
    try {
      const me = readFileSync('/proc/thread-self/status', 'latin1').match(/^Pid:\s+(\d+)/m)![1];
      for (const tid of tasks) {
        const fsuid = fsIdsOf(`/proc/self/task/${tid}/status`)[0];
        expect(fsuid, `task ${tid}`).toBe(tid === me ? NOBODY : 0);
      }
    } finally {
      setfsuidSync(0);
    }
    expect(fsIdsOf('/proc/thread-self/status')[0]).toBe(0);
  });
});
