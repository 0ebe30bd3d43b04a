/*
 * Parser for the Uid line of /proc/PID/status (proc(5); task_state() in fs/proc/array.c). Only read once per
 * process identity (and after an exec), so plain string handling is fine here.
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
