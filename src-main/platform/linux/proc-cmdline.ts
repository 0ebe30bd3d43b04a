/*
 * Parser for /proc/PID/cmdline (proc(5); get_mm_cmdline() in fs/proc/base.c): the arguments, each ended by NUL.
 * A process that rewrote its title (setproctitle: sshd, postgres, nginx) may use spaces instead of NULs and lose
 * the final NUL; kernel threads and zombies have an empty file.
 */

/** Arguments joined by single spaces, as ps `args` shows them; null when the file is empty. */
export function parseProcCmdline(buf: Buffer, length: number): string | null {
  let end = length;
  while (end > 0 && buf[end - 1] === 0) end--;
  if (end === 0) return null;
  const text = buf.toString('utf8', 0, end);
  return text.includes('\0') ? text.replaceAll('\0', ' ') : text;
}
