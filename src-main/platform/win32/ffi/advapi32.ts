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
