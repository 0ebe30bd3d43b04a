/*
 * koffi declarations for advapi32.dll (securitybaseapi.h, winbase.h, sddl.h on learn.microsoft.com) and their safe
 * wrappers: who owns a process, whether its token is elevated, its integrity level, SeDebugPrivilege, and the
 * security descriptor our dump files are created with. Callers see strings and booleans, never a SID pointer.
 */
import koffi from 'koffi';
import { getLastError, localFree, wrapHandle } from './kernel32';
import { winLibrary, type WinHandle, WinError, Win32Error } from './win-types';

const fn = winLibrary('advapi32.dll').fn;

const TOKEN_QUERY = 0x0008;
const TOKEN_ADJUST_PRIVILEGES = 0x0020;
/** TOKEN_INFORMATION_CLASS (winnt.h). */
const TokenUser = 1;
const TokenElevation = 20;
const TokenIntegrityLevel = 25;

/** OpenProcessToken (processthreadsapi.h, Windows XP+). */
function openProcessToken(process: WinHandle, access: number): WinHandle | null {
  const out: unknown[] = [null];
  if (!fn('bool __stdcall OpenProcessToken(HANDLE h, uint32_t access, _Out_ HANDLE *token)')(process.raw, access, out)) {
    return null;
  }
  return wrapHandle(out[0]);
}

/** GetTokenInformation (securitybaseapi.h, Windows XP+) into a Buffer plus the address it sits at. */
function tokenInformation(token: WinHandle, cls: number): { bytes: Buffer; base: bigint } | null {
  const f = fn('bool __stdcall GetTokenInformation(HANDLE t, int cls, _Out_ void *buf, uint32_t len, _Out_ uint32_t *ret)');
  const bytes = Buffer.allocUnsafeSlow(256);
  const ret = [0];
  if (f(token.raw, cls, bytes, bytes.length, ret)) return { bytes, base: koffi.address(bytes) };
  const need = ret[0] ?? 0;
  if (need <= bytes.length || need > 64 * 1024) return null;
  const big = Buffer.allocUnsafeSlow(need);
  return f(token.raw, cls, big, big.length, ret) ? { bytes: big, base: koffi.address(big) } : null;
}

/** A SID ("S-1-5-…") read from a token buffer: SID = Revision u8, SubAuthorityCount u8, Authority[6] BE, Sub u32[]. */
function sidAt(bytes: Buffer, offset: number): { text: string; raw: Buffer } {
  const count = bytes.readUInt8(offset + 1);
  const authority = bytes.readUIntBE(offset + 2, 6);
  const subs: number[] = [];
  for (let i = 0; i < count; i++) subs.push(bytes.readUInt32LE(offset + 8 + i * 4));
  return { text: `S-${bytes.readUInt8(offset)}-${authority}${subs.map((s) => `-${s}`).join('')}`, raw: bytes.subarray(offset, offset + 8 + count * 4) };
}

/** The SID a SID_AND_ATTRIBUTES at @0 of a token buffer points to (its pointer points into the same buffer). */
function firstSid(info: { bytes: Buffer; base: bigint }): { text: string; raw: Buffer } | null {
  const ptr = info.bytes.readBigUInt64LE(0);
  const off = Number(ptr - info.base);
  if (off < 0 || off + 8 > info.bytes.length) return null;
  return sidAt(info.bytes, off);
}

/** LookupAccountSidW (winbase.h, Windows XP+): DOMAIN\user, or the SID string when the name is unknown. */
function accountName(sid: Buffer, sidText: string): string {
  const f = fn('bool __stdcall LookupAccountSidW(str16 sys, void *sid, _Out_ void *name, _Inout_ uint32_t *nameLen, _Out_ void *dom, _Inout_ uint32_t *domLen, _Out_ int *use)');
  const name = Buffer.alloc(512);
  const dom = Buffer.alloc(512);
  const nameLen = [256];
  const domLen = [256];
  if (!f(null, sid, name, nameLen, dom, domLen, [0])) return sidText;
  const n = name.toString('utf16le', 0, (nameLen[0] ?? 0) * 2);
  const d = dom.toString('utf16le', 0, (domLen[0] ?? 0) * 2);
  return d ? `${d}\\${n}` : n;
}

