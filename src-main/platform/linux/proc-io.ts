/*
 * Parser for /proc/PID/io (proc(5); proc_tid_io_accounting() in fs/proc/base.c): the I/O columns' counters. We use
 * rchar/wchar (bytes passed to read()/write()-family calls, whatever served them: page cache, pipes, sockets) and
 * syscr/syscw, not read_bytes/write_bytes (block-layer traffic only): the former is what Process Explorer's I/O
 * columns count on Windows and what moves for a process that works, the latter stays 0 for most of a warm machine.
 * The file needs ptrace read access (another user's process: EACCES), and is read only while an I/O column shows.
 */

export interface ProcIo {
  readBytes: number;
  writeBytes: number;
  readOps: number;
  writeOps: number;
}

/** The value after `name: ` at a line start, or -1. Bytes, no string: it runs once per process per poll. */
function fieldAt(buf: Buffer, length: number, name: string): number {
  let at = 0;
  while (at < length) {
    let match = true;
    for (let k = 0; k < name.length; k++) {
      if (buf[at + k] !== name.charCodeAt(k)) {
        match = false;
        break;
      }
    }
    if (match && buf[at + name.length] === 0x3a) {
      let i = at + name.length + 1;
      while (i < length && buf[i] === 0x20) i++;
      let v = 0;
      const from = i;
      while (i < length && buf[i]! >= 0x30 && buf[i]! <= 0x39) v = v * 10 + buf[i++]! - 0x30;
      return i > from ? v : -1;
    }
    const nl = buf.indexOf(0x0a, at);
    if (nl < 0 || nl >= length) return -1;
    at = nl + 1;
  }
  return -1;
}

export function parseProcIo(buf: Buffer, length: number): ProcIo | null {
  const readBytes = fieldAt(buf, length, 'rchar');
  const writeBytes = fieldAt(buf, length, 'wchar');
  const readOps = fieldAt(buf, length, 'syscr');
  const writeOps = fieldAt(buf, length, 'syscw');
  if (readBytes < 0 || writeBytes < 0 || readOps < 0 || writeOps < 0) return null;
  return { readBytes, writeBytes, readOps, writeOps };
}
