/*
 * Which pages of an anonymous mapping hold data, from /proc/PID/pagemap (Documentation/admin-guide/mm/pagemap.rst:
 * one u64 per page; bit 63 present, bit 62 swapped). An anonymous page that is neither was never touched and reads
 * as zeros, so the dump leaves it as a hole without reading it: this is what keeps V8's large untouched
 * reservations cheap. Read while the target is stopped. The kernel's PAGEMAP_SCAN ioctl (6.7+) answers with runs
 * directly — 2 ms for a resident GiB where reading 262144 entries and scanning them in JS took 15-50 ms, all of it
 * with the target stopped and the hash waiting for its first bytes — and also leaves out pages mapped to the shared
 * zero page (read but never written). Older kernels get the entry-by-entry read, where only the top byte of each
 * entry is needed (a zero-page mapping counts as present there).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import {
  EINVAL,
  ENOTTY,
  PAGE_IS_PFNZERO,
  PAGE_IS_PRESENT,
  PAGE_IS_SWAPPED,
  PAGE_REGION_BYTES,
  PAGEMAP_SCAN,
  PM_SCAN_ARG_BYTES,
  bufferAddress,
  ioctlSync,
} from './ffi/libc-ptrace';

/** [startAddr, endAddr) runs of pages that must be read. */
export type AddressRun = [number, number];

const CHUNK_PAGES = 65536;
const SCAN_REGIONS = 256;

export interface PagemapReader {
  residentRuns(startAddr: number, endAddr: number): AddressRun[];
  /** Whether the last residentRuns call was answered by PAGEMAP_SCAN (false: entry-by-entry read). */
  readonly lastUsedScan: boolean;
  closeSync(): void;
}

/** `scan: false` forces the entry-by-entry read (what kernels before 6.7 get); tests compare the two. */
export function openPagemapSync(pid: number | 'self', pageBytes: number, options: { scan?: boolean } = {}): PagemapReader | null {
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/pagemap`, 'r');
  } catch {
    return null;
  }
  let buf: Buffer | null = null;
  let scanUnsupported = options.scan === false;
  const arg = Buffer.alloc(PM_SCAN_ARG_BYTES);
  const vec = Buffer.alloc(SCAN_REGIONS * PAGE_REGION_BYTES);
  const vecAddr = bufferAddress(vec);

  /** PAGEMAP_SCAN for present or swapped pages; null when this kernel does not know the ioctl. */
  const scanRuns = (startAddr: number, endAddr: number): AddressRun[] | null => {
    const runs: AddressRun[] = [];
    let at = startAddr;
    while (at < endAddr) {
      arg.fill(0);
      const u64 = (index: number, value: number | bigint): void => {
        arg.writeBigUInt64LE(BigInt(value), index * 8);
      };
      u64(0, PM_SCAN_ARG_BYTES);
      u64(2, at);
      u64(3, endAddr);
      u64(5, vecAddr);
      u64(6, SCAN_REGIONS);
      // Not the zero page: untouched memory someone has read (gcore, a debugger, /proc/PID/mem) maps it, present
      // but all zeros — a hole, like never-touched memory (bench:dump: 517 MiB of V8's code reservation after gcore).
      u64(8, PAGE_IS_PFNZERO); // category_inverted
      u64(9, PAGE_IS_PFNZERO); // category_mask
      u64(10, PAGE_IS_PRESENT | PAGE_IS_SWAPPED); // category_anyof_mask
      u64(11, PAGE_IS_PRESENT | PAGE_IS_SWAPPED); // return_mask
      const r = ioctlSync(fd, PAGEMAP_SCAN, arg);
      if (r.value < 0) {
        if (r.errno === ENOTTY || r.errno === EINVAL) return null;
        throw new Error(`PAGEMAP_SCAN failed (errno ${r.errno})`);
      }
      for (let i = 0; i < r.value; i++) {
        const lo = Number(vec.readBigUInt64LE(i * PAGE_REGION_BYTES));
        const hi = Number(vec.readBigUInt64LE(i * PAGE_REGION_BYTES + 8));
        const last = runs[runs.length - 1];
        if (last && last[1] === lo) last[1] = hi; // a present run next to a swapped one
        else runs.push([lo, hi]);
      }
      const walkEnd = Number(arg.readBigUInt64LE(4 * 8));
      if (walkEnd <= at) return null; // no progress: let the entry-by-entry read answer
      at = walkEnd;
    }
    return runs;
  };

  let lastUsedScan = false;
  return {
    get lastUsedScan() {
      return lastUsedScan;
    },
    residentRuns(startAddr, endAddr) {
      lastUsedScan = false;
      if (!scanUnsupported) {
        const scanned = scanRuns(startAddr, endAddr);
        lastUsedScan = scanned !== null;
        if (scanned) return scanned;
        scanUnsupported = true;
      }
      buf ??= Buffer.allocUnsafe(CHUNK_PAGES * 8);
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
