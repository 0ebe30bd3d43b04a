/*
 * What the process-detail readers take from another process's memory and loader, kept inside the ffi layer: the
 * PEB's RTL_USER_PROCESS_PARAMETERS (current directory, environment block; NATIVE.md's offsets), the module list
 * (K32EnumProcessModulesEx + K32GetModuleFileNameExW + K32GetModuleInformation, psapi.h, Windows 7+ in kernel32)
 * and whether we run under Wine (ntdll's wine_get_version export), which leaves some fields unfilled. Callers pass
 * an opened WinHandle and get strings, bigints and Buffers back.
 */
import { readProcessMemory } from './kernel32';
import { queryInformationProcess } from './ntdll';
import { readRemoteUnicodeString } from './process-query';
import { winLibrary, type WinHandle } from './win-types';

const kernel32 = winLibrary('kernel32.dll');
const ntdll = winLibrary('ntdll.dll');

/** The PEB address of a 64-bit process (ProcessBasicInformation: PebBaseAddress @8), or null. */
export function readPebAddress(h: WinHandle): bigint | null {
  const pbi = Buffer.alloc(48);
  if (queryInformationProcess(h, 0, pbi).status !== 0) return null;
  const peb = pbi.readBigUInt64LE(8);
  return peb === 0n ? null : peb;
}

function processParametersAddress(h: WinHandle): bigint | null {
  const peb = readPebAddress(h);
  const p = peb === null ? null : readProcessMemory(h, peb + 0x20n, 8);
  const at = p?.readBigUInt64LE(0) ?? 0n;
  return at === 0n ? null : at;
}

/** RTL_USER_PROCESS_PARAMETERS.CurrentDirectory.DosPath (@0x38) of a 64-bit process (VM_READ + QUERY_INFORMATION). */
export function readCurrentDirectory(h: WinHandle): string | null {
  const params = processParametersAddress(h);
  return params === null ? null : readRemoteUnicodeString(h, params + 0x38n);
}

const MAX_ENVIRONMENT_BYTES = 16 * 1024 * 1024;

/**
 * The environment block of a 64-bit process: ProcessParameters → Environment (@0x80), EnvironmentSize (@0x3F0,
 * Vista+) bytes. Where the size is 0 or implausible (Wine may not fill it), the block is read in 64 KiB steps up to
 * its double NUL. Null when unreadable.
 */
export function readEnvironmentBlock(h: WinHandle): Buffer | null {
  const params = processParametersAddress(h);
  if (params === null) return null;
  const env = readProcessMemory(h, params + 0x80n, 8)?.readBigUInt64LE(0) ?? 0n;
  if (env === 0n) return null;
  const size = Number(readProcessMemory(h, params + 0x3f0n, 8)?.readBigUInt64LE(0) ?? 0n);
  if (size > 0 && size <= MAX_ENVIRONMENT_BYTES) {
    const b = readProcessMemory(h, env, size);
    if (b) return b;
  }
  const parts: Buffer[] = [];
  for (let at = 0; at < MAX_ENVIRONMENT_BYTES; at += 65536) {
    // A short read at the block's last page: step down to page-sized reads.
    let chunk = readProcessMemory(h, env + BigInt(at), 65536);
    if (!chunk) {
      const pages: Buffer[] = [];
      for (let p = 0; p < 16; p++) {
        const page = readProcessMemory(h, env + BigInt(at + p * 4096), 4096);
        if (!page) break;
        pages.push(page);
      }
      if (!pages.length) break;
      chunk = Buffer.concat(pages);
    }
    parts.push(chunk);
    const all = Buffer.concat(parts);
    for (let i = 0; i + 3 < all.length; i += 2) if (all.readUInt32LE(i) === 0) return all.subarray(0, i + 4);
    if (chunk.length < 65536) return all;
  }
  return parts.length ? Buffer.concat(parts) : null;
}

export interface LoadedModule {
  path: string;
  base: bigint;
  sizeBytes: number;
}

/**
 * Every module of the process (LIST_MODULES_ALL = 3), with path, base and size. Needs QUERY_INFORMATION | VM_READ.
 * The array grows while the needed size does (a module loaded between two calls). Null when the list is unreadable.
 */
export function enumProcessModules(h: WinHandle): LoadedModule[] | null {
  const enumFn = kernel32.fn('bool __stdcall K32EnumProcessModulesEx(HANDLE h, _Out_ void *mods, uint32_t cb, _Out_ uint32_t *needed, uint32_t filter)');
  const nameFn = kernel32.fn('uint32_t __stdcall K32GetModuleFileNameExW(HANDLE h, uint64_t mod, _Out_ void *buf, uint32_t size)');
  const infoFn = kernel32.fn('bool __stdcall K32GetModuleInformation(HANDLE h, uint64_t mod, _Out_ void *info, uint32_t cb)');
  let bytes = 1024 * 8;
  let list: Buffer | null = null;
  let count = 0;
  for (let attempt = 0; attempt < 6; attempt++) {
    const b = Buffer.alloc(bytes);
    const needed = [0];
    if (!enumFn(h.raw, b, bytes, needed, 3)) return null;
    const need = needed[0] ?? 0;
    if (need <= bytes) {
      list = b;
      count = need / 8;
      break;
    }
    bytes = need + 64 * 8;
  }
  if (!list) return null;
  const out: LoadedModule[] = [];
  const name = Buffer.alloc(32768 * 2);
  const info = Buffer.alloc(24);
  for (let i = 0; i < count; i++) {
    const mod = list.readBigUInt64LE(i * 8);
    // MODULEINFO: lpBaseOfDll @0, SizeOfImage u32 @8, EntryPoint @16.
    if (!infoFn(h.raw, mod, info, 24)) continue;
    const chars = nameFn(h.raw, mod, name, 32768) as number;
    out.push({ path: chars ? name.toString('utf16le', 0, chars * 2) : '', base: info.readBigUInt64LE(0), sizeBytes: info.readUInt32LE(8) });
  }
  return out;
}

let wine: boolean | null = null;

/** True under Wine: ntdll exports wine_get_version, which no Windows ntdll has. */
export function runningUnderWine(): boolean {
  if (wine === null) {
    try {
      ntdll.fn('const char * __cdecl wine_get_version()');
      wine = true;
    } catch {
      wine = false;
    }
  }
  return wine;
}