export type TokenIntegrity = 'untrusted' | 'low' | 'medium' | 'high' | 'system' | 'protected';

export interface TokenFacts {
  user: string | null;
  userSid: string | null;
  elevated: boolean | null;
  integrityLevel: TokenIntegrity | null;
}

/** SECURITY_MANDATORY_*_RID (winnt.h): the last sub-authority of the integrity SID. */
function integrityFromRid(rid: number): TokenIntegrity {
  if (rid >= 0x5000) return 'protected';
  if (rid >= 0x4000) return 'system';
  if (rid >= 0x3000) return 'high';
  if (rid >= 0x2000) return 'medium';
  if (rid >= 0x1000) return 'low';
  return 'untrusted';
}

/** The user SID of a process's primary token, without the account-name lookup (which may ask a domain controller). */
export function readTokenUserSid(process: WinHandle): string | null {
  const token = openProcessToken(process, TOKEN_QUERY);
  if (!token) return null;
  try {
    const user = tokenInformation(token, TokenUser);
    return (user && firstSid(user)?.text) ?? null;
  } finally {
    token.close();
  }
}

/** User, elevation and integrity of a process's primary token; each part null when it cannot be read. */
export function readTokenFacts(process: WinHandle): TokenFacts {
  const facts: TokenFacts = { user: null, userSid: null, elevated: null, integrityLevel: null };
  const token = openProcessToken(process, TOKEN_QUERY);
  if (!token) return facts;
  try {
    const user = tokenInformation(token, TokenUser);
    const sid = user ? firstSid(user) : null;
    if (sid) {
      facts.userSid = sid.text;
      facts.user = accountName(Buffer.from(sid.raw), sid.text);
    }
    const elevation = tokenInformation(token, TokenElevation);
    if (elevation) facts.elevated = elevation.bytes.readUInt32LE(0) !== 0;
    const label = tokenInformation(token, TokenIntegrityLevel);
    const labelSid = label ? firstSid(label) : null;
    if (labelSid && labelSid.raw.length >= 12) {
      facts.integrityLevel = integrityFromRid(labelSid.raw.readUInt32LE(labelSid.raw.length - 4));
    }
  } finally {
    token.close();
  }
  return facts;
}

/**
 * Enables SeDebugPrivilege in our own token if we hold it (LookupPrivilegeValueW + AdjustTokenPrivileges,
 * securitybaseapi.h / winbase.h, Windows XP+). AdjustTokenPrivileges returns TRUE even when nothing was enabled:
 * ERROR_NOT_ALL_ASSIGNED (1300) says we do not hold it. Returns whether it is now enabled.
 */
export function enableDebugPrivilege(self: WinHandle): boolean {
  const token = openProcessToken(self, TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY);
  if (!token) return false;
  try {
    const luid = [0n];
    if (!fn('bool __stdcall LookupPrivilegeValueW(str16 sys, str16 name, _Out_ uint64_t *luid)')(null, 'SeDebugPrivilege', luid)) {
      return false;
    }
    // TOKEN_PRIVILEGES with one LUID_AND_ATTRIBUTES: PrivilegeCount u32 @0, Luid u64 @4, Attributes u32 @12.
    const tp = Buffer.alloc(16);
    tp.writeUInt32LE(1, 0);
    tp.writeBigUInt64LE(BigInt(luid[0] ?? 0), 4);
    tp.writeUInt32LE(0x2 /* SE_PRIVILEGE_ENABLED */, 12);
    const ok = fn('bool __stdcall AdjustTokenPrivileges(HANDLE t, bool disableAll, void *state, uint32_t len, void *prev, void *ret)')(
      token.raw, false, tp, 16, null, null,
    ) as boolean;
    return ok && getLastError() !== WinError.NOT_ALL_ASSIGNED;
  } finally {
    token.close();
  }
}

