import { describe, expect, it } from 'vitest';
import { fileCall, friendlyObjectName } from './win32-handles';
import { commandRuns } from './win32-process-parts';
import { toReportFrames } from './win32-threads';

describe('friendlyObjectName', () => {
  const devices: [string, string][] = [['C:', '\\Device\\HarddiskVolume3'], ['D:', '\\Device\\HarddiskVolume12']];

  it('turns an NT device path into its drive path, matching the device name whole', () => {
    expect(friendlyObjectName('\\Device\\HarddiskVolume3\\Windows\\System32\\en-US\\KernelBase.dll.mui', devices)).toBe('C:\\Windows\\System32\\en-US\\KernelBase.dll.mui');
    expect(friendlyObjectName('\\Device\\HarddiskVolume12\\data', devices)).toBe('D:\\data');
    expect(friendlyObjectName('\\Device\\HarddiskVolume3', devices)).toBe('C:\\');
    // HarddiskVolume31 is not HarddiskVolume3's subfolder.
    expect(friendlyObjectName('\\Device\\HarddiskVolume31\\x', devices)).toBe('\\Device\\HarddiskVolume31\\x');
  });

  it('drops the \\??\\ prefix and names registry roots as regedit does', () => {
    expect(friendlyObjectName('\\??\\Z:\\work\\file.txt', devices)).toBe('Z:\\work\\file.txt');
    expect(friendlyObjectName('\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft', devices)).toBe('HKLM\\SOFTWARE\\Microsoft');
    expect(friendlyObjectName('\\REGISTRY\\MACHINE', devices)).toBe('HKLM');
    expect(friendlyObjectName('\\REGISTRY\\USER\\S-1-5-18', devices)).toBe('HKU\\S-1-5-18');
    expect(friendlyObjectName('\\REGISTRY\\MACHINERY', devices)).toBe('\\REGISTRY\\MACHINERY');
    expect(friendlyObjectName('\\REGISTRY\\USER\\S-1-5-21-1-2-3-1000\\Software', devices, 'S-1-5-21-1-2-3-1000')).toBe('HKCU\\Software');
    expect(friendlyObjectName('\\REGISTRY\\USER\\S-1-5-21-1-2-3-1000', devices, 'S-1-5-21-1-2-3-1000')).toBe('HKCU');
    expect(friendlyObjectName('\\REGISTRY\\USER\\S-1-5-21-1-2-3-10001', devices, 'S-1-5-21-1-2-3-1000')).toBe('HKU\\S-1-5-21-1-2-3-10001');
    expect(friendlyObjectName('\\Sessions\\1\\BaseNamedObjects\\x', devices)).toBe('\\Sessions\\1\\BaseNamedObjects\\x');
  });
});

describe('commandRuns (a Run value that starts this image)', () => {
  const exe = 'C:\\Program Files\\Tool\\tool.exe';
  it('matches the path alone, quoted, or followed by arguments, case-insensitively', () => {
    expect(commandRuns('C:\\Program Files\\Tool\\tool.exe', exe)).toBe(true);
    expect(commandRuns('"c:\\program files\\tool\\TOOL.EXE" --tray', exe)).toBe(true);
    expect(commandRuns('C:\\Program Files\\Tool\\tool.exe /background', exe)).toBe(true);
  });
  it('does not match another image whose path starts the same', () => {
    expect(commandRuns('C:\\Program Files\\Tool\\tool.exe.bak', exe)).toBe(false);
    expect(commandRuns('"C:\\Program Files\\Tool\\toolbox.exe"', exe)).toBe(false);
    expect(commandRuns('rundll32.exe C:\\Program Files\\Tool\\tool.exe', exe)).toBe(false);
  });
});

describe('toReportFrames', () => {
  it('writes addresses as 0x-hex and keeps a raw name only when it was demangled', () => {
    const frames = toReportFrames([
      { pc: 0x7ffa0010n, sp: 0x1000n, trust: 'context', module: 'ntdll.dll', modulePath: 'C:\\w\\ntdll.dll', moduleOffset: 0x10n, function: null, functionOffset: null },
      { pc: 0x140001234n, sp: 0x1100n, trust: 'cfi', module: 'a.exe', modulePath: null, moduleOffset: 0x1234n, function: '_Z4parkv', functionOffset: 0x4n },
      { pc: 0x140002000n, sp: 0x1200n, trust: 'scan', module: 'a.exe', modulePath: null, moduleOffset: 0x2000n, function: 'RtlUserThreadStart', functionOffset: 0x21n },
    ]);
    expect(frames[0]).toEqual({ index: 0, pc: '0x7ffa0010', module: 'ntdll.dll', offset: '0x10', function: null, functionOffset: null, mangled: null, trust: 'context' });
    expect(frames[1]).toMatchObject({ index: 1, function: 'park()', mangled: '_Z4parkv', functionOffset: '0x4', trust: 'cfi' });
    expect(frames[2]).toMatchObject({ function: 'RtlUserThreadStart', mangled: null, trust: 'scan' });
  });
});

describe('fileCall (File-object calls on the worker pool)', () => {
  it('abandons a call that does not come back, holds at most two, and closes the duplicate once it does', async () => {
    const closed: string[] = [];
    const dup = (name: string) => ({ close: () => void closed.push(name) });
    const release: (() => void)[] = [];
    const never = (): Promise<number> => new Promise<number>((r) => release.push(() => r(1)));
    expect(await fileCall(dup('quick'), async () => 7)).toEqual({ value: 7 });
    const [a, b, c] = await Promise.all([fileCall(dup('a'), never), fileCall(dup('b'), never), fileCall(dup('c'), never)]);
    // a and b were in flight and timed out; c waited for a slot, then saw both held by blocked calls.
    expect([a, b, c]).toEqual(['timeout', 'timeout', 'skipped']);
    expect(await fileCall(dup('d'), async () => 1)).toBe('skipped');
    expect(closed).toEqual([]);
    release[0]!();
    await new Promise((r) => setTimeout(r, 0));
    expect(closed).toEqual(['a']);
    expect(await fileCall(dup('e'), async () => 2)).toEqual({ value: 2 });
    release[1]!();
    await new Promise((r) => setTimeout(r, 0));
    expect(closed).toEqual(['a', 'b']);
  });
});
