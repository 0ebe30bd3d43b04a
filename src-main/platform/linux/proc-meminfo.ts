/*
 * Parser for /proc/meminfo (proc(5); meminfo_proc_show() in fs/proc/meminfo.c): the system memory totals the
 * poller reports. Values are in kB (KiB, despite the unit).
 */

export interface MemInfo {
  totalBytes: number | null;
  /** MemAvailable (Linux 3.14+): what new programs could get without swapping. */
  availableBytes: number | null;
  /** Committed_AS: what every process has been promised (the commit charge), and CommitLimit (overcommit mode 2's cap). */
  commitBytes: number | null;
  commitLimitBytes: number | null;
}

function kibField(text: string, name: string): number | null {
  const at = text.indexOf(`${name}:`);
  if (at !== 0 && (at < 0 || text[at - 1] !== '\n')) return null;
  const m = /^\s*(\d+)\s*kB/.exec(text.slice(at + name.length + 1, at + name.length + 40));
  return m ? Number(m[1]) * 1024 : null;
}

export function parseMemInfo(text: string): MemInfo {
  return {
    totalBytes: kibField(text, 'MemTotal'),
    availableBytes: kibField(text, 'MemAvailable'),
    commitBytes: kibField(text, 'Committed_AS'),
    commitLimitBytes: kibField(text, 'CommitLimit'),
  };
}
