/*
 * Parser for /proc/PID/statm (proc(5); proc_pid_statm() in fs/proc/array.c): seven page counts on one line. The
 * backend reads it for private bytes only; size and resident also come from /proc/PID/stat.
 */

export interface ProcStatm {
  sizePages: number;
  residentPages: number;
  /** RssFile + RssShmem: pages that are (or could be) shared with other processes. */
  sharedPages: number;
}

export function parseProcStatm(buf: Buffer, length: number): ProcStatm | null {
  const values: number[] = [];
  let i = 0;
  while (i < length && values.length < 3) {
    let v = 0;
    const from = i;
    while (i < length && buf[i]! >= 0x30 && buf[i]! <= 0x39) v = v * 10 + buf[i++]! - 0x30;
    if (i === from) return null;
    values.push(v);
    i++;
  }
  if (values.length < 3) return null;
  return { sizePages: values[0]!, residentPages: values[1]!, sharedPages: values[2]! };
}

/**
 * Private bytes on Linux = resident − shared = RssAnon (mm->rss_stat: anon vs file + shmem; task_statm() in
 * fs/proc/task_mmu.c). Windows' Private Bytes is the private commit charge; Linux has no cheap per-process commit
 * figure (VmData counts untouched reservations — gigabytes for a JVM or V8 — and smaps_rollup costs a page-table
 * walk). Resident anonymous memory is what exiting the process would give back, and statm is a 30-byte file,
 * so it can be read every poll. It leaves out swapped-out pages (VmSwap).
 */
export function privateBytesOfStatm(statm: ProcStatm, pageSizeBytes: number): number {
  return Math.max(0, statm.residentPages - statm.sharedPages) * pageSizeBytes;
}
