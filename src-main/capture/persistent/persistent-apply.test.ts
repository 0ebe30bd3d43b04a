import { beforeEach, describe, expect, it } from 'vitest';
import { FULL_DUMP_FLAGS, MINI_DUMP_FLAGS } from '../../dump/win32/minidump-flags';
import { createMemoryRegistry, type MemoryRegistry } from './__fixtures__/memory-registry';
import { PersistRefusal, runPersistAction, type PersistAction } from './persistent-apply';
import { IFEO_KEY, LOCAL_DUMPS_KEY, SILENT_EXIT_KEY } from './persistent-plan';

const FOLDER = 'C:\\Users\\me\\Dumps';
const add = (image: string, triggers: ('crash' | 'exit')[], kind: 'mini' | 'full' = 'mini', folder = FOLDER): PersistAction => ({
  action: 'add', request: { image, triggers, kind, folder },
});
const refusal = (reg: MemoryRegistry, action: PersistAction): string => {
  try {
    runPersistAction(reg, action);
  } catch (err) {
    expect(err).toBeInstanceOf(PersistRefusal);
    return (err as Error).message;
  }
  throw new Error('not refused');
};

let reg: MemoryRegistry;
beforeEach(() => {
  reg = createMemoryRegistry();
  // What a Windows machine has before anyone sets anything up: IFEO with other images' keys, no LocalDumps.
  reg.seedKey(`${IFEO_KEY}\\other.exe`);
});