/**
 * A protected DACL granting full access to exactly the given user SID, SYSTEM and Administrators (SDDL "D:P…",
 * ConvertStringSecurityDescriptorToSecurityDescriptorW, sddl.h, Windows XP+). `use` runs with the descriptor and
 * it is freed after; the descriptor never leaves the ffi layer.
 */
export function withOwnerOnlySecurityDescriptor<T>(userSid: string, use: (descriptor: unknown) => T): T {
  if (!/^S-1(-\d+)+$/.test(userSid)) throw new Error(`Not a SID: ${userSid}`);
  const sddl = `D:P(A;;FA;;;${userSid})(A;;FA;;;SY)(A;;FA;;;BA)`;
  const out: unknown[] = [null];
  const f = fn('bool __stdcall ConvertStringSecurityDescriptorToSecurityDescriptorW(str16 sddl, uint32_t rev, _Out_ void **sd, _Out_ uint32_t *len)');
  if (!f(sddl, 1, out, [0])) throw new Win32Error('ConvertStringSecurityDescriptorToSecurityDescriptorW', getLastError());
  try {
    return use(out[0]);
  } finally {
    localFree(out[0]);
  }
}

/** GetFileSecurityW (securitybaseapi.h, Windows XP+): the parts of a file's security descriptor that `info` names. */
function fileSecurity(path: string, info: number): Buffer | null {
  const get = fn('bool __stdcall GetFileSecurityW(str16 path, uint32_t info, _Out_ void *sd, uint32_t len, _Out_ uint32_t *need)');
  const need = [0];
  get(path, info, Buffer.alloc(0), 0, need);
  if (!need[0] || need[0] > 1 << 16) return null;
  const sd = Buffer.alloc(need[0]);
  return get(path, info, sd, sd.length, need) ? sd : null;
}

/**
 * The owner of a file or folder as a SID string (GetFileSecurityW with OWNER_SECURITY_INFORMATION;
 * GetSecurityDescriptorOwner, securitybaseapi.h, and ConvertSidToStringSidW, sddl.h, Windows XP+). The elevated
 * helper writes only into a folder its requester owns. Null when it cannot be read.
 */
export function readFileOwnerSid(path: string): string | null {
  const OWNER_SECURITY_INFORMATION = 0x1;
  const sd = fileSecurity(path, OWNER_SECURITY_INFORMATION);
  if (!sd) return null;
  const owner: unknown[] = [null];
  if (!fn('bool __stdcall GetSecurityDescriptorOwner(void *sd, _Out_ void **owner, _Out_ int *defaulted)')(sd, owner, [0]) || !owner[0]) {
    return null;
  }
  const text: unknown[] = [null];
  if (!fn('bool __stdcall ConvertSidToStringSidW(void *sid, _Out_ void **str)')(owner[0], text)) return null;
  try {
    return koffi.decode.string16(text[0]);
  } finally {
    localFree(text[0]);
  }
}

/**
 * The DACL of a file as SDDL (GetFileSecurityW with DACL_SECURITY_INFORMATION;
 * ConvertSecurityDescriptorToStringSecurityDescriptorW, sddl.h, Windows XP+). Lets tests check who may read a dump.
 */
export function readFileDaclSddl(path: string): string | null {
  const DACL_SECURITY_INFORMATION = 0x4;
  const sd = fileSecurity(path, DACL_SECURITY_INFORMATION);
  if (!sd) return null;
  const out: unknown[] = [null];
  const convert = fn('bool __stdcall ConvertSecurityDescriptorToStringSecurityDescriptorW(void *sd, uint32_t rev, uint32_t info, _Out_ void **str, _Out_ uint32_t *len)');
  if (!convert(sd, 1, DACL_SECURITY_INFORMATION, out, [0])) return null;
  try {
    return koffi.decode.string16(out[0]);
  } finally {
    localFree(out[0]);
  }
}

/** SID pointer → "S-1-…" (ConvertSidToStringSidW, sddl.h, Windows XP+), or null. */
function sidPointerToString(sid: unknown): string | null {
  const text: unknown[] = [null];
  if (!sid || !fn('bool __stdcall ConvertSidToStringSidW(void *sid, _Out_ void **str)')(sid, text)) return null;
  try {
    return koffi.decode.string16(text[0]);
  } finally {
    localFree(text[0]);
  }
}

