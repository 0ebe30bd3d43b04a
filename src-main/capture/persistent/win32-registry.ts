/*
 * The RegistryPort of the persistent capture on the real Windows registry (HKLM, 64-bit view), through the advapi32
 * wrappers. Writing needs an administrator's token: the elevated helper's, or a CLI started elevated. Loaded only on
 * Windows.
 */
import { regCreateKey, regDeleteKey, regDeleteValue, regReadKey, regSetValue } from '../../platform/win32/ffi/advapi32';
import type { RegistryPort } from './persistent-apply';
import type { RegKeyState, RegValue } from './persistent-plan';

export function createWin32Registry(): RegistryPort {
  return {
    readKey(path): RegKeyState | null {
      const key = regReadKey(path);
      if (!key) return null;
      return { values: new Map(key.values.map(({ name, value }) => [name.toLowerCase(), { ...value, name } as RegValue & { name: string }])), subkeys: key.subkeys };
    },
    createKey: regCreateKey,
    setValue: regSetValue,
    deleteValue: regDeleteValue,
    deleteKey: regDeleteKey,
  };
}
