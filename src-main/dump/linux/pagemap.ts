/*
 * Which pages of an anonymous mapping hold data, from /proc/PID/pagemap (Documentation/admin-guide/mm/pagemap.rst:
 * one u64 per page; bit 63 present, bit 62 swapped). An anonymous page that is neither was never touched and reads
 * as zeros, so the dump leaves it as a hole without reading it: this is what keeps V8's large untouched
 * reservations cheap. Read while the target is stopped. Only the top byte of each entry is needed.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** [startAddr, endAddr) runs of pages that must be read. */
export type AddressRun = [number, number];

const CHUNK_PAGES = 65536;

export interface PagemapReader {
  residentRuns(startAddr: number, endAddr: number): AddressRun[];
  closeSync(): void;
}

export function openPagemapSync(pid: number, pageBytes: number): PagemapReader | null {
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/pagemap`, 'r');
  } catch {
    return null;
  }
  const buf = Buffer.allocUnsafe(CHUNK_PAGES * 8);
  return {
    residentRuns(startAddr, endAddr) {
      const runs: AddressRun[] = [];
      let runStart = -1;
      for (let page = startAddr / pageBytes; page < endAddr / pageBytes; page += CHUNK_PAGES) {
        const count = Math.min(CHUNK_PAGES, endAddr / pageBytes - page);
        const got = readSync(fd, buf, 0, count * 8, page * 8);
        for (let i = 0; i < count; i++) {
          // A short read means the kernel could not report: treat those pages as present (read them).
          const needed = i * 8 + 8 > got || (buf[i * 8 + 7]! & 0xc0) !== 0;
          const addr = (page + i) * pageBytes;
          if (needed && runStart < 0) runStart = addr;
          else if (!needed && runStart >= 0) {
            runs.push([runStart, addr]);
            runStart = -1;
          }
        }
      }
      if (runStart >= 0) runs.push([runStart, endAddr]);
      return runs;
    },
    closeSync() {
      closeSync(fd);
    },
  };
}
