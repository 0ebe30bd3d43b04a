/*
 * Turns /proc into process rows for the Linux backend (main process or CLI). A steady poll reads only
 * /proc/PID/stat and /proc/PID/statm per process: what stays fixed for a process image (command line, exe path,
 * user) is cached per identity and read again only when the process is new, young, or has exec'd. It must never
 * throw for one process: a process that exits mid-read is dropped, an unreadable field is null.
 */
import { closeSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { processKey, type ProcessRow } from '../../../src-shared/model/process';
import { parseProcCmdline } from './proc-cmdline';
import { createProcFileReader, openProcFileSync, type ProcFileReader } from './proc-file-reader';
import { parseLastPid } from './proc-loadavg';
import { parseProcStat, PF_KTHREAD, processStateOf, type ProcStat } from './proc-stat';
import { parseProcStatm, privateBytesOfStatm } from './proc-statm';
import { parseProcStatusRssAnonBytes, parseProcStatusUids } from './proc-status';

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
  /** The stat bytes and the row made from them last time: identical bytes → the very same row object. */
  lastStat: Buffer | null;
  lastRow: ProcessRow | null;
}

export interface LinuxSnapshotReader {
  readRows(includeHandleCount: boolean): Promise<ProcessRow[]>;
  /** Closes every kept descriptor. */
  dispose(): void;
}

export function createLinuxSnapshotReader(env: LinuxSnapshotEnv): LinuxSnapshotReader {
  const root = env.procRoot ?? '/proc';
  const small: ProcFileReader = createProcFileReader(4096, 64 * 1024);
  const large: ProcFileReader = createProcFileReader(4096, 1 << 20);
  const identities = new Map<number, IdentityEntry>();
  let generation = 0;
  let keptDescriptors = 0;
  let listedPids: number[] = [];
  let listedLastPid = -1;

  /** The pids to read this poll: the known ones when no pid was handed out since the last listing. */
  function pidsToRead(): number[] {
    // loadavg first: a process created after this read raises the last pid, so the next poll lists /proc again.
    let lastPid = -1;
    if (env.trustLastPid) {
      const length = small.readSync(`${root}/loadavg`);
      if (typeof length === 'number') lastPid = parseLastPid(small.buffer, length);
    }
    if (lastPid >= 0 && lastPid === listedLastPid) return listedPids;
    const pids: number[] = [];
    for (const name of readdirSync(root)) {
      const c = name.charCodeAt(0);
      if (c >= 0x30 && c <= 0x39) pids.push(Number(name));
    }
    listedLastPid = lastPid;
    return pids;
  }

  function forget(pid: number, entry: IdentityEntry): void {
    if (entry.statFd >= 0) {
      closeSync(entry.statFd);
      keptDescriptors--;
    }
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
    const uids = statusText !== null ? parseProcStatusUids(statusText) : null;
    entry.user = uids ? env.userName(uids.effectiveUid) : null;
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
    return 'ok';
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

  function readOne(pid: number, includeHandleCount: boolean, nowMs: number): ProcessRow | null {
    let entry = identities.get(pid);
    // The steady path for an idle process: its kept stat descriptor re-read and compared, nothing allocated (no
    // read record, no closure), since ~all of a busy table takes it every poll. Same answer as the path below.
    if (
      entry !== undefined &&
      entry.statFd >= 0 &&
      entry.lastRow !== null &&
      !includeHandleCount &&
      entry.lastRow.handleCount === null
    ) {
      const length = small.rereadSync(entry.statFd);
      if (typeof length === 'number') {
        if (nowMs - entry.startTimeMs >= YOUNG_PROCESS_MS && sameBytes(entry.lastStat!, small.buffer, length)) {
          entry.seenGeneration = generation;
          return entry.lastRow;
        }
        return readChanged(pid, entry, { length, fd: entry.statFd }, includeHandleCount, nowMs);
      }
      // Gone: readStat below forgets it and reads the pid afresh, as for any failed kept-descriptor read.
    }
    const read = readStat(pid, entry);
    // Without stat there is no start time, so no identity: the process is gone or hidden (hidepid).
    if (!read) return null;
    entry = identities.get(pid);
    // An idle process's stat does not change by a byte (its times, faults, RSS and state all stand still), so its
    // row does not either: hand back the same object and let the poller skip it cheaply.
    if (
      entry?.lastRow &&
      nowMs - entry.startTimeMs >= YOUNG_PROCESS_MS &&
      sameBytes(entry.lastStat!, small.buffer, read.length)
    ) {
      const handleCount = includeHandleCount ? handleCountOf(pid) : null;
      if (handleCount === entry.lastRow.handleCount) {
        entry.seenGeneration = generation;
        return entry.lastRow;
      }
    }
    return readChanged(pid, entry, read, includeHandleCount, nowMs);
  }

  /** A process whose stat is new or moved (or whose handle count is wanted): parse it and build its row. */
  function readChanged(
    pid: number,
    entry: IdentityEntry | undefined,
    read: { length: number; fd: number },
    includeHandleCount: boolean,
    nowMs: number,
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
      const uids = typeof status === 'number' ? parseProcStatusUids(small.buffer.toString('latin1', 0, status)) : null;
      if (uids) entry.user = env.userName(uids.effectiveUid);
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

    entry.lastStat = statBytes;
    entry.lastRow = {
      key: entry.key,
      pid,
      ppid: stat.ppid,
      name: stat.name,
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
    };
    return entry.lastRow;
  }

  return {
    async readRows(includeHandleCount: boolean): Promise<ProcessRow[]> {
      generation++;
      const nowMs = env.nowMs();
      const rows: ProcessRow[] = [];
      let sinceYield = 0;
      const pids = pidsToRead();
      for (const pid of pids) {
        const row = readOne(pid, includeHandleCount, nowMs);
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
      if (pids !== listedPids || rows.length !== pids.length) listedPids = rows.map((r) => r.pid);
      return rows;
    },
    dispose(): void {
      for (const [pid, entry] of identities) forget(pid, entry);
    },
  };
}
