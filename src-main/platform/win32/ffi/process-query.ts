/*
 * Safe per-process queries that need pointer arithmetic, kept inside the ffi layer: the command line
 * (NtQueryInformationProcess(ProcessCommandLineInformation), else the PEB through ReadProcessMemory) and the
 * bitness. Callers pass an opened WinHandle and get strings and booleans back.
 */
import koffi from 'koffi';
import { isWow64Process2, readProcessMemory } from './kernel32';
import { queryInformationProcess } from './ntdll';
import type { WinHandle } from './win-types';

const ProcessBasicInformation = 0;
const ProcessWow64Information = 26;
const ProcessCommandLineInformation = 60;

/** UNICODE_STRING (x64): Length u16 @0 (bytes), MaximumLength u16 @2, Buffer ptr @8. */
export function readRemoteUnicodeString(h: WinHandle, at: bigint): string | null {
  const us = readProcessMemory(h, at, 16);
  if (!us) return null;
  const length = us.readUInt16LE(0);
  const buffer = us.readBigUInt64LE(8);
  if (length === 0) return '';
  if (buffer === 0n || length > 65534) return null;
  const text = readProcessMemory(h, buffer, length);
  return text ? text.toString('utf16le') : null;
}

/** PEB → ProcessParameters (@0x20) → CommandLine (@0x70): for Windows before 8.1, and Wine (0xC0000003 on class 60). */
function commandLineFromPeb(h: WinHandle): string | null {
  const pbi = Buffer.alloc(48);
  if (queryInformationProcess(h, ProcessBasicInformation, pbi).status !== 0) return null;
  const peb = pbi.readBigUInt64LE(8);
  if (peb === 0n) return null;
  const params = readProcessMemory(h, peb + 0x20n, 8);
  if (!params) return null;
  const paramsAddress = params.readBigUInt64LE(0);
  if (paramsAddress === 0n) return null;
  return readRemoteUnicodeString(h, paramsAddress + 0x70n);
}

/**
 * The command line of a 64-bit process (handle needs PROCESS_QUERY_LIMITED_INFORMATION for class 60, plus
 * PROCESS_QUERY_INFORMATION | PROCESS_VM_READ for the PEB route). A WOW64 target's PEB is the 32-bit one
 * (ProcessWow64Information; not read here), so class 60 is the only route for it. Null when neither works.
 */
export function readCommandLine(h: WinHandle, is32Bit: boolean): string | null {
  const buf = Buffer.allocUnsafeSlow(8192);
  let r = queryInformationProcess(h, ProcessCommandLineInformation, buf);
  let bytes = buf;
  if (r.status === 0xc0000004 && r.length > buf.length && r.length < 1 << 20) {
    bytes = Buffer.allocUnsafeSlow(r.length);
    r = queryInformationProcess(h, ProcessCommandLineInformation, bytes);
  }
  if (r.status === 0) {
    // The result is a UNICODE_STRING whose Buffer points just behind it, inside our own buffer.
    const length = bytes.readUInt16LE(0);
    const offset = Number(bytes.readBigUInt64LE(8) - koffi.address(bytes));
    if (length === 0) return '';
    if (offset >= 16 && offset + length <= bytes.length) return bytes.toString('utf16le', offset, offset + length);
  }
  if (is32Bit) return null;
  return commandLineFromPeb(h);
}

/** True for a 32-bit (WOW64) process: IsWow64Process2, else NtQueryInformationProcess(ProcessWow64Information). */
export function readIs32Bit(h: WinHandle): boolean | null {
  const info = isWow64Process2(h);
  if (info) return info.processMachine !== 0;
  const buf = Buffer.alloc(8);
  if (queryInformationProcess(h, ProcessWow64Information, buf).status !== 0) return null;
  return buf.readBigUInt64LE(0) !== 0n;
}
