/*
 * Turns /proc into process rows for the Linux backend (main process or CLI). A steady poll reads only
 * /proc/PID/stat and /proc/PID/statm per process: what stays fixed for a process image (command line, exe path,
 * user, systemd unit, TracerPid) is cached per identity and read again only when the process is new, young, or has
 * exec'd. /proc/PID/io is read only while asked for (an I/O column shows), /proc/PID/maps (.NET) once per identity
 * and only while categories are. It must never throw for one process: a process that exits mid-read is dropped, an
 * unreadable field is null.
 */
import { closeSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { processKey, type ProcessRow } from '../../../src-shared/model/process';
import { serviceUnitOfCgroupPath, systemdCgroupPath } from './proc-cgroup';
import { parseProcCmdline } from './proc-cmdline';
import { createProcFileReader, openProcFileSync, type ProcFileReader } from './proc-file-reader';
import { parseLastPid } from './proc-loadavg';
import { parseProcStat, PF_KTHREAD, processStateOf, type ProcStat } from './proc-stat';
import { parseProcStatm, privateBytesOfStatm } from './proc-statm';
import { parseProcIo, type ProcIo } from './proc-io';
import { parseProcStatusRssAnonBytes, parseProcStatusTgid, parseProcStatusTracerPid, parseProcStatusUids } from './proc-status';
import { linuxProcessName } from './process-name';

/**
 * Ages at which a process's identity fields are read again: setproctitle() and setuid() leave no trace in stat and
 * usually happen in a program's first moments, after the first sample may have cached the earlier values. Two
 * checkpoints (not every poll) keep a storm of short-lived processes cheap.
 */
const YOUNG_PROCESS_MS = 5_000;
const IDENTITY_CHECKPOINTS_MS = [1_000, YOUNG_PROCESS_MS] as const;
/**
 * A long-lived process can still change its effective user (a daemon dropping root, setuid() without exec), so the
 * user of a process that has run is checked again this often; one small read per busy process per 10 s.
 */
const USER_RECHECK_MS = 10_000;
/** Yield to the event loop after this many processes, so a poll never holds the main process for long. */
const PROCESSES_PER_SLICE = 250;
/**
 * statm (for private bytes) is read again when stat's resident size moved, else every Nth poll (staggered by pid):
 * an idle process's anonymous memory rarely changes while its RSS stays put, and this halves a steady poll's reads.
 */
const STATM_REFRESH_POLLS = 10;
/**
 * While categories are coloured, each process's TracerPid is looked at every Nth poll (staggered by pid), since an
 * idle process a debugger attaches to may not change a byte of its stat: a tenth of the table per poll, not all.
 */
const TRACER_RECHECK_POLLS = 10;
/**
 * maps (for .NET) is read once per process, but at most this many per poll: a big process's maps is tens of KB,
 * and reading all of them at once tripled the first snapshot (bench:poll cold 0.98 → 1.88 × ps). The rest follow
 * over the next polls; isDotNet stays null until then.
 */
const MAPS_READS_PER_POLL = 100;
/**
 * The schedstat shortcut (see readOne) skips stat for an idle single-threaded process, but stat is still read every
 * Nth poll (staggered by pid), because two of the fields the row shows can change while a process does not run: its
 * resident size (page reclaim or swap-out of an idle process, MADV_PAGEOUT from another) and its nice value (renice
 * from another process). Those two are at most this many polls late — the rule private bytes already follow.
 */
const STAT_REVALIDATE_POLLS = 10;
/**
 * When the last pid moved by at most this many since the last listing (and did not wrap), the pids handed out since
 * are tried one by one instead of listing /proc: listing 2,000 processes cost ~6 ms a poll on a machine where
 * something starts a process every second. Every this-many polls /proc is listed anyway.
 */
const PROBE_MAX_NEW_PIDS = 256;
const LIST_EVERY_POLLS = 30;

/** A plain loop: for a 150-byte stat line it beats Buffer#compare's argument checks. */
function sameBytes(previous: Buffer, current: Buffer, length: number): boolean {
  if (previous.length !== length) return false;
  for (let i = 0; i < length; i++) if (previous[i] !== current[i]) return false;
  return true;
}

export interface LinuxSnapshotEnv {
  clockTicksPerSecond: number;
  pageSizeBytes: number;
  startTicksToEpochMs: (ticks: number) => number;
  userName: (uid: number) => string;
  nowMs: () => number;
  /** How many /proc/PID/stat descriptors may be kept open between polls (see keptDescriptorBudget). */
  keptDescriptorBudget: number;
  /**
   * Whether /proc/loadavg's last pid speaks for the /proc being read (the reader lives in the pid namespace /proc
   * was mounted for). Then a poll with no new pid re-reads the known processes instead of listing /proc.
   */
  trustLastPid: boolean;
  procRoot?: string;
}

interface IdentityEntry {
  startTicks: number;
  startTimeMs: number;
  key: string;
  /** The exec signature the identity fields were read under (see ProcStat.startCode). */
  name: string;
  /** What the row shows: linuxProcessName of comm, exe and argv[0], read with them. */
  displayName: string;
  startCode: number;
  argStart: number;
  argEnd: number;
  exePath: string | null;
  commandLine: string | null;
  user: string | null;
  /** When the identity fields were last read (wall clock, like startTimeMs). */
  identityReadMs: number;
  userReadMs: number;
  seenGeneration: number;
  /** A kept /proc/PID/stat descriptor, or -1. */
  statFd: number;
  statmResidentPages: number;
  privateBytes: number | null;
  /** The poll in which status gave privateBytes (RssAnon), so statm need not be read in it too. */
  privateFromStatusGeneration: number;
  /** The systemd service unit (one element, the same array object while it holds), or null; cgroupRead: looked. */
  services: string[] | null;
  cgroupRead: boolean;
  /** From status, read with the identity fields (and at the user re-check): 0 = not traced, null = unknown. */
  tracerPid: number | null;
  /** libcoreclr.so mapped; null until looked (only while categories are asked for) or when maps is unreadable. */
  dotNet: boolean | null;
  dotNetChecked: boolean;
  /** A kept /proc/PID/io descriptor while I/O is read (same budget as statFd), or -1. */
  ioFd: number;
  /** A kept /proc/PID/schedstat descriptor (single-threaded processes; same budget), or -1. */
  schedFd: number;
  /** schedstat's bytes, read before the stat that made lastRow (null: not yet, or the identity changed since). */
  lastSched: Buffer | null;
  /** The parent's start ticks when lastRow was made (-1: no parent entry): a reparented child shows a new ppid. */
  parentStartTicks: number;
  /** The stat bytes and the row made from them last time: identical bytes → the very same row object. */
  lastStat: Buffer | null;
  lastRow: ProcessRow | null;
}

/** What a poll reads beyond the steady set (SnapshotOptions.includeIo / includeCategories). */
export interface LinuxSnapshotExtras {
  includeIo?: boolean;
  includeCategories?: boolean;
}

/** The .NET runtime's shared library (dotnet/runtime: src/coreclr, 'libcoreclr.so' on Linux). */
const CORECLR_NEEDLE = Buffer.from('/libcoreclr.so');

export interface LinuxSnapshotReader {
  readRows(includeHandleCount: boolean, extras?: LinuxSnapshotExtras): Promise<ProcessRow[]>;
  /** Closes every kept descriptor. */
  dispose(): void;
  /** How many rows so far came through the schedstat shortcut without a stat read (tests and benchmarks). */
  readonly schedShortcuts: number;
}

export function createLinuxSnapshotReader(env: LinuxSnapshotEnv): LinuxSnapshotReader {
  const root = env.procRoot ?? '/proc';
  const small: ProcFileReader = createProcFileReader(4096, 64 * 1024);
  const large: ProcFileReader = createProcFileReader(4096, 1 << 20);
  // Its own buffer: io is read while small.buffer still holds the stat line being compared and parsed.
  const ioReader: ProcFileReader = createProcFileReader(512, 4096);
  const statusReader: ProcFileReader = createProcFileReader(4096, 64 * 1024);
  // schedstat is read before stat (into its own buffer) and its bytes kept only once the row is built.
  const schedReader: ProcFileReader = createProcFileReader(128, 4096);
  /** Set by readOne when the row came through the schedstat shortcut (no stat read), for the parent check. */
  let tookSchedShortcut = false;
  let schedShortcuts = 0;
  let includeIo = false;
  let keptIoDescriptors = 0;
  let includeCategories = false;
  const identities = new Map<number, IdentityEntry>();
  let generation = 0;
  let keptDescriptors = 0;
  let listedPids: number[] = [];
  let listedLastPid = -1;
  /** The last pid before the previous look: pids above it are tried again (one that was not yet visible then). */
  let probedFromPid = -1;
  let pollsSinceListing = 0;
  /** This poll's pids that were tried without a listing: a thread's id among them must be dropped. */
  let probedPids = new Set<number>();

  /** The pids to read this poll: the known ones when no pid was handed out since the last listing. */
  function pidsToRead(): number[] {
    // loadavg first: a process created after this read raises the last pid, so the next poll lists /proc again.
    let lastPid = -1;
    if (env.trustLastPid) {
      const length = small.readSync(`${root}/loadavg`);
      if (typeof length === 'number') lastPid = parseLastPid(small.buffer, length);
    }
    probedPids = new Set();
    if (lastPid >= 0 && lastPid === listedLastPid) return listedPids;
    pollsSinceListing++;
    // Pids are handed out upwards (kernel/pid.c idr_alloc_cyclic) until they wrap: what is new lies above the last
    // look's last pid. A pid allocated just before that look may not have been visible in it yet (copy_process
    // attaches it later), so the range starts at the look before. Threads take pids too: the identity read drops
    // any pid whose Tgid is not itself. A wrap, a big jump or the periodic listing reads /proc instead.
    if (
      lastPid >= 0 &&
      listedLastPid >= 0 &&
      probedFromPid >= 0 &&
      lastPid > listedLastPid &&
      lastPid - probedFromPid <= PROBE_MAX_NEW_PIDS &&
      pollsSinceListing < LIST_EVERY_POLLS
    ) {
      const known = new Set(listedPids);
      const pids = listedPids.slice();
      let sorted = true;
      const top = pids.length > 0 ? pids[pids.length - 1]! : -1;
      for (let pid = probedFromPid + 1; pid <= lastPid; pid++) {
        if (known.has(pid)) continue;
        if (pid < top) sorted = false;
        pids.push(pid);
        probedPids.add(pid);
      }
      if (!sorted) pids.sort((a, b) => a - b);
      probedFromPid = listedLastPid;
      listedLastPid = lastPid;
      return pids;
    }
    const pids: number[] = [];
    for (const name of readdirSync(root)) {
      const c = name.charCodeAt(0);
      if (c >= 0x30 && c <= 0x39) pids.push(Number(name));
    }
    pollsSinceListing = 0;
    probedFromPid = listedLastPid >= 0 && lastPid >= listedLastPid ? listedLastPid : lastPid;
    listedLastPid = lastPid;
    return pids;
  }

  function closeIoFd(entry: IdentityEntry): void {
    if (entry.ioFd < 0) return;
    closeSync(entry.ioFd);
    entry.ioFd = -1;
    keptDescriptors--;
    keptIoDescriptors--;
  }

  function closeSchedFd(entry: IdentityEntry): void {
    entry.lastSched = null;
    if (entry.schedFd < 0) return;
    closeSync(entry.schedFd);
    entry.schedFd = -1;
    keptDescriptors--;
  }

  function forget(pid: number, entry: IdentityEntry): void {
    if (entry.statFd >= 0) {
      closeSync(entry.statFd);
      keptDescriptors--;
    }
    closeIoFd(entry);
    closeSchedFd(entry);
    identities.delete(pid);
  }

  /** stat of pid into small.buffer, through the kept descriptor when the cached identity still lives. */
  function readStat(pid: number, entry: IdentityEntry | undefined): { length: number; fd: number } | null {
    if (entry && entry.statFd >= 0) {
      const length = small.rereadSync(entry.statFd);
      if (typeof length === 'number') return { length, fd: entry.statFd };
      // The cached process is gone; if the pid is in use again, that is a new process, read by path below.
      forget(pid, entry);
    }
    if (keptDescriptors < env.keptDescriptorBudget) {
      const fd = openProcFileSync(`${root}/${pid}/stat`);
      if (typeof fd !== 'number') return null;
      const length = small.rereadSync(fd);
      if (typeof length !== 'number') {
        closeSync(fd);
        return null;
      }
      keptDescriptors++;
      return { length, fd };
    }
    const length = small.readSync(`${root}/${pid}/stat`);
    return typeof length === 'number' ? { length, fd: -1 } : null;
  }

  function readIdentityFields(pid: number, stat: ProcStat, entry: IdentityEntry, nowMs: number): 'ok' | 'gone' {
    entry.identityReadMs = nowMs;
    entry.userReadMs = nowMs;
    entry.name = stat.name;
    entry.startCode = stat.startCode;
    entry.argStart = stat.argStart;
    entry.argEnd = stat.argEnd;
    const status = small.readSync(`${root}/${pid}/status`);
    if (status === 'gone') return 'gone';
    const statusText = typeof status === 'number' ? small.buffer.toString('latin1', 0, status) : null;
    // A thread's id tried by pidsToRead: not a process of its own (unreadable status: kept, as a listing would).
    if (probedPids.has(pid) && statusText !== null && parseProcStatusTgid(statusText) !== pid) return 'gone';
    const uids = statusText !== null ? parseProcStatusUids(statusText) : null;
    entry.user = uids ? env.userName(uids.effectiveUid) : null;
    entry.tracerPid = statusText !== null ? parseProcStatusTracerPid(statusText) : null;
    readCgroup(pid, entry);
    // After an exec (or at a young process's checkpoint) the runtime may have been loaded since: look again.
    if (entry.dotNet !== true) entry.dotNetChecked = false;
    // status carries RssAnon too: a new process's private bytes without a statm read (a fifth of a cold read).
    const privateBytes = statusText !== null ? parseProcStatusRssAnonBytes(statusText) : null;
    if (privateBytes !== null) {
      entry.privateBytes = privateBytes;
      entry.statmResidentPages = stat.residentPages;
      entry.privateFromStatusGeneration = generation;
    }
    if ((stat.flags & PF_KTHREAD) !== 0) {
      // Kernel threads have no image and no arguments.
      entry.exePath = null;
      entry.commandLine = null;
      entry.displayName = stat.name;
      return 'ok';
    }
    const cmdline = large.readSync(`${root}/${pid}/cmdline`);
    if (cmdline === 'gone') return 'gone';
    entry.commandLine = typeof cmdline === 'number' ? parseProcCmdline(large.buffer, cmdline) : null;
    try {
      entry.exePath = readlinkSync(`${root}/${pid}/exe`);
    } catch {
      // EACCES for other users' processes (or pid 1 in a container), ENOENT for zombies and kernel threads.
      entry.exePath = null;
    }
    const argv0End = typeof cmdline === 'number' ? large.buffer.indexOf(0, 0) : -1;
    const argv0 = typeof cmdline === 'number' ? large.buffer.toString('utf8', 0, argv0End < 0 || argv0End > cmdline ? cmdline : argv0End) : null;
    entry.displayName = linuxProcessName(stat.name, entry.exePath, argv0);
    return 'ok';
  }

  function readCgroup(pid: number, entry: IdentityEntry): void {
    const length = small.readSync(`${root}/${pid}/cgroup`);
    if (typeof length !== 'number') {
      entry.cgroupRead = false;
      entry.services = null;
      return;
    }
    const path = systemdCgroupPath(small.buffer.toString('utf8', 0, length));
    const unit = path === null ? null : serviceUnitOfCgroupPath(path);
    entry.cgroupRead = true;
    if (unit === null) entry.services = null;
    else if (entry.services?.[0] !== unit) entry.services = [unit];
  }

  /** Whether libcoreclr.so is mapped; null when maps is unreadable (another user's process). */
  function dotNetOf(pid: number): boolean | null {
    const length = large.readSync(`${root}/${pid}/maps`);
    if (typeof length !== 'number') return null;
    return large.buffer.subarray(0, length).indexOf(CORECLR_NEEDLE) >= 0;
  }

  /**
   * /proc/PID/io through a kept descriptor (pread at 0 regenerates it, as for stat): with an I/O column shown
   * every process's io is read every poll, and open + close per file was most of that cost (bench:poll).
   */
  function ioOf(pid: number, entry: IdentityEntry | undefined): ProcIo | null {
    if (entry !== undefined && entry.ioFd >= 0) {
      const length = ioReader.rereadSync(entry.ioFd);
      if (typeof length === 'number') return parseProcIo(ioReader.buffer, length);
      closeIoFd(entry);
      return null;
    }
    if (entry !== undefined && keptDescriptors < env.keptDescriptorBudget) {
      const fd = openProcFileSync(`${root}/${pid}/io`);
      // EACCES for another user's process: no descriptor kept, and asked again only by path.
      if (typeof fd !== 'number') return null;
      const length = ioReader.rereadSync(fd);
      if (typeof length !== 'number') {
        closeSync(fd);
        return null;
      }
      entry.ioFd = fd;
      keptDescriptors++;
      keptIoDescriptors++;
      return parseProcIo(ioReader.buffer, length);
    }
    const length = ioReader.readSync(`${root}/${pid}/io`);
    return typeof length === 'number' ? parseProcIo(ioReader.buffer, length) : null;
  }

  function sameIo(row: ProcessRow, io: ProcIo | null): boolean {
    return io === null
      ? row.ioReadBytes === null
      : row.ioReadBytes === io.readBytes &&
          row.ioWriteBytes === io.writeBytes &&
          row.ioReadOps === io.readOps &&
          row.ioWriteOps === io.writeOps;
  }

  function isStale(entry: IdentityEntry, stat: ProcStat, nowMs: number): boolean {
    // A zombie has dropped its mm: keep what was known while it lived.
    if (stat.stateCode === 'Z') return false;
    return (
      entry.name !== stat.name ||
      entry.startCode !== stat.startCode ||
      entry.argStart !== stat.argStart ||
      entry.argEnd !== stat.argEnd ||
      IDENTITY_CHECKPOINTS_MS.some(
        (ageMs) => entry.identityReadMs < entry.startTimeMs + ageMs && nowMs >= entry.startTimeMs + ageMs,
      )
    );
  }

  function handleCountOf(pid: number): number | null {
    try {
      // Linux 6.2+ reports the number of open fds as the size of /proc/PID/fd (fs/proc/fd.c proc_fd_getattr);
      // older kernels say 0, so count the entries then.
      const size = statSync(`${root}/${pid}/fd`).size;
      return size > 0 ? size : readdirSync(`${root}/${pid}/fd`).length;
    } catch {
      return null;
    }
  }

  /** The start ticks of the entry for ppid, or -1 when there is none (pid 0, another namespace, hidepid). */
  function parentStartTicksOf(ppid: number): number {
    const parent = ppid > 0 ? identities.get(ppid) : undefined;
    return parent === undefined ? -1 : parent.startTicks;
  }

  /**
   * Whether the parent the row was made under still stands as it did: the same process, not a zombie (its children
   * were reparented as it exited). A parent this reader cannot see (hidepid) is never trusted; pid 0 has none.
   * thisPoll: the parent must also have been read in this poll (the check after the loop).
   */
  function parentUnchanged(ppid: number, entry: IdentityEntry, thisPoll: boolean): boolean {
    if (ppid === 0) return true;
    const parent = identities.get(ppid);
    return (
      parent !== undefined &&
      parent.startTicks === entry.parentStartTicks &&
      parent.lastRow !== null &&
      parent.lastRow.state !== 'zombie' &&
      (!thisPoll || parent.seenGeneration === generation)
    );
  }

  /** "0 ..." is what schedstat says on a kernel without sched_info accounting: no signal at all then. */
  function schedCounts(buffer: Buffer, length: number): boolean {
    return length > 1 && !(buffer[0] === 0x30 && buffer[1] === 0x20);
  }

  function readOne(pid: number, includeHandleCount: boolean, nowMs: number, noShortcut = false): ProcessRow | null {
    tookSchedShortcut = false;
    let entry = identities.get(pid);
    let tracerMoved = false;
    if (includeCategories && entry !== undefined && (generation + pid) % TRACER_RECHECK_POLLS === 0) {
      const status = statusReader.readSync(`${root}/${pid}/status`);
      const tracerPid = typeof status === 'number' ? parseProcStatusTracerPid(statusReader.buffer.toString('latin1', 0, status)) : null;
      // Read for the live entry only: if the pid was reused meanwhile, the stat read below tells and starts afresh.
      if (tracerPid !== null && tracerPid !== entry.tracerPid) {
        entry.tracerPid = tracerPid;
        tracerMoved = true;
      }
    }
    // schedstat (run time, wait time, run count: fs/proc/base.c proc_pid_schedstat) comes before stat, so that a
    // run between the two reads shows as a change next poll. Kept only once this poll's row is built.
    let sched: Buffer | null = null;
    const steady =
      entry !== undefined &&
      entry.statFd >= 0 &&
      entry.lastRow !== null &&
      !tracerMoved &&
      !includeHandleCount &&
      entry.lastRow.handleCount === null &&
      !includeIo &&
      entry.lastRow.ioReadBytes === null;
    if (steady && entry!.schedFd >= 0) {
      const length = schedReader.rereadSync(entry!.schedFd);
      if (typeof length !== 'number') closeSchedFd(entry!);
      else if (schedCounts(schedReader.buffer, length)) {
        // The shortcut: a single-threaded process whose run time and run count stand still has not run, so its
        // stat did not change either, except in what another process can change meanwhile — its ppid (the parent
        // exited: checked here and, for a parent that exits later in this poll, after the loop), its resident size
        // (reclaim) and nice (renice): both caught by the staggered stat read. The leader of a multi-threaded
        // process is not the whole process, and a zombie leader may hide a live thread: both read stat.
        const row = entry!.lastRow!;
        if (
          !noShortcut &&
          entry!.lastSched !== null &&
          row.threadCount === 1 &&
          row.state !== 'zombie' &&
          (generation + pid) % STAT_REVALIDATE_POLLS !== 0 &&
          nowMs - entry!.startTimeMs >= YOUNG_PROCESS_MS &&
          parentUnchanged(row.ppid, entry!, false) &&
          sameBytes(entry!.lastSched, schedReader.buffer, length)
        ) {
          entry!.seenGeneration = generation;
          tookSchedShortcut = true;
          schedShortcuts++;
          return row;
        }
        sched = Buffer.from(schedReader.buffer.subarray(0, length));
      }
    }
    // The steady path for an idle process: its kept stat descriptor re-read and compared, nothing allocated (no
    // read record, no closure), since ~all of a busy table takes it every poll. Same answer as the path below.
    if (steady) {
      const length = small.rereadSync(entry!.statFd);
      if (typeof length === 'number') {
        if (nowMs - entry!.startTimeMs >= YOUNG_PROCESS_MS && sameBytes(entry!.lastStat!, small.buffer, length)) {
          entry!.seenGeneration = generation;
          entry!.lastSched = sched;
          entry!.parentStartTicks = parentStartTicksOf(entry!.lastRow!.ppid);
          return entry!.lastRow;
        }
        const row = readChanged(pid, entry, { length, fd: entry!.statFd }, includeHandleCount, nowMs);
        // readChanged may have replaced the entry (a recycled pid): the bytes belong to the old process then.
        if (row !== null && identities.get(pid) === entry) entry!.lastSched = sched;
        return row;
      }
      // Gone: readStat below forgets it and reads the pid afresh, as for any failed kept-descriptor read.
    }
    const read = readStat(pid, entry);
    // Without stat there is no start time, so no identity: the process is gone or hidden (hidepid).
    if (!read) return null;
    entry = identities.get(pid);
    // An idle process's stat does not change by a byte (its times, faults, RSS and state all stand still), so its
    // row does not either: hand back the same object and let the poller skip it cheaply.
    let io: ProcIo | null | undefined;
    if (
      entry?.lastRow &&
      !tracerMoved &&
      nowMs - entry.startTimeMs >= YOUNG_PROCESS_MS &&
      sameBytes(entry.lastStat!, small.buffer, read.length)
    ) {
      const handleCount = includeHandleCount ? handleCountOf(pid) : null;
      io = includeIo ? ioOf(pid, entry) : null;
      if (handleCount === entry.lastRow.handleCount && sameIo(entry.lastRow, io)) {
        entry.seenGeneration = generation;
        return entry.lastRow;
      }
    }
    return readChanged(pid, entry, read, includeHandleCount, nowMs, io);
  }

  /** A process whose stat is new or moved (or whose handle count is wanted): parse it and build its row. */
  function readChanged(
    pid: number,
    entry: IdentityEntry | undefined,
    read: { length: number; fd: number },
    includeHandleCount: boolean,
    nowMs: number,
    ioRead?: ProcIo | null,
  ): ProcessRow | null {
    const stat = parseProcStat(small.buffer, read.length);
    if (!stat) {
      if (read.fd >= 0 && read.fd !== entry?.statFd) {
        closeSync(read.fd);
        keptDescriptors--;
      }
      return null;
    }

    // Copied now: the reads below (status, statm) reuse the same buffer.
    const statBytes = Buffer.from(small.buffer.subarray(0, read.length));

    let fresh = false;
    if (!entry || entry.startTicks !== stat.startTicks) {
      if (entry) {
        // The descriptor just read moves to the new identity instead of being closed.
        if (entry.statFd === read.fd) entry.statFd = -1;
        forget(pid, entry);
      }
      fresh = true;
      const startTimeMs = env.startTicksToEpochMs(stat.startTicks);
      entry = {
        startTicks: stat.startTicks,
        startTimeMs,
        key: processKey(pid, startTimeMs),
        name: '',
        displayName: '',
        startCode: -1,
        argStart: -1,
        argEnd: -1,
        exePath: null,
        commandLine: null,
        user: null,
        identityReadMs: 0,
        userReadMs: nowMs,
        seenGeneration: generation,
        statFd: read.fd,
        statmResidentPages: -1,
        privateBytes: null,
        privateFromStatusGeneration: -1,
        services: null,
        cgroupRead: false,
        tracerPid: null,
        dotNet: null,
        dotNetChecked: false,
        ioFd: -1,
        schedFd: -1,
        lastSched: null,
        parentStartTicks: -1,
        lastStat: null,
        lastRow: null,
      };
      identities.set(pid, entry);
      if (readIdentityFields(pid, stat, entry, nowMs) === 'gone') {
        forget(pid, entry);
        return null;
      }
    } else if (entry.statFd < 0 && read.fd >= 0) {
      // Read by path earlier (no descriptor budget then): keep this one from now on.
      entry.statFd = read.fd;
    }
    if (!fresh && isStale(entry, stat, nowMs)) {
      if (readIdentityFields(pid, stat, entry, nowMs) === 'gone') {
        forget(pid, entry);
        return null;
      }
    } else if (!fresh && nowMs - entry.userReadMs >= USER_RECHECK_MS) {
      // Only processes that ran get here (an idle one returned its old row above), and only this often.
      entry.userReadMs = nowMs;
      const status = small.readSync(`${root}/${pid}/status`);
      const statusText = typeof status === 'number' ? small.buffer.toString('latin1', 0, status) : null;
      const uids = statusText !== null ? parseProcStatusUids(statusText) : null;
      if (uids) entry.user = env.userName(uids.effectiveUid);
      // A debugger attached since the identity read shows here, for a process that ran (gdb stops it: 't' anyway).
      if (statusText !== null) entry.tracerPid = parseProcStatusTracerPid(statusText);
    }
    entry.seenGeneration = generation;

    if (
      entry.privateFromStatusGeneration !== generation &&
      (stat.residentPages !== entry.statmResidentPages || (generation + pid) % STATM_REFRESH_POLLS === 0)
    ) {
      const statmLength = small.readSync(`${root}/${pid}/statm`);
      if (statmLength === 'gone') {
        forget(pid, entry);
        return null;
      }
      const statm = typeof statmLength === 'number' ? parseProcStatm(small.buffer, statmLength) : null;
      entry.privateBytes = statm ? privateBytesOfStatm(statm, env.pageSizeBytes) : null;
      entry.statmResidentPages = stat.residentPages;
    }

    const io = ioRead !== undefined ? ioRead : includeIo ? ioOf(pid, entry) : null;
    const traced = stat.stateCode === 't';

    entry.lastStat = statBytes;
    // Any path that builds a row without reading schedstat first leaves it unknown until the next poll reads it.
    entry.lastSched = null;
    entry.parentStartTicks = parentStartTicksOf(stat.ppid);
    if (entry.schedFd < 0 && stat.threadCount === 1 && keptDescriptors < env.keptDescriptorBudget) {
      const fd = openProcFileSync(`${root}/${pid}/schedstat`);
      // Absent without CONFIG_SCHED_INFO: then this process simply reads stat every poll.
      if (typeof fd === 'number') {
        entry.schedFd = fd;
        keptDescriptors++;
      }
    }
    entry.lastRow = {
      key: entry.key,
      pid,
      ppid: stat.ppid,
      name: entry.displayName,
      exePath: entry.exePath,
      commandLine: entry.commandLine,
      user: entry.user,
      state: processStateOf(stat.stateCode),
      threadCount: stat.threadCount,
      handleCount: includeHandleCount ? handleCountOf(pid) : null,
      startTimeMs: entry.startTimeMs,
      cpuTimeMs: ((stat.utimeTicks + stat.stimeTicks) * 1000) / env.clockTicksPerSecond,
      cpuPercent: null,
      workingSetBytes: stat.residentPages * env.pageSizeBytes,
      privateBytes: entry.privateBytes,
      virtualBytes: stat.virtualBytes,
      priority: stat.nice,
      sessionId: null,
      elevated: null,
      integrityLevel: null,
      is32Bit: null,
      description: null,
      companyName: null,
      ioReadBytes: io?.readBytes ?? null,
      ioWriteBytes: io?.writeBytes ?? null,
      ioReadOps: io?.readOps ?? null,
      ioWriteOps: io?.writeOps ?? null,
      ioReadBytesPerSec: null,
      ioWriteBytesPerSec: null,
      services: entry.services,
      isService: entry.services !== null ? true : entry.cgroupRead ? false : null,
      isDotNet: entry.dotNet,
      inJob: null,
      beingDebugged: traced || (entry.tracerPid === null ? null : entry.tracerPid !== 0),
      suspended: stat.stateCode === 'T',
    };
    return entry.lastRow;
  }

  return {
    async readRows(includeHandleCount: boolean, extras: LinuxSnapshotExtras = {}): Promise<ProcessRow[]> {
      generation++;
      includeIo = extras.includeIo ?? false;
      includeCategories = extras.includeCategories ?? false;
      if (!includeIo && keptIoDescriptors > 0) for (const entry of identities.values()) closeIoFd(entry);
      let mapsBudget = MAPS_READS_PER_POLL;
      const nowMs = env.nowMs();
      const rows: ProcessRow[] = [];
      let sinceYield = 0;
      const pids = pidsToRead();
      /** Indexes in rows of the rows that came through the schedstat shortcut. */
      const shortcutRows: number[] = [];
      for (const pid of pids) {
        let row = readOne(pid, includeHandleCount, nowMs);
        if (tookSchedShortcut) shortcutRows.push(rows.length);
        if (row && includeCategories && mapsBudget > 0) {
          const entry = identities.get(pid);
          if (entry !== undefined && !entry.dotNetChecked && entry.lastRow === row) {
            mapsBudget--;
            entry.dotNetChecked = true;
            const dotNet = dotNetOf(pid);
            if (dotNet !== entry.dotNet) {
              entry.dotNet = dotNet;
              // A new object, kept as lastRow: the poller sees the change once, then the same row again.
              entry.lastRow = row = { ...row, isDotNet: dotNet };
            }
          }
        }
        if (row) rows.push(row);
        if (++sinceYield === PROCESSES_PER_SLICE) {
          sinceYield = 0;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
      // Every row has a live entry read this generation, so equal counts mean no entry went unseen.
      if (identities.size !== rows.length) {
        for (const [pid, entry] of identities) if (entry.seenGeneration !== generation) forget(pid, entry);
      }
      // A parent that exited after its child took the shortcut (a zombie already: exit_notify reparents the
      // children first), or that was seen gone only at the sweep, has left that child with a new ppid: read those
      // children's stat now, so the rows are what a full read gives.
      let dropped = false;
      for (const index of shortcutRows) {
        const row = rows[index]!;
        const entry = identities.get(row.pid);
        if (entry !== undefined && parentUnchanged(row.ppid, entry, true)) continue;
        const fresh = readOne(row.pid, includeHandleCount, nowMs, true);
        if (fresh) rows[index] = fresh;
        else dropped = true;
      }
      if (dropped) {
        // Gone between the two reads: readOne forgot it; drop its old row too.
        const live = rows.filter((r) => identities.get(r.pid)?.key === r.key);
        rows.length = 0;
        rows.push(...live);
      }
      if (pids !== listedPids || rows.length !== pids.length) listedPids = rows.map((r) => r.pid);
      return rows;
    },
    dispose(): void {
      for (const [pid, entry] of identities) forget(pid, entry);
    },
    get schedShortcuts() {
      return schedShortcuts;
    },
  };
}
