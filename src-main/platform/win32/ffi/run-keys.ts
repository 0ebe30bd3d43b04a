/*
 * The classic autostart locations Process Explorer's Image tab names (winreg.h on learn.microsoft.com, Windows
 * 2000+): the values of HKLM and HKCU …\CurrentVersion\Run (and their 32-bit WOW6432Node view), each as its key path
 * and command. Read-only, KEY_QUERY_VALUE; a missing key is simply empty. Callers get strings.
 */
import { winLibrary } from './win-types';

const advapi32 = winLibrary('advapi32.dll');

/** Predefined keys as sign-extended 32-bit values (winreg.h). */
const HKEY_CURRENT_USER = -0x7fffffff;
const HKEY_LOCAL_MACHINE = -0x7ffffffe;
const KEY_QUERY_VALUE = 0x1;
const KEY_WOW64_64KEY = 0x100;
const REG_SZ = 1;
const REG_EXPAND_SZ = 2;
const ERROR_NO_MORE_ITEMS = 259;
const ERROR_MORE_DATA = 234;

const RUN = 'SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run';
const RUN_32 = 'SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Run';

export interface RunEntry {
  /** 'HKLM\SOFTWARE\…\Run\Name', as a person would look it up in regedit. */
  location: string;
  command: string;
}

function readValues(root: number, rootName: string, subKey: string): RunEntry[] {
  const open = advapi32.fn('int32_t __stdcall RegOpenKeyExW(intptr_t key, str16 sub, uint32_t options, uint32_t sam, _Out_ intptr_t *result)');
  const close = advapi32.fn('int32_t __stdcall RegCloseKey(intptr_t key)');
  const enumValue = advapi32.fn('int32_t __stdcall RegEnumValueW(intptr_t key, uint32_t index, _Out_ void *name, _Inout_ uint32_t *nameLen, void *reserved, _Out_ uint32_t *type, _Out_ void *data, _Inout_ uint32_t *dataLen)');
  const out: unknown[] = [0];
  if ((open(root, subKey, 0, KEY_QUERY_VALUE | KEY_WOW64_64KEY, out) as number) !== 0) return [];
  const entries: RunEntry[] = [];
  try {
    const name = Buffer.alloc(16384 * 2);
    const data = Buffer.alloc(64 * 1024);
    for (let i = 0; i < 4096; i++) {
      const nameLen = [16384];
      const type = [0];
      const dataLen = [data.length];
      const status = enumValue(out[0], i, name, nameLen, null, type, data, dataLen) as number;
      if (status === ERROR_NO_MORE_ITEMS) break;
      if (status === ERROR_MORE_DATA) continue;
      if (status !== 0) break;
      if (type[0] !== REG_SZ && type[0] !== REG_EXPAND_SZ) continue;
      const text = data.toString('utf16le', 0, (dataLen[0] ?? 0) - ((dataLen[0] ?? 0) % 2));
      const nul = text.indexOf('\0');
      entries.push({ location: `${rootName}\\${subKey}\\${name.toString('utf16le', 0, (nameLen[0] ?? 0) * 2)}`, command: nul < 0 ? text : text.slice(0, nul) });
    }
  } finally {
    close(out[0]);
  }
  return entries;
}

/** Every Run value of the machine and of the user we run as (not the target's own user when it differs). */
export function readRunEntries(): RunEntry[] {
  return [
    ...readValues(HKEY_LOCAL_MACHINE, 'HKLM', RUN),
    ...readValues(HKEY_LOCAL_MACHINE, 'HKLM', RUN_32),
    ...readValues(HKEY_CURRENT_USER, 'HKCU', RUN),
  ];
}