describe('attacks and foreign settings', () => {
  it('refuses a path, a traversal, a device path or a non-.exe as the image, writing nothing', () => {
    for (const image of ['..\\..\\Run\\evil.exe', 'C:\\Windows\\notepad.exe', 'a/b.exe', '..exe', 'x..y.exe', 'hostname', 'hostname.exe\0', 'host\nname.exe', 'x.exe.', ' host.exe']) {
      expect(refusal(reg, add(image, ['exit'])), image).toMatch(/bare file name|must not contain|plain NAME\.exe/);
    }
    expect(refusal(reg, add(`${'a'.repeat(61)}.exe`, ['crash']))).toMatch(/at most 64/);
    expect(reg.log).toEqual([]);
  });

  it('refuses lsass.exe (any case) and the critical system processes, each with its reason', () => {
    expect(refusal(reg, add('LSASS.EXE', ['exit']))).toMatch(/credentials.*credential-theft/);
    for (const image of ['csrss.exe', 'wininit.exe', 'smss.exe']) expect(refusal(reg, add(image, ['crash']))).toMatch(/critical/);
    expect(reg.log).toEqual([]);
  });

  it("refuses a folder that is relative, a share, or holds '%' (DumpFolder is REG_EXPAND_SZ)", () => {
    expect(refusal(reg, add('hostname.exe', ['crash'], 'mini', 'Dumps'))).toMatch(/absolute local path/);
    expect(refusal(reg, add('hostname.exe', ['crash'], 'mini', '\\\\server\\share'))).toMatch(/absolute local path/);
    expect(refusal(reg, add('hostname.exe', ['crash'], 'mini', 'C:\\%USERPROFILE%\\x'))).toMatch(/'%'/);
    expect(reg.log).toEqual([]);
  });

  it('does not clobber a LocalDumps key someone else made, nor a SilentProcessExit key, nor a foreign GlobalFlag', () => {
    reg.seed(`${LOCAL_DUMPS_KEY}\\hostname.exe`, 'DumpFolder', { type: 'expand-sz', data: 'D:\\Theirs' });
    expect(refusal(reg, add('hostname.exe', ['crash']))).toMatch(/not written by Procscope/);
    reg.seed(`${SILENT_EXIT_KEY}\\Hostname.exe`, 'ReportingMode', { type: 'dword', data: 1 });
    expect(refusal(reg, add('hostname.exe', ['exit']))).toMatch(/not written by Procscope/);
    reg.seed(`${IFEO_KEY}\\ping.exe`, 'GlobalFlag', { type: 'dword', data: 0x2 });
    expect(refusal(reg, add('ping.exe', ['exit']))).toMatch(/GlobalFlag \(0x2\) that Procscope did not set/);
    expect(reg.log).toEqual([]);
    expect(reg.get(`${LOCAL_DUMPS_KEY}\\hostname.exe`, 'DumpFolder')).toEqual({ type: 'expand-sz', data: 'D:\\Theirs', name: 'DumpFolder' });
  });

  it('removal leaves a foreign key, a foreign GlobalFlag and a foreign value in our key alone', () => {
    reg.seed(`${LOCAL_DUMPS_KEY}\\ping.exe`, 'DumpFolder', { type: 'expand-sz', data: 'D:\\Theirs' });
    reg.seed(`${IFEO_KEY}\\ping.exe`, 'GlobalFlag', { type: 'dword', data: 0x200 });
    const r = runPersistAction(reg, { action: 'remove', image: 'ping.exe' });
    expect(reg.log).toEqual([]);
    expect(r.notes.join(' ')).toMatch(/GlobalFlag is not Procscope's.*LocalDumps\\ping\.exe is not Procscope's/);
    expect(reg.get(`${IFEO_KEY}\\ping.exe`, 'GlobalFlag')).toMatchObject({ data: 0x200 });

    // Our key, into which someone added a value after us: only our values go, theirs and the key stay.
    runPersistAction(reg, add('hostname.exe', ['crash']));
    reg.seed(`${LOCAL_DUMPS_KEY}\\hostname.exe`, 'CustomDumpFlags', { type: 'dword', data: 0x121 });
    const removed = runPersistAction(reg, { action: 'remove', image: 'hostname.exe' });
    expect(reg.has(`${LOCAL_DUMPS_KEY}\\hostname.exe`)).toBe(true);
    expect(reg.readKey(`${LOCAL_DUMPS_KEY}\\hostname.exe`)!.values.size).toBe(1);
    expect(reg.get(`${LOCAL_DUMPS_KEY}\\hostname.exe`, 'CustomDumpFlags')).toMatchObject({ data: 0x121 });
    expect(removed.notes.join(' ')).toMatch(/CustomDumpFlags/);
  });

  it('a key that appears between the read and the write is left to its creator, and what was written is undone', () => {
    reg.beforeWrite = (line) => {
      if (line === `create ${SILENT_EXIT_KEY}\\hostname.exe`) reg.seed(`${SILENT_EXIT_KEY}\\hostname.exe`, 'ReportingMode', { type: 'dword', data: 1 });
    };
    expect(refusal(reg, add('hostname.exe', ['exit']))).toMatch(/appeared while Procscope was setting up/);
    reg.beforeWrite = null;
    expect(reg.get(`${SILENT_EXIT_KEY}\\hostname.exe`, 'ReportingMode')).toMatchObject({ data: 1 });
    expect(reg.has(`${IFEO_KEY}\\hostname.exe`)).toBe(false);
  });

  it('a write that fails midway is rolled back: no GlobalFlag, no key of ours left', () => {
    reg.failOn = 'GlobalFlag';
    expect(refusal(reg, add('hostname.exe', ['exit', 'crash']))).toMatch(/failed \(injected failure.*removed again/);
    expect(reg.has(`${SILENT_EXIT_KEY}\\hostname.exe`)).toBe(false);
    expect(reg.has(`${LOCAL_DUMPS_KEY}\\hostname.exe`)).toBe(false);
    expect(reg.has(LOCAL_DUMPS_KEY)).toBe(false);
    expect(reg.has(`${IFEO_KEY}\\hostname.exe`)).toBe(false);
  });
});

describe('install, list and remove', () => {
  it('writes exactly the documented keys and values for crash and exit', () => {
    const r = runPersistAction(reg, add('HostName.exe', ['crash', 'exit'], 'full'));
    const ld = `${LOCAL_DUMPS_KEY}\\hostname.exe`;
    expect(reg.get(ld, 'DumpFolder')).toMatchObject({ type: 'expand-sz', data: FOLDER });
    expect(reg.get(ld, 'DumpCount')).toMatchObject({ type: 'dword', data: 10 });
    expect(reg.get(ld, 'DumpType')).toMatchObject({ type: 'dword', data: 2 });
    expect(reg.get(ld, 'ProcscopeOwned')).toMatchObject({ data: 1 });
    const spe = `${SILENT_EXIT_KEY}\\hostname.exe`;
    expect(reg.get(spe, 'ReportingMode')).toMatchObject({ type: 'dword', data: 2 });
    expect(reg.get(spe, 'IgnoreSelfExits')).toMatchObject({ data: 0 });
    expect(reg.get(spe, 'LocalDumpFolder')).toMatchObject({ type: 'sz', data: FOLDER });
    expect(reg.get(spe, 'DumpType')).toMatchObject({ data: FULL_DUMP_FLAGS });
    expect(reg.get(spe, 'MaxNumberOfDumpFiles')).toMatchObject({ data: 10 });
    expect(reg.get(`${IFEO_KEY}\\hostname.exe`, 'GlobalFlag')).toMatchObject({ type: 'dword', data: 0x200 });
    // The arming bit is the last write.
    expect(reg.log.at(-1)).toBe(`set ${IFEO_KEY}\\hostname.exe\\GlobalFlag`);
    expect(r.entries).toEqual([
      { image: 'hostname.exe', trigger: 'crash', kind: 'full', folder: FOLDER },
      { image: 'hostname.exe', trigger: 'exit', kind: 'full', folder: FOLDER },
    ]);
    expect(r.notes.join(' ')).toMatch(/LocalDumps did not exist/);
    expect(runPersistAction(reg, { action: 'list' }).entries).toEqual(r.entries);
  });

  it('a mini exit dump uses the mini MINIDUMP_TYPE bits; adding again updates our own keys', () => {
    runPersistAction(reg, add('hostname.exe', ['exit'], 'mini'));
    expect(reg.get(`${SILENT_EXIT_KEY}\\hostname.exe`, 'DumpType')).toMatchObject({ data: MINI_DUMP_FLAGS });
    runPersistAction(reg, add('hostname.exe', ['exit'], 'full', 'D:\\Other'));
    expect(reg.get(`${SILENT_EXIT_KEY}\\hostname.exe`, 'LocalDumpFolder')).toMatchObject({ data: 'D:\\Other' });
  });

  it('removal takes away everything it wrote, including the parents it created, and nothing else', () => {
    reg.seed(`${IFEO_KEY}\\hostname.exe`, 'MitigationOptions', { type: 'dword', data: 0x100 });
    runPersistAction(reg, add('hostname.exe', ['crash', 'exit']));
    expect(reg.get(`${IFEO_KEY}\\hostname.exe`, 'ProcscopeOwned')).toMatchObject({ data: 2 });
    const r = runPersistAction(reg, { action: 'remove', image: 'HOSTNAME.EXE' });
    expect(reg.has(`${LOCAL_DUMPS_KEY}\\hostname.exe`)).toBe(false);
    expect(reg.has(LOCAL_DUMPS_KEY)).toBe(false);
    expect(reg.has(`${SILENT_EXIT_KEY}\\hostname.exe`)).toBe(false);
    expect(reg.has(SILENT_EXIT_KEY)).toBe(false);
    // The IFEO key was there before (someone's MitigationOptions): it stays, with only their value.
    const ifeo = reg.readKey(`${IFEO_KEY}\\hostname.exe`)!;
    expect([...ifeo.values.values()].map((v) => v.name)).toEqual(['MitigationOptions']);
    expect(reg.has(`${IFEO_KEY}\\other.exe`)).toBe(true);
    expect(r.changedKeys).toContain(`HKLM\\${IFEO_KEY}\\hostname.exe`);
    expect(runPersistAction(reg, { action: 'list' }).entries).toEqual([]);
  });

  it('keeps a parent it created once another image uses it, and bits added to GlobalFlag after it', () => {
    runPersistAction(reg, add('hostname.exe', ['crash', 'exit']));
    reg.seed(`${LOCAL_DUMPS_KEY}\\theirs.exe`, 'DumpType', { type: 'dword', data: 2 });
    reg.seed(`${IFEO_KEY}\\hostname.exe`, 'GlobalFlag', { type: 'dword', data: 0x202 });
    const r = runPersistAction(reg, { action: 'remove', image: 'hostname.exe' });
    expect(reg.has(`${LOCAL_DUMPS_KEY}\\theirs.exe`)).toBe(true);
    expect(r.notes.join(' ')).toMatch(/LocalDumps, which Procscope created, now holds other settings/);
    expect(reg.get(`${IFEO_KEY}\\hostname.exe`, 'GlobalFlag')).toMatchObject({ data: 0x2 });
    expect(reg.get(`${IFEO_KEY}\\hostname.exe`, 'ProcscopeOwned')).toBeUndefined();
  });

  it('removing what is not there changes nothing and says so', () => {
    const r = runPersistAction(reg, { action: 'remove', image: 'hostname.exe' });
    expect(reg.log).toEqual([]);
    expect(r.notes).toEqual(['Procscope has no persistent capture set up for hostname.exe; nothing was changed.']);
  });
});
