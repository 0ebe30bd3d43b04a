// The Windows branch of the helper's checks, on any OS: the folder walk by handles, given fake handle facts. It
// must open the drive root, then each entry relative to the handle before it (never a path twice), judge every
// folder on what its handle says, hand back only the last handle and close every other one on every path. (The
// same walk runs for real under Wine: scripts/test-win-helper.mjs.)
import { describe, expect, it } from 'vitest';
import { WinHandle } from '../../platform/win32/ffi/win-types';
import type { HelperJob } from './helper-args';
import { validateHelperJob, type HelperValidationDeps, type Win32FolderFacts, type Win32HelperFacts } from './helper-validate';

const ANA = 'S-1-5-21-1-2-3-1001';
const EVE = 'S-1-5-21-1-2-3-1002';
const DIRECTORY = 0x10;
const REPARSE_POINT = 0x400;
const SAFE_DACL = `D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;${ANA})`;
const EVERYONE_MODIFY = 'D:(A;OICI;FA;;;SY)(A;OICI;0x1301ff;;;WD)';

const job: HelperJob = {
  pid: 4242,
  startTimeMs: 1_700_000_000_000,
  kind: 'mini',
  outDir: 'C:\\Users\\ana\\Dumps',
  uid: null,
  nameHint: null,
  channel: `\\\\.\\pipe\\procscope-helper-${'0'.repeat(32)}`,
  secret: 'f'.repeat(64),
};

type Tree = Record<string, Partial<Win32FolderFacts> | 'file'>;

const folder = (facts: Partial<Win32FolderFacts> = {}): Partial<Win32FolderFacts> => facts;
const ownTree = (): Tree => ({
  // The DACLs Windows 10 gives C:\ and C:\Users.
  'C:\\': folder({ ownerSid: 'S-1-5-18', daclSddl: 'D:PAI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;GA;;;CO)(A;OICI;0x1200a9;;;BU)(A;CI;LC;;;AU)(A;OICIIO;SDGXGWGR;;;AU)' }),
  'C:\\Users': folder({ ownerSid: 'S-1-5-18', daclSddl: 'D:PAI(A;;FA;;;SY)(A;OICIIO;GA;;;SY)(A;;FA;;;BA)(A;OICIIO;GA;;;BA)(A;;0x1200a9;;;BU)(A;OICIIO;GXGR;;;BU)(A;;0x1200a9;;;WD)(A;OICIIO;GXGR;;;WD)' }),
  'C:\\Users\\ana': folder(),
  'C:\\Users\\ana\\Dumps': folder(),
});

/** An OS made of `tree`: it records every open (what it was relative to) and which handles are still open. */
function fakeOs(tree: Tree, requesterSid: string | null = ANA) {
  const opens: { parent: string | null; name: string }[] = [];
  const open = new Set<string>();
  const pathOf = new WeakMap<WinHandle, { path: string; id: string }>();
  let serial = 0;
  const facts: Win32HelperFacts = {
    requesterSid,
    openFolder(parent, name) {
      const of = parent ? pathOf.get(parent) : null;
      if (of && !open.has(of.id)) throw new Error('opened relative to a closed handle');
      const parentPath = of ? of.path : null;
      opens.push({ parent: parentPath, name });
      const path = parentPath === null ? name.replace(/^\\\?\?\\/, '') : `${parentPath.replace(/\\$/, '')}\\${name}`;
      const entry = tree[path];
      if (entry === undefined) return { failure: 'missing', status: 0xc0000034 };
      if (entry === 'file') return { failure: 'not-a-folder', status: 0xc0000103 };
      const id = `${path}#${++serial}`;
      open.add(id);
      const handle = new WinHandle({ id }, () => open.delete(id));
      pathOf.set(handle, { path, id });
      return { handle };
    },
    describeFolder(handle) {
      const entry = tree[pathOf.get(handle)!.path];
      if (entry === undefined || entry === 'file') return null;
      return { attributes: DIRECTORY, ownerSid: ANA, daclSddl: SAFE_DACL, ...entry };
    },
  };
  return { facts, opens, open };
}

