/*
 * koffi declarations for the parts of glibc the Linux backend needs. Loaded once, lazily, in the main process
 * (or CLI / helper). Nothing outside src-main/platform/linux (and the Linux dump writer) may import this file.
 */
import koffi from 'koffi';

let lib: koffi.IKoffiLib | null = null;
function libc(): koffi.IKoffiLib {
  lib ??= koffi.load('libc.so.6');
  return lib;
}

// <unistd.h> sysconf(3): _SC_CLK_TCK = 2, _SC_PAGESIZE = 30, _SC_NPROCESSORS_ONLN = 84 (glibc bits/confname.h).
const SC_CLK_TCK = 2;
const SC_PAGESIZE = 30;
const SC_NPROCESSORS_ONLN = 84;

let sysconfFn: ((name: number) => number) | null = null;
function sysconf(name: number): number {
  sysconfFn ??= libc().func('long sysconf(int name)') as (name: number) => number;
  return Number(sysconfFn(name));
}

let clockTicks: number | null = null;
/** USER_HZ: the unit of /proc/PID/stat times (utime, stime, starttime). */
export function clockTicksPerSecond(): number {
  clockTicks ??= sysconf(SC_CLK_TCK);
  return clockTicks;
}

let pageSize: number | null = null;
export function pageSizeBytes(): number {
  pageSize ??= sysconf(SC_PAGESIZE);
  return pageSize;
}

export function onlineCpuCount(): number {
  return sysconf(SC_NPROCESSORS_ONLN);
}
