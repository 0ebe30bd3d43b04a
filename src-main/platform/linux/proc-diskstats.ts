/*
 * System I/O for the toolbar's I/O graph on Linux, from /proc/diskstats (Documentation/admin-guide/iostats.rst;
 * diskstats_show() in block/genhd.c): bytes read and written by the machine's physical disks. Only whole disks
 * with a device behind them count (/sys/block/NAME/device exists): partitions, loop, zram, device-mapper and md
 * devices would count the same bytes twice. Disk traffic, not every read() (the per-process rchar/wchar): the cache
 * hits a process sees are not I/O the machine did. One small file per poll.
 */
import { existsSync, readdirSync } from 'node:fs';

/** diskstats counts in 512-byte sectors whatever the device's own sector size (iostats.rst). */
const SECTOR_BYTES = 512;

export function parseDiskStats(text: string, disks: ReadonlySet<string>): { readBytes: number; writeBytes: number } | null {
  let readBytes = 0;
  let writeBytes = 0;
  let any = false;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    // major minor name reads merged sectors ms writes merged sectors ...
    if (f.length < 10 || !disks.has(f[2]!)) continue;
    const sectorsRead = Number(f[5]);
    const sectorsWritten = Number(f[9]);
    if (!Number.isFinite(sectorsRead) || !Number.isFinite(sectorsWritten)) continue;
    any = true;
    readBytes += sectorsRead * SECTOR_BYTES;
    writeBytes += sectorsWritten * SECTOR_BYTES;
  }
  return any ? { readBytes, writeBytes } : null;
}

/** The physical whole disks: /sys/block entries with a device link (vda, sda, nvme0n1; not loop0, zram0, dm-0). */
export function physicalDisks(sysBlock = '/sys/block'): Set<string> {
  try {
    return new Set(readdirSync(sysBlock).filter((name) => existsSync(`${sysBlock}/${name}/device`)));
  } catch {
    return new Set();
  }
}