function deps(win32: Win32HelperFacts | undefined, readStartTimeMs = () => job.startTimeMs as number | null): HelperValidationDeps {
  return { readStartTimeMs, platform: 'win32', env: {}, ownUid: null, ...(win32 ? { win32 } : {}) };
}

async function refusal(tree: Tree, outDir = job.outDir) {
  const os = fakeOs(tree);
  const checked = await validateHelperJob({ ...job, outDir }, deps(os.facts));
  if (checked.ok) throw new Error(`accepted ${outDir}`);
  return { ...checked.error, opens: os.opens, stillOpen: [...os.open] };
}

describe('the Windows helper without a known requester', () => {
  it('refuses when the facts are missing', async () => {
    expect(await validateHelperJob(job, deps(undefined))).toEqual({
      ok: false,
      error: { code: 'bad-request', message: expect.stringMatching(/could not tell which user started it/) },
    });
  });

  it('refuses when the parent process could not be read, before opening any folder', async () => {
    const os = fakeOs(ownTree(), null);
    const checked = await validateHelperJob(job, deps(os.facts));
    expect(checked.ok || checked.error.message).toMatch(/could not tell which user started it/);
    expect(os.opens).toEqual([]);
  });

  it('still refuses a recycled pid first', async () => {
    const os = fakeOs(ownTree());
    const checked = await validateHelperJob({ ...job, startTimeMs: job.startTimeMs + 1 }, deps(os.facts));
    expect(checked.ok || checked.error.code).toBe('pid-recycled');
    expect(os.opens).toEqual([]);
  });
});

