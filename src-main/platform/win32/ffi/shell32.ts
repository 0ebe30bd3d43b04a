/*
 * koffi declaration for shell32.dll ShellExecuteExW (shellapi.h, Windows XP+) and its wrapper: start a program with
 * a verb ("runas" asks UAC for elevation) and hand back the new process's handle. Used by the runas Elevator in
 * src-main/dump/win32; nothing else starts elevated processes.
 */
import koffi, { type TypeObject } from 'koffi';
import { getLastError, wrapHandle } from './kernel32';
import { winLibrary, type WinHandle } from './win-types';

const shell32 = winLibrary('shell32.dll');
let info: TypeObject | null = null;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let shellExecuteEx: ((...args: any[]) => any) | null = null;

/** SEE_MASK_* (shellapi.h). */
const SEE_MASK_NOCLOSEPROCESS = 0x00000040;
const SEE_MASK_FLAG_NO_UI = 0x00000400;
const SW_HIDE = 0;

/**
 * ShellExecuteExW with SEE_MASK_NOCLOSEPROCESS (we want hProcess) | SEE_MASK_FLAG_NO_UI (no error boxes: Wine
 * otherwise tries to show one). SHELLEXECUTEINFOW is 112 bytes on x64 (hProcess @104).
 */
export function shellExecuteWithVerb(
  verb: string,
  file: string,
  parameters: string,
  directory: string | null,
): { process: WinHandle | null; error: number } {
  info ??= koffi.struct('SHELLEXECUTEINFOW', {
    cbSize: 'uint32_t',
    fMask: 'uint32_t',
    hwnd: 'void *',
    lpVerb: 'str16',
    lpFile: 'str16',
    lpParameters: 'str16',
    lpDirectory: 'str16',
    nShow: 'int',
    hInstApp: 'void *',
    lpIDList: 'void *',
    lpClass: 'str16',
    hkeyClass: 'void *',
    dwHotKey: 'uint32_t',
    hIconOrMonitor: 'void *',
    hProcess: 'HANDLE',
  });
  shellExecuteEx ??= shell32.lib().func('bool __stdcall ShellExecuteExW(_Inout_ SHELLEXECUTEINFOW *info)');
  const sei = {
    cbSize: koffi.sizeof(info),
    fMask: SEE_MASK_NOCLOSEPROCESS | SEE_MASK_FLAG_NO_UI,
    hwnd: null,
    lpVerb: verb,
    lpFile: file,
    lpParameters: parameters,
    lpDirectory: directory,
    nShow: SW_HIDE,
    hInstApp: null,
    lpIDList: null,
    lpClass: null,
    hkeyClass: null,
    dwHotKey: 0,
    hIconOrMonitor: null,
    hProcess: null as unknown,
  };
  if (!shellExecuteEx(sei)) return { process: null, error: getLastError() };
  return { process: wrapHandle(sei.hProcess), error: 0 };
}