/**
 * The owner SID and the DACL (SDDL) of the object an open handle holds (GetSecurityInfo with SE_FILE_OBJECT,
 * aclapi.h, Windows XP+; the handle needs READ_CONTROL). Read from the handle, not a path, so they describe the
 * very folder the helper opened. Each part is null when it cannot be read.
 */
export function readHandleOwnerAndDacl(h: WinHandle): { ownerSid: string | null; daclSddl: string | null } {
  const SE_FILE_OBJECT = 1;
  const OWNER_SECURITY_INFORMATION = 0x1;
  const DACL_SECURITY_INFORMATION = 0x4;
  const owner: unknown[] = [null];
  const sd: unknown[] = [null];
  const get = fn('uint32_t __stdcall GetSecurityInfo(HANDLE h, int type, uint32_t info, _Out_ void **owner, _Out_ void **group, _Out_ void **dacl, _Out_ void **sacl, _Out_ void **sd)');
  if (get(h.raw, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, owner, [null], [null], [null], sd) !== 0 || !sd[0]) {
    return { ownerSid: null, daclSddl: null };
  }
  try {
    const out: unknown[] = [null];
    const convert = fn('bool __stdcall ConvertSecurityDescriptorToStringSecurityDescriptorW(void *sd, uint32_t rev, uint32_t info, _Out_ void **str, _Out_ uint32_t *len)');
    let daclSddl: string | null = null;
    if (convert(sd[0], 1, DACL_SECURITY_INFORMATION, out, [0])) {
      try {
        daclSddl = koffi.decode.string16(out[0]);
      } finally {
        localFree(out[0]);
      }
    }
    return { ownerSid: sidPointerToString(owner[0]), daclSddl };
  } finally {
    localFree(sd[0]);
  }
}

/*
 * The registry below HKEY_LOCAL_MACHINE, for the persistent capture's keys (winreg.h on learn.microsoft.com:
 * RegOpenKeyExW, RegCreateKeyExW, RegQueryValueExW, RegEnumValueW, RegEnumKeyExW, RegSetValueExW, RegDeleteValueW,
 * RegCloseKey: Windows 2000+; RegDeleteKeyExW: Vista+). Always the 64-bit view (KEY_WOW64_64KEY), where Windows
 * itself reads Image File Execution Options, SilentProcessExit and LocalDumps. An HKEY is passed as intptr_t:
 * HKEY_LOCAL_MACHINE is ((HKEY)(ULONG_PTR)((LONG)0x80000002)), sign-extended to 64 bits. Each call opens its key
 * and closes it before returning; no HKEY leaves this file. Functions return the LSTATUS Windows error code.
 */
const HKEY_LOCAL_MACHINE = -0x7ffffffe;
const KEY_QUERY_VALUE = 0x0001;
const KEY_SET_VALUE = 0x0002;
const KEY_READ = 0x20019;
const KEY_WOW64_64KEY = 0x0100;
const REG_OPTION_NON_VOLATILE = 0;
const REG_CREATED_NEW_KEY = 1;
const REG_SZ = 1;
const REG_EXPAND_SZ = 2;
const REG_DWORD = 4;
const ERROR_SUCCESS = 0;
const ERROR_FILE_NOT_FOUND = 2;
const ERROR_MORE_DATA = 234;
const ERROR_NO_MORE_ITEMS = 259;
/** Registry limits (winreg "Registry Element Size Limits"): a key name 255 characters, a value name 16,383. */
const MAX_KEY_NAME_CHARS = 256;
const MAX_VALUE_NAME_CHARS = 16_384;
const MAX_VALUE_BYTES = 64 * 1024;

/** A value as the persistent capture reads and writes it; other types are read as 'other' with no data. */
export type RegistryData = { type: 'dword'; data: number } | { type: 'sz' | 'expand-sz'; data: string } | { type: 'other'; data: null };

function checkStatus(fnName: string, status: number): void {
  if (status !== ERROR_SUCCESS) throw new Win32Error(fnName, status);
}