describe('the Windows folder walk by handles', () => {
  it('opens the drive root by its NT name, then each entry relative to the handle before it, and keeps only the last', async () => {
    const os = fakeOs(ownTree());
    const checked = await validateHelperJob(job, deps(os.facts));
    if (!checked.ok) throw new Error(checked.error.message);
    expect(os.opens).toEqual([
      { parent: null, name: '\\??\\C:\\' },
      { parent: 'C:\\', name: 'Users' },
      { parent: 'C:\\Users', name: 'ana' },
      { parent: 'C:\\Users\\ana', name: 'Dumps' },
    ]);
    expect(checked.folder).toMatchObject({ platform: 'win32', path: 'C:\\Users\\ana\\Dumps' });
    expect([...os.open]).toEqual([expect.stringMatching(/^C:\\Users\\ana\\Dumps#/)]);
    if (checked.folder?.platform !== 'win32') throw new Error('no Windows folder');
    checked.folder.handle.close();
    expect(os.open.size).toBe(0);
  });

  it('accepts a trailing backslash and a lower-case drive letter', async () => {
    const os = fakeOs(ownTree());
    const checked = await validateHelperJob({ ...job, outDir: 'c:\\Users\\ana\\Dumps\\' }, deps(os.facts));
    expect(checked.ok).toBe(true);
    expect(os.opens[0]).toEqual({ parent: null, name: '\\??\\C:\\' });
  });

  it.each([
    ['the chosen folder', 'C:\\Users\\ana\\Dumps'],
    ['a folder on the way', 'C:\\Users\\ana'],
  ])('refuses a junction or symbolic link as %s, and opens nothing below it', async (_what, where) => {
    const r = await refusal({ ...ownTree(), [where]: folder({ attributes: DIRECTORY | REPARSE_POINT }) });
    expect(r.code).toBe('bad-request');
    expect(r.message).toBe(`'${where}' is a symbolic link or junction; the elevated helper only writes into real folders. Choose the real folder.`);
    expect(r.opens.at(-1)!.name).toBe(where.split('\\').at(-1));
    expect(r.stillOpen).toEqual([]);
  });

  it('does not hold the drive root to the reparse rule (Wine marks Z:\\ as one; a root is the volume itself)', async () => {
    const tree = ownTree();
    tree['C:\\'] = { ...tree['C:\\'] as object, attributes: DIRECTORY | REPARSE_POINT };
    const os = fakeOs(tree);
    expect((await validateHelperJob(job, deps(os.facts))).ok).toBe(true);
  });

  it('refuses a chosen folder another account owns, as its handle reports it', async () => {
    const r = await refusal({ ...ownTree(), 'C:\\Users\\ana\\Dumps': folder({ ownerSid: EVE }) });
    expect(r.message).toMatch(/^The folder 'C:\\Users\\ana\\Dumps' does not belong to you/);
    expect(r.stillOpen).toEqual([]);
  });

  it('refuses a folder of ours below one every account may change, naming that ancestor', async () => {
    const r = await refusal({ ...ownTree(), 'C:\\Users\\ana': folder({ daclSddl: EVERYONE_MODIFY }) });
    expect(r.message).toMatch(/^The folder 'C:\\Users\\ana' can be changed by another user \(WD may rename, delete or take it over\), so the elevated helper will not write below it/);
    expect(r.opens.map((o) => o.name)).not.toContain('Dumps');
    expect(r.stillOpen).toEqual([]);
  });

  it('refuses the chosen folder itself when another account may change it ("there")', async () => {
    const r = await refusal({ ...ownTree(), 'C:\\Users\\ana\\Dumps': folder({ daclSddl: EVERYONE_MODIFY }) });
    expect(r.message).toMatch(/will not write there\./);
  });

  it('refuses a folder whose owner or DACL cannot be read from its handle', async () => {
    expect((await refusal({ ...ownTree(), 'C:\\Users\\ana': folder({ ownerSid: null }) })).message).toMatch(/its owner could not be read/);
    expect((await refusal({ ...ownTree(), 'C:\\Users\\ana\\Dumps': folder({ daclSddl: null }) })).message).toMatch(/its permissions could not be read/);
  });

  it('says which folder does not exist and stops there', async () => {
    const tree = ownTree();
    delete tree['C:\\Users\\ana'];
    const r = await refusal(tree);
    expect(r).toMatchObject({ code: 'folder-unwritable', message: "The folder 'C:\\Users\\ana' does not exist. Choose an existing folder." });
    expect(r.opens.map((o) => o.name)).toEqual(['\\??\\C:\\', 'Users', 'ana']);
    expect(r.stillOpen).toEqual([]);
  });

  it('refuses a file where a folder should be', async () => {
    const r = await refusal({ ...ownTree(), 'C:\\Users\\ana\\Dumps': 'file' });
    expect(r).toMatchObject({ code: 'folder-unwritable', message: "'C:\\Users\\ana\\Dumps' is not a folder. Choose a folder." });
    const r2 = await refusal({ ...ownTree(), 'C:\\Users\\ana\\Dumps': folder({ attributes: 0x20 }) });
    expect(r2.message).toBe("'C:\\Users\\ana\\Dumps' is not a folder. Choose a folder.");
    expect(r2.stillOpen).toEqual([]);
  });

  it.each([
    'C:\\Users\\ana\\..\\eve',
    'C:\\Users\\.\\ana',
    'C:\\Users\\\\ana',
    'C:\\Users\\ana\\Dumps:stream',
    'C:\\Users\\ana\\Dumps::$INDEX_ALLOCATION',
    'C:\\Users\\ana\\Du*',
    '\\\\server\\share\\Dumps',
    '\\\\?\\C:\\Users\\ana\\Dumps',
    '\\\\.\\C:\\Users',
    '\\Users\\ana',
    'C:Users\\ana',
    'C:/Users/ana/Dumps',
  ])('refuses %s as not a plain local path, before opening anything', async (outDir) => {
    const r = await refusal(ownTree(), outDir);
    expect(r.code).toBe('bad-request');
    expect(r.message).toMatch(/must be a plain local path/);
    expect(r.opens).toEqual([]);
  });

  it('closes what it holds when the OS throws mid-walk', async () => {
    const os = fakeOs(ownTree());
    const openFolder = os.facts.openFolder.bind(os.facts);
    os.facts.openFolder = (parent, name) => {
      if (name === 'ana') throw new Error('boom');
      return openFolder(parent, name);
    };
    await expect(validateHelperJob(job, deps(os.facts))).rejects.toThrow('boom');
    expect(os.open.size).toBe(0);
  });
});
