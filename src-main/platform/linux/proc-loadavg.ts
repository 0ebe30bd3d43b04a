/*
 * Parser for the last field of /proc/loadavg (proc(5); loadavg_proc_show() in fs/proc/loadavg.c): the most recent
 * pid the kernel handed out in the reader's pid namespace. While it stands still no process (or thread) has been
 * created, so the poll loop can skip listing /proc and re-read the processes it already knows.
 */

/** -1 when the text is not a loadavg line. */
export function parseLastPid(buf: Buffer, length: number): number {
  let end = length;
  while (end > 0 && (buf[end - 1] === 0x0a || buf[end - 1] === 0x20)) end--;
  let start = end;
  while (start > 0 && buf[start - 1]! >= 0x30 && buf[start - 1]! <= 0x39) start--;
  if (start === end || start === 0 || buf[start - 1] !== 0x20) return -1;
  let pid = 0;
  for (let i = start; i < end; i++) pid = pid * 10 + buf[i]! - 0x30;
  return pid;
}
