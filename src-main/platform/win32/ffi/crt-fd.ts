/*
 * A Windows HANDLE as a C runtime file descriptor, so that Node's fs (streams, fsync, close) can write a file that
 * koffi created with a security descriptor of our choosing, which Node's own open cannot give (its mode only sets
 * the read-only attribute; the file takes its folder's inherited DACL). libuv's uv_open_osfhandle (uv.h, libuv
 * 1.23+) is exported by node.exe (checked under Wine) and, for native modules, by Electron's executable (which only
 * an Electron binary can show: without the export the caller gets null and says so), and runs on the C runtime that
 * Node's fs uses; its descriptor owns the handle from then on.
 */
import koffi from 'koffi';
import type { WinHandle } from './win-types';

type OpenOsfhandle = (handle: unknown) => number;
let openOsfhandle: OpenOsfhandle | null | undefined;

function uvOpenOsfhandle(): OpenOsfhandle | null {
  if (openOsfhandle === undefined) {
    try {
      openOsfhandle = koffi.load(process.execPath).func('int uv_open_osfhandle(void *handle)') as OpenOsfhandle;
    } catch {
      openOsfhandle = null;
    }
  }
  return openOsfhandle;
}

/**
 * A descriptor that owns `h` (closing it closes the handle), or null when this executable exports no libuv or the
 * runtime refuses (its table is full); `h` is then still the caller's to close.
 */
export function handleToFd(h: WinHandle): number | null {
  const open = uvOpenOsfhandle();
  if (!open) return null;
  const fd = open(h.raw);
  if (fd < 0) return null;
  h.release();
  return fd;
}
