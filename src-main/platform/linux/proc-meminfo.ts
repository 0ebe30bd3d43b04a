/*
 * Parser for /proc/meminfo (proc(5); meminfo_proc_show() in fs/proc/meminfo.c): the system memory totals the
 * poller reports. Values are in kB (KiB, despite the unit).
 */

export interface MemInfo {
  totalBytes: number | null;
  /** MemAvailable (Linux 3.14+): what new programs could get without swapping. */
  availableBytes: number | null;
}

function kibField(text: string, name: string): number | null {
  const at = text.indexOf(`${name}:`);
  if (at !== 0 && (at < 0 || text[at - 1] !== '\n')) return null;
  const m = /^\s*(\d+)\s*kB/.exec(text.slice(at + name.length + 1, at + name.length + 40));
  return m ? Number(m[1]) * 1024 : null;
}

export function parseMemInfo(text: string): MemInfo {
  return { totalBytes: kibField(text, 'MemTotal'), availableBytes: kibField(text, 'MemAvailable') };
}