/** Opens HKLM\subKey; null when it does not exist. The caller closes it with closeKey. */
function openKey(subKey: string, access: number): unknown | null {
  const out: unknown[] = [0];
  const status = fn('int32_t __stdcall RegOpenKeyExW(intptr_t key, str16 sub, uint32_t options, uint32_t sam, _Out_ intptr_t *result)')(
    HKEY_LOCAL_MACHINE, subKey, 0, access | KEY_WOW64_64KEY, out,
  ) as number;
  if (status === ERROR_FILE_NOT_FOUND) return null;
  checkStatus('RegOpenKeyExW', status);
  return out[0];
}

function closeKey(key: unknown): void {
  fn('int32_t __stdcall RegCloseKey(intptr_t key)')(key);
}

function withKey<T>(subKey: string, access: number, use: (key: unknown) => T): T {
  const key = openKey(subKey, access);
  if (key === null) throw new Win32Error('RegOpenKeyExW', ERROR_FILE_NOT_FOUND);
  try {
    return use(key);
  } finally {
    closeKey(key);
  }
}

function decodeData(type: number, data: Buffer, bytes: number): RegistryData {
  if (type === REG_DWORD && bytes === 4) return { type: 'dword', data: data.readUInt32LE(0) };
  if (type === REG_SZ || type === REG_EXPAND_SZ) {
    // Stored strings may or may not end in a NUL (RegQueryValueExW's remarks): cut at the first one.
    const text = data.toString('utf16le', 0, bytes - (bytes % 2));
    const nul = text.indexOf('\0');
    return { type: type === REG_SZ ? 'sz' : 'expand-sz', data: nul < 0 ? text : text.slice(0, nul) };
  }
  return { type: 'other', data: null };
}

/** Every value (by name) and subkey name of HKLM\subKey, or null when the key does not exist. */
export function regReadKey(subKey: string): { values: { name: string; value: RegistryData }[]; subkeys: string[] } | null {
  const key = openKey(subKey, KEY_READ);
  if (key === null) return null;
  try {
    const enumValue = fn('int32_t __stdcall RegEnumValueW(intptr_t key, uint32_t index, _Out_ void *name, _Inout_ uint32_t *nameLen, void *reserved, _Out_ uint32_t *type, _Out_ void *data, _Inout_ uint32_t *dataLen)');
    const enumKey = fn('int32_t __stdcall RegEnumKeyExW(intptr_t key, uint32_t index, _Out_ void *name, _Inout_ uint32_t *nameLen, void *reserved, void *cls, void *clsLen, void *lastWrite)');
    const values: { name: string; value: RegistryData }[] = [];
    const nameBuf = Buffer.alloc(MAX_VALUE_NAME_CHARS * 2);
    const dataBuf = Buffer.alloc(MAX_VALUE_BYTES);
    for (let i = 0; ; i++) {
      const nameLen = [MAX_VALUE_NAME_CHARS];
      const type = [0];
      const dataLen = [dataBuf.length];
      const status = enumValue(key, i, nameBuf, nameLen, null, type, dataBuf, dataLen) as number;
      if (status === ERROR_NO_MORE_ITEMS) break;
      // A value larger than we read is none of ours: its name counts, its data does not.
      if (status !== ERROR_SUCCESS && status !== ERROR_MORE_DATA) checkStatus('RegEnumValueW', status);
      const name = nameBuf.toString('utf16le', 0, (nameLen[0] ?? 0) * 2);
      values.push({ name, value: status === ERROR_MORE_DATA ? { type: 'other', data: null } : decodeData(type[0] ?? 0, dataBuf, dataLen[0] ?? 0) });
    }
    const subkeys: string[] = [];
    const keyBuf = Buffer.alloc(MAX_KEY_NAME_CHARS * 2);
    for (let i = 0; ; i++) {
      const nameLen = [MAX_KEY_NAME_CHARS];
      const status = enumKey(key, i, keyBuf, nameLen, null, null, null, null) as number;
      if (status === ERROR_NO_MORE_ITEMS) break;
      checkStatus('RegEnumKeyExW', status);
      subkeys.push(keyBuf.toString('utf16le', 0, (nameLen[0] ?? 0) * 2));
    }
    return { values, subkeys };
  } finally {
    closeKey(key);
  }
}

