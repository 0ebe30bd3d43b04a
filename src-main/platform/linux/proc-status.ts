/*
 * Parsers for /proc/PID/status (proc(5); task_state() and task_mem() in fs/proc/array.c and task_mmu.c): the Uid
 * line, RssAnon and TracerPid. Only read once per process identity (and after an exec), so plain string handling is fine here.
 */

export interface ProcStatusIds {
  realUid: number;
  /** The user `ps -o user` and Process Explorer's User Name show: the effective uid. */
  effectiveUid: number;
}

export function parseProcStatusUids(text: string): ProcStatusIds | null {
  const at = text.indexOf('\nUid:');
  if (at < 0) return null;
  const end = text.indexOf('\n', at + 1);
  const fields = text.slice(at + 5, end < 0 ? undefined : end).trim().split(/\s+/);
  if (fields.length < 2) return null;
  const realUid = Number(fields[0]);
  const effectiveUid = Number(fields[1]);
  if (!Number.isInteger(realUid) || !Number.isInteger(effectiveUid)) return null;
  return { realUid, effectiveUid };
}

/**
 * Private bytes from the RssAnon line (kB): the same counter as statm's resident − shared (MM_ANONPAGES), so a
 * new process needs no statm read. A process without memory (a kernel thread, a zombie) has no such line and
 * gets 0, as statm's zeros give it; a text without the later Threads line was cut short and gives null.
 */
export function parseProcStatusRssAnonBytes(text: string): number | null {
  const at = text.indexOf('\nRssAnon:');
  if (at < 0) return text.includes('\nThreads:') ? 0 : null;
  const kb = Number.parseInt(text.slice(at + 9, at + 40).trim(), 10);
  return Number.isSafeInteger(kb) && kb >= 0 ? kb * 1024 : null;
}

/** TracerPid: the pid of the process ptrace-attached to this one (gdb, strace), 0 when none; null if absent. */
export function parseProcStatusTracerPid(text: string): number | null {
  const at = text.indexOf('\nTracerPid:');
  if (at < 0) return null;
  const pid = Number.parseInt(text.slice(at + 11, at + 32).trim(), 10);
  return Number.isSafeInteger(pid) && pid >= 0 ? pid : null;
}

/** The thread group (process) id: a thread's /proc/TID files exist though /proc lists only group leaders. */
export function parseProcStatusTgid(text: string): number | null {
  const m = /^Tgid:\s+(\d+)/m.exec(text);
  return m ? Number(m[1]) : null;
}
