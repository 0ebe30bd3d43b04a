/*
 * The name a Linux process is listed (and its dumps are named) by. The kernel sets comm at exec to the executed
 * file's base name (15 bytes at most) — "sh" for /bin/sh, though the exe link says dash — and that is what ps, top and
 * Process Explorer's Linux peers show. But a program may rename its main thread, which renames comm: Node 24 calls
 * itself "MainThread", so every node process was listed, and dumped, as MainThread. A comm that is neither the
 * image's nor argv[0]'s base name (each cut to comm's 15 bytes) was set by the program, and the image name is
 * shown instead; a process whose image cannot be read keeps its comm.
 */
const COMM_MAX = 15;

/** After the last / — or \\: Wine starts services.exe as "C:\\windows\\system32\\services.exe" and names comm so. */
function baseName(path: string): string {
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return slash < 0 ? path : path.slice(slash + 1);
}

/** The kernel cuts comm to 15 bytes; compare in bytes, so a multi-byte name cut mid-character still matches. */
function sameAsComm(comm: string, name: string): boolean {
  if (name === comm) return true;
  const bytes = Buffer.from(name, 'utf8');
  return bytes.length > COMM_MAX && bytes.subarray(0, COMM_MAX).toString('utf8') === comm;
}

/** argv0: the command line's first NUL-separated string (it may hold spaces), null when unreadable. */
export function linuxProcessName(comm: string, exePath: string | null, argv0: string | null): string {
  if (exePath === null) return comm;
  // A deleted image reads as "/usr/bin/x (deleted)".
  const image = baseName(exePath.replace(/ \(deleted\)$/, ''));
  if (!image || sameAsComm(comm, image)) return comm;
  if (argv0 && sameAsComm(comm, baseName(argv0))) return comm;
  return image;
}
