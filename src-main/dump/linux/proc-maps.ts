/*
 * Parsers for /proc/PID/maps and /proc/PID/smaps (proc(5); fs/proc/task_mmu.c show_map_vma and show_smap). Pure
 * functions over the text, so they are tested on recorded fixtures. Addresses are kept as Numbers: x86-64 user
 * space ends below 2^47 and [vsyscall] at 0xffffffffff600000 is the only mapping above 2^53, which we skip.
 */

export interface ProcMapping {
  startAddr: number;
  endAddr: number;
  readable: boolean;
  writable: boolean;
  executable: boolean;
  shared: boolean;
  fileOffset: number;
  /** The device of the mapped file, as stat's st_dev encodes it (glibc makedev of the line's major:minor). */
  dev: number;
  inode: number;
  /** Path or pseudo-name ("[heap]", "[stack]", "[vdso]"); empty for anonymous memory. */
  path: string;
}

export interface SmapsInfo {
  rssBytes: number;
  /** Pages of anonymous memory, including copy-on-write pages of private file mappings (written pages). */
  anonymousBytes: number;
  /** Two-letter VmFlags codes: "dd" = MADV_DONTDUMP, "io" = VM_IO, "pf" = VM_PFNMAP. */
  vmFlags: Set<string>;
}

const MAP_LINE = /^([0-9a-f]+)-([0-9a-f]+) ([r-])([w-])([x-])([ps]) ([0-9a-f]+) ([0-9a-f]+):([0-9a-f]+) (\d+)\s*(.*)$/;

/** glibc's makedev (sys/sysmacros.h), which st_dev (Node's stat().dev) uses. */
export function makeDev(major: number, minor: number): number {
  return ((minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12)) + Math.floor(major / 0x1000) * 0x1000 * 2 ** 32;
}

export function parseMapLine(line: string): ProcMapping | null {
  const m = MAP_LINE.exec(line);
  if (!m) return null;
  const startAddr = parseInt(m[1]!, 16);
  const endAddr = parseInt(m[2]!, 16);
  if (!Number.isSafeInteger(endAddr)) return null;
  return {
    startAddr,
    endAddr,
    readable: m[3] === 'r',
    writable: m[4] === 'w',
    executable: m[5] === 'x',
    shared: m[6] === 's',
    fileOffset: parseInt(m[7]!, 16),
    dev: makeDev(parseInt(m[8]!, 16), parseInt(m[9]!, 16)),
    inode: Number(m[10]),
    path: m[11] ?? '',
  };
}

export function parseMaps(text: string): ProcMapping[] {
  const out: ProcMapping[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const m = parseMapLine(line);
    if (m) out.push(m);
  }
  return out;
}

/** smaps → start address → info. Header lines look like maps lines; "Key:   N kB" and "VmFlags: ..." follow. */
export function parseSmaps(text: string): Map<number, SmapsInfo> {
  const out = new Map<number, SmapsInfo>();
  let current: SmapsInfo | null = null;
  for (const line of text.split('\n')) {
    if (!line) continue;
    const header = parseMapLine(line);
    if (header) {
      current = { rssBytes: 0, anonymousBytes: 0, vmFlags: new Set() };
      out.set(header.startAddr, current);
      continue;
    }
    if (!current) continue;
    if (line.startsWith('VmFlags:')) {
      for (const f of line.slice(8).trim().split(/\s+/)) if (f) current.vmFlags.add(f);
    } else if (line.startsWith('Rss:')) {
      current.rssBytes = kbValue(line);
    } else if (line.startsWith('Anonymous:')) {
      current.anonymousBytes = kbValue(line);
    }
  }
  return out;
}

function kbValue(line: string): number {
  const m = /(\d+)\s*kB/.exec(line);
  return m ? Number(m[1]) * 1024 : 0;
}

/** Pseudo-mappings that user space cannot read (their pages are the kernel's): written with no content. */
export function isUnreadablePseudo(m: ProcMapping): boolean {
  return m.path === '[vvar]' || m.path === '[vvar_vclock]' || m.path === '[vsyscall]';
}

export function isFileBacked(m: ProcMapping): boolean {
  return m.path.startsWith('/') && m.inode !== 0;
}

/** Anonymous private memory: pages not present in pagemap read as zeros, so they can be skipped. */
export function isAnonymousPrivate(m: ProcMapping): boolean {
  if (m.shared || m.inode !== 0) return false;
  return m.path === '' || m.path === '[heap]' || m.path.startsWith('[stack') || m.path.startsWith('[anon');
}