/** One value of HKLM\subKey (RegQueryValueExW), or null when the key or the value does not exist. */
export function regQueryValue(subKey: string, name: string): RegistryData | null {
  const key = openKey(subKey, KEY_QUERY_VALUE);
  if (key === null) return null;
  try {
    const data = Buffer.alloc(MAX_VALUE_BYTES);
    const type = [0];
    const len = [data.length];
    const status = fn('int32_t __stdcall RegQueryValueExW(intptr_t key, str16 name, void *reserved, _Out_ uint32_t *type, _Out_ void *data, _Inout_ uint32_t *len)')(
      key, name, null, type, data, len,
    ) as number;
    if (status === ERROR_FILE_NOT_FOUND) return null;
    if (status === ERROR_MORE_DATA) return { type: 'other', data: null };
    checkStatus('RegQueryValueExW', status);
    return decodeData(type[0] ?? 0, data, len[0] ?? 0);
  } finally {
    closeKey(key);
  }
}

/** Creates HKLM\subKey (and any missing parent) or opens it; `created` says which (the disposition). */
export function regCreateKey(subKey: string): { created: boolean } {
  const out: unknown[] = [0];
  const disposition = [0];
  const status = fn('int32_t __stdcall RegCreateKeyExW(intptr_t key, str16 sub, uint32_t reserved, str16 cls, uint32_t options, uint32_t sam, void *sa, _Out_ intptr_t *result, _Out_ uint32_t *disposition)')(
    HKEY_LOCAL_MACHINE, subKey, 0, null, REG_OPTION_NON_VOLATILE, KEY_QUERY_VALUE | KEY_WOW64_64KEY, null, out, disposition,
  ) as number;
  checkStatus('RegCreateKeyExW', status);
  closeKey(out[0]);
  return { created: disposition[0] === REG_CREATED_NEW_KEY };
}

/** Sets a REG_DWORD, REG_SZ or REG_EXPAND_SZ value of an existing HKLM\subKey (RegSetValueExW). */
export function regSetValue(subKey: string, name: string, value: RegistryData): void {
  let type: number;
  let data: Buffer;
  if (value.type === 'dword') {
    type = REG_DWORD;
    data = Buffer.alloc(4);
    data.writeUInt32LE(value.data >>> 0, 0);
  } else if (value.type === 'sz' || value.type === 'expand-sz') {
    type = value.type === 'sz' ? REG_SZ : REG_EXPAND_SZ;
    // cbData counts the terminating NUL (RegSetValueExW's remarks).
    data = Buffer.from(`${value.data}\0`, 'utf16le');
  } else {
    throw new Error('Only DWORD and string values are written.');
  }
  withKey(subKey, KEY_SET_VALUE, (key) =>
    checkStatus('RegSetValueExW', fn('int32_t __stdcall RegSetValueExW(intptr_t key, str16 name, uint32_t reserved, uint32_t type, void *data, uint32_t len)')(
      key, name, 0, type, data, data.length,
    ) as number),
  );
}

/** Deletes one value of HKLM\subKey (RegDeleteValueW). */
export function regDeleteValue(subKey: string, name: string): void {
  withKey(subKey, KEY_SET_VALUE, (key) => checkStatus('RegDeleteValueW', fn('int32_t __stdcall RegDeleteValueW(intptr_t key, str16 name)')(key, name) as number));
}

/** Deletes HKLM\subKey with its values; fails (ERROR_ACCESS_DENIED) when it has subkeys (RegDeleteKeyExW, Vista+). */
export function regDeleteKey(subKey: string): void {
  checkStatus('RegDeleteKeyExW', fn('int32_t __stdcall RegDeleteKeyExW(intptr_t key, str16 sub, uint32_t sam, uint32_t reserved)')(
    HKEY_LOCAL_MACHINE, subKey, KEY_WOW64_64KEY, 0,
  ) as number);
}
