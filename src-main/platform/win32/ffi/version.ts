/*
 * koffi declarations for version.dll (winver.h, Windows XP+): the FileDescription and CompanyName strings of an
 * image's version resource, which Process Explorer shows as Description and Company Name. Callers get strings.
 */
import koffi from 'koffi';
import { winLibrary, type KoffiFn as Fn } from './win-types';

const version = winLibrary('version.dll');
let sizeFn: Fn | null = null;
let infoFn: Fn | null = null;
let queryFn: Fn | null = null;

export interface VersionStrings {
  description: string | null;
  companyName: string | null;
  /** The FileVersion string ('22.23.3', '10.0.19041.1 (WinBuild.160101.0800)'). */
  fileVersion: string | null;
}

/** VerQueryValueW: the value's pointer points into `block`; turn it into an offset and read from the Buffer. */
function queryValue(block: Buffer, base: bigint, subBlock: string): { offset: number; length: number } | null {
  queryFn ??= version.lib().func('bool __stdcall VerQueryValueW(void *block, str16 sub, _Out_ void **ptr, _Out_ uint32_t *len)') as Fn;
  const ptr: unknown[] = [null];
  const len = [0];
  if (!queryFn(block, subBlock, ptr, len) || ptr[0] === null) return null;
  const offset = Number(koffi.address(ptr[0]) - base);
  if (offset < 0 || offset >= block.length) return null;
  return { offset, length: len[0] ?? 0 };
}

/** GetFileVersionInfoSizeW + GetFileVersionInfoW + VerQueryValueW (winver.h, Windows XP+). */
export function readVersionStrings(imagePath: string): VersionStrings {
  const none: VersionStrings = { description: null, companyName: null, fileVersion: null };
  sizeFn ??= version.lib().func('uint32_t __stdcall GetFileVersionInfoSizeW(str16 path, _Out_ uint32_t *handle)') as Fn;
  infoFn ??= version.lib().func('bool __stdcall GetFileVersionInfoW(str16 path, uint32_t handle, uint32_t len, _Out_ void *data)') as Fn;
  const size = sizeFn(imagePath, [0]) as number;
  if (!size || size > 4 * 1024 * 1024) return none;
  const block = Buffer.allocUnsafeSlow(size);
  if (!infoFn(imagePath, 0, size, block)) return none;
  const base = koffi.address(block);
  // \VarFileInfo\Translation: pairs of (language u16, code page u16); fall back to US English / Unicode.
  const translations: string[] = [];
  const t = queryValue(block, base, '\\VarFileInfo\\Translation');
  if (t) {
    for (let i = 0; i + 4 <= t.length && t.offset + i + 4 <= block.length; i += 4) {
      const lang = block.readUInt16LE(t.offset + i);
      const cp = block.readUInt16LE(t.offset + i + 2);
      translations.push(lang.toString(16).padStart(4, '0') + cp.toString(16).padStart(4, '0'));
    }
  }
  translations.push('040904b0', '040904e4');
  const read = (name: string): string | null => {
    for (const tr of translations) {
      const v = queryValue(block, base, `\\StringFileInfo\\${tr}\\${name}`);
      if (!v) continue;
      // len counts characters including the NUL; stop at the first NUL anyway.
      let end = v.offset;
      const max = Math.min(block.length, v.offset + v.length * 2);
      while (end + 1 < max && block.readUInt16LE(end) !== 0) end += 2;
      const text = block.toString('utf16le', v.offset, end).trim();
      return text || null;
    }
    return null;
  };
  return { description: read('FileDescription'), companyName: read('CompanyName'), fileVersion: read('FileVersion') };
}
