/*
 * The Linux readers of each Properties part, from /proc (proc(5)). Each reads only its own files, when asked; the
 * source (linux-detail-source.ts) checks the identity around them. All reads are async (the libuv pool), so a
 * process with 10,000 fds never blocks the host's main thread for long. Other users' processes: exe, cwd, fd,
 * environ and io need ptrace read access (PTRACE_MODE_READ_FSCREDS) and answer 'access-denied' for a non-root host;
 * stat, status, cmdline, maps' shape, task and cgroup stay readable.
 */
import { open, readdir, readFile, readlink, stat, type FileHandle } from 'node:fs/promises';
import type {
  EnvironmentVariable,
  HandleDetail,
  HandleKind,
  ModuleDetail,
  PerformanceSample,
  ServiceDetail,
  SocketDetail,
  ThreadDetail,
} from '../../../src-shared/model/process-detail';
import { ElfFile } from '../../analysis/modules/elf-image';
import { parseMaps, type ProcMapping } from '../../dump/linux/proc-maps';
import { clockTicksPerSecond, pageSizeBytes } from '../../platform/linux/system-constants';
import { serviceUnitOfCgroupPath, systemdCgroupPath } from '../../platform/linux/proc-cgroup';
import { parseProcCmdline } from '../../platform/linux/proc-cmdline';
import { parseProcIo } from '../../platform/linux/proc-io';
import { parseProcStat, processStateOf } from '../../platform/linux/proc-stat';
import { DetailFailure } from '../detail-source';
import { procFailure, procRead } from './proc-errors';
import { describeSocket, readSocketTables, type InetSocket } from './proc-net';

const STATE_WORDS: Record<string, string> = {
  running: 'running',
  sleeping: 'sleeping',
  'disk-sleep': 'disk sleep',
  stopped: 'stopped',
  traced: 'traced',
  zombie: 'zombie',
  dead: 'dead',
  idle: 'idle',
  unknown: 'unknown',
};
/** fds listed per process; beyond it the Handles tab says so through the count in the last entry's absence. */
export const MAX_FDS = 20_000;

// ---- threads -----------------------------------------------------------------------------------------------

export interface ThreadCpu {
  cpuTimeMs: number;
  atMs: number;
}

/** /proc/PID/task/TID/{stat,wchan}; CPU % over the previous read of each tid (in `previous`, updated). */
export async function readThreads(pid: number, previous: Map<number, ThreadCpu>): Promise<ThreadDetail[]> {
  const tids = (await procRead('the thread list', () => readdir(`/proc/${pid}/task`))).map(Number).filter((t) => t > 0).sort((a, b) => a - b);
  const ticks = clockTicksPerSecond();
  const nowMs = performance.now();
  const seen = new Set<number>();
  const out: ThreadDetail[] = [];
  await Promise.all(
    tids.map(async (tid) => {
      const buf = await readFile(`/proc/${pid}/task/${tid}/stat`).catch(() => null);
      const st = buf ? parseProcStat(buf, buf.length) : null;
      if (!st) return; // exited between the listing and the read
      const wchan = await readFile(`/proc/${pid}/task/${tid}/wchan`, 'latin1').catch(() => null);
      const cpuTimeMs = Math.round(((st.utimeTicks + st.stimeTicks) * 1000) / ticks);
      const before = previous.get(tid);
      const cpuPercent = before && nowMs > before.atMs ? Math.max(0, ((cpuTimeMs - before.cpuTimeMs) / (nowMs - before.atMs)) * 100) : null;
      previous.set(tid, { cpuTimeMs, atMs: nowMs });
      seen.add(tid);
      out.push({
        tid,
        name: st.name,
        state: STATE_WORDS[processStateOf(st.stateCode)] ?? null,
        // wchan says '0' for a running thread; kernels without CONFIG_KALLSYMS say nothing useful.
        waitReason: wchan && wchan !== '0' ? wchan.trim() : null,
        cpuTimeMs,
        cpuPercent: cpuPercent === null ? null : Math.round(cpuPercent * 10) / 10,
        // A thread's start routine is not kept by Linux anywhere cheap (only in the clone() caller's registers).
        startAddress: null,
        startSymbol: null,
        priority: st.nice,
      });
    }),
  );
  for (const tid of [...previous.keys()]) if (!seen.has(tid)) previous.delete(tid);
  return out.sort((a, b) => a.tid - b.tid);
}

// ---- modules -----------------------------------------------------------------------------------------------

const buildIds = new Map<string, string | null>();
const MAX_BUILD_IDS = 4096;

/** The GNU build id of a mapped file, read from the file only if it is the mapped one (same device and inode). */
async function buildIdOf(pid: number, m: ProcMapping): Promise<string | null> {
  const key = `${m.dev}:${m.inode}`;
  if (buildIds.has(key)) return buildIds.get(key)!;
  // The path as this host sees it, as the process sees it (its root: a container's mount namespace), the mapping itself.
  const path = m.path.replace(/ \(deleted\)$/, '');
  const candidates = [path, `/proc/${pid}/root${path}`, `/proc/${pid}/map_files/${m.startAddr.toString(16)}-${m.endAddr.toString(16)}`];
  let id: string | null = null;
  for (const candidate of candidates) {
    try {
      const s = await stat(candidate);
      if (s.ino !== m.inode || s.dev !== m.dev) continue;
      const file = await ElfFile.open(candidate);
      try {
        // The file may have been swapped between the stat and the open: the build id is kept only if it still is.
        const after = await stat(candidate);
        id = after.ino === m.inode && after.dev === m.dev ? file.headers.buildId : null;
      } finally {
        await file.close();
      }
      break;
    } catch {
      // Not readable as this user, gone, or not ELF: try the next way in.
    }
  }
  if (buildIds.size >= MAX_BUILD_IDS) buildIds.clear();
  buildIds.set(key, id);
  return id;
}

export async function readMaps(pid: number): Promise<ProcMapping[]> {
  return parseMaps(await procRead('the memory map', () => readFile(`/proc/${pid}/maps`, 'latin1')));
}

/** File-backed images with an executable mapping, one per file: base = its lowest mapping, size to its highest end. */
export async function readModules(pid: number, withBuildIds = true): Promise<ModuleDetail[]> {
  const maps = await readMaps(pid);
  const groups = new Map<string, ProcMapping[]>();
  for (const m of maps) {
    if (!m.path.startsWith('/') || m.inode === 0) continue;
    const key = `${m.dev}:${m.inode}:${m.path}`;
    const list = groups.get(key) ?? [];
    list.push(m);
    groups.set(key, list);
  }
  const out: ModuleDetail[] = [];
  await Promise.all(
    [...groups.values()].map(async (list) => {
      if (!list.some((m) => m.executable)) return;
      const base = Math.min(...list.map((m) => m.startAddr));
      const end = Math.max(...list.map((m) => m.endAddr));
      const first = list.find((m) => m.startAddr === base)!;
      const path = first.path;
      out.push({
        name: path.slice(path.lastIndexOf('/') + 1),
        path,
        baseAddress: `0x${base.toString(16)}`,
        sizeBytes: end - base,
        version: null,
        description: null,
        companyName: null,
        buildId: withBuildIds ? await buildIdOf(pid, list.find((m) => m.fileOffset === 0) ?? first) : null,
      });
    }),
  );
  return out.sort((a, b) => parseInt(a.baseAddress, 16) - parseInt(b.baseAddress, 16));
}

// ---- handles -----------------------------------------------------------------------------------------------

function kindOfLink(link: string, mode: number | null): { kind: HandleKind; type: string } {
  if (link.startsWith('socket:')) return { kind: 'socket', type: 'socket' };
  if (link.startsWith('pipe:')) return { kind: 'pipe', type: 'FIFO' };
  if (link.startsWith('anon_inode:')) return { kind: 'anon-inode', type: 'anon_inode' };
  if (mode !== null) {
    const fmt = mode & 0o170000;
    if (fmt === 0o040000) return { kind: 'directory', type: 'DIR' };
    if (fmt === 0o020000) return { kind: 'device', type: 'CHR' };
    if (fmt === 0o060000) return { kind: 'device', type: 'BLK' };
    if (fmt === 0o010000) return { kind: 'pipe', type: 'FIFO' };
    if (fmt === 0o140000) return { kind: 'socket', type: 'socket' };
    if (fmt === 0o100000) return { kind: 'file', type: 'REG' };
  }
  if (link.startsWith('/dev/')) return { kind: 'device', type: 'CHR' };
  return link.startsWith('/') ? { kind: 'file', type: 'REG' } : { kind: 'other', type: 'unknown' };
}

const SOCKET_INODE = /^socket:\[(\d+)\]$/;

/**
 * /proc/PID/fd (links) + fdinfo (flags, octal) + a stat of each for its type; sockets named from the namespace's
 * tables. `light`: links only (Find Handle or DLL over every process).
 */
export async function readHandles(pid: number, options: { light?: boolean } = {}): Promise<HandleDetail[]> {
  const fds = (await procRead('the open files', () => readdir(`/proc/${pid}/fd`))).map(Number).filter((n) => Number.isInteger(n) && n >= 0).sort((a, b) => a - b).slice(0, MAX_FDS);
  const sockets = options.light ? null : await readSocketTables(pid).catch(() => null);
  const out: HandleDetail[] = [];
  const batch = 256;
  for (let i = 0; i < fds.length; i += batch) {
    await Promise.all(
      fds.slice(i, i + batch).map(async (fd) => {
        const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => null);
        if (link === null) return; // closed meanwhile
        let mode: number | null = null;
        let access: string | null = null;
        if (!options.light) {
          mode = await stat(`/proc/${pid}/fd/${fd}`).then((s) => s.mode, () => null);
          const info = await readFile(`/proc/${pid}/fdinfo/${fd}`, 'latin1').catch(() => null);
          const flags = info ? /^flags:\s*([0-7]+)/m.exec(info) : null;
          access = flags ? `0${flags[1]!.replace(/^0+(?=.)/, '')}` : null;
        }
        const { kind, type } = kindOfLink(link, mode);
        let name: string = link;
        const ino = SOCKET_INODE.exec(link);
        if (ino && sockets) {
          const s = sockets.get(Number(ino[1]));
          if (s) name = describeSocket(s);
        }
        out.push({ handle: String(fd), kind, type, name, access });
      }),
    );
  }
  return out.sort((a, b) => Number(a.handle) - Number(b.handle));
}

// ---- sockets -----------------------------------------------------------------------------------------------

/** The process's socket inodes (its fds) matched with its namespace's tables. */
export async function readSockets(pid: number): Promise<SocketDetail[]> {
  const fds = await procRead('the open files', () => readdir(`/proc/${pid}/fd`));
  const inodes = new Set<number>();
  await Promise.all(
    fds.slice(0, MAX_FDS).map(async (fd) => {
      const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => null);
      const m = link ? SOCKET_INODE.exec(link) : null;
      if (m) inodes.add(Number(m[1]));
    }),
  );
  if (inodes.size === 0) return [];
  const tables = await procRead('the socket tables', () => readSocketTables(pid));
  const out: SocketDetail[] = [];
  for (const inode of inodes) {
    const s: InetSocket | undefined = tables.get(inode);
    if (!s) continue; // netlink, packet or another family these tables do not list
    const { inode: _inode, ...detail } = s;
    out.push(detail);
  }
  const order = ['tcp', 'tcp6', 'udp', 'udp6', 'unix'];
  return out.sort((a, b) => order.indexOf(a.protocol) - order.indexOf(b.protocol) || (a.localPort ?? 0) - (b.localPort ?? 0));
}

// ---- services ----------------------------------------------------------------------------------------------

/** The systemd unit of the process's cgroup (one parser, shared with the Services column). */
export async function readServiceUnit(pid: number): Promise<string | null> {
  const text = await procRead('the cgroup', () => readFile(`/proc/${pid}/cgroup`, 'latin1'));
  const path = systemdCgroupPath(text);
  return path === null ? null : serviceUnitOfCgroupPath(path);
}

/** systemd's unit search path (systemd.unit(5)), system units first, then the per-user ones. */
const UNIT_DIRS = ['/etc/systemd/system', '/run/systemd/system', '/usr/local/lib/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system'];
const USER_UNIT_DIRS = ['/etc/systemd/user', '/usr/lib/systemd/user', '/lib/systemd/user'];

/** The unit's file on the search path, or null (a transient or generated unit may have none). */
export async function unitFilePath(unit: string, userHome: string | null): Promise<string | null> {
  if (!/^[\w:.@\\-]+$/.test(unit)) return null;
  const dirs = [...UNIT_DIRS, ...(userHome ? [`${userHome}/.config/systemd/user`] : []), ...USER_UNIT_DIRS];
  const names = [unit];
  const at = unit.indexOf('@');
  if (at > 0) names.push(`${unit.slice(0, at + 1)}${unit.slice(unit.lastIndexOf('.'))}`); // foo@bar.service → foo@.service
  for (const dir of dirs) {
    for (const name of names) {
      const path = `${dir}/${name}`;
      if (await stat(path).then((s) => s.isFile(), () => false)) return path;
    }
  }
  return null;
}

export async function readServices(pid: number): Promise<ServiceDetail[]> {
  const unit = await readServiceUnit(pid);
  if (!unit) return [];
  const file = await unitFilePath(unit, null);
  const text = file ? await readFile(file, 'utf8').catch(() => null) : null;
  const description = text ? /^Description=(.*)$/m.exec(text)?.[1]?.trim() ?? null : null;
  // A process runs in it, so the unit is active; whether it is reloading or stopping only systemd's D-Bus says.
  return [{ name: unit, displayName: description, state: 'running' }];
}

// ---- environment -------------------------------------------------------------------------------------------

export async function readEnvironment(pid: number): Promise<EnvironmentVariable[]> {
  const buf = await procRead('the environment', () => readFile(`/proc/${pid}/environ`));
  const out: EnvironmentVariable[] = [];
  for (const entry of buf.toString('utf8').split('\0')) {
    if (!entry) continue;
    const eq = entry.indexOf('=');
    out.push(eq < 0 ? { name: entry, value: '' } : { name: entry.slice(0, eq), value: entry.slice(eq + 1) });
  }
  return out;
}

// ---- performance -------------------------------------------------------------------------------------------

/** Now: statm, stat and the I/O counters (I/O only where readable; others' processes leave them null). */
export async function readPerformanceSample(pid: number): Promise<PerformanceSample> {
  const [statBuf, statm, io, fdCount] = await Promise.all([
    procRead('the process status', () => readFile(`/proc/${pid}/stat`)),
    readFile(`/proc/${pid}/statm`, 'latin1').catch(() => null),
    readFile(`/proc/${pid}/io`).catch(() => null),
    readdir(`/proc/${pid}/fd`).then((l) => l.length, () => null),
  ]);
  const st = parseProcStat(statBuf, statBuf.length);
  if (!st) throw new DetailFailure('process-gone', 'The process has exited.');
  const page = pageSizeBytes();
  const m = statm?.trim().split(/\s+/).map(Number) ?? null;
  const parsedIo = io ? parseProcIo(io, io.length) : null;
  return {
    timestampMs: Date.now(),
    cpuPercent: null,
    privateBytes: m && m.length >= 3 ? (m[1]! - m[2]!) * page : null,
    workingSetBytes: m && m.length >= 2 ? m[1]! * page : null,
    ioReadBytes: parsedIo?.readBytes ?? null,
    ioWriteBytes: parsedIo?.writeBytes ?? null,
    ioReadOps: parsedIo?.readOps ?? null,
    ioWriteOps: parsedIo?.writeOps ?? null,
    handleCount: fdCount,
    threadCount: st.threadCount,
  };
}

// ---- image -------------------------------------------------------------------------------------------------

export async function readExe(pid: number): Promise<string | null> {
  try {
    return await readlink(`/proc/${pid}/exe`);
  } catch (err) {
    const f = procFailure(err, 'the executable');
    if (f.code === 'process-gone') {
      // ENOENT for a live process: a kernel thread or a zombie has no executable.
      return null;
    }
    if (f.code === 'access-denied') return null;
    throw f;
  }
}

export async function readCommandLine(pid: number): Promise<string | null> {
  const buf = await readFile(`/proc/${pid}/cmdline`).catch(() => null);
  return buf ? parseProcCmdline(buf, buf.length) : null;
}

/** From the executable's ELF class (EI_CLASS: 1 = 32-bit, 2 = 64-bit); null where it cannot be read. */
export async function readIs32Bit(pid: number): Promise<boolean | null> {
  let file: FileHandle | null = null;
  try {
    file = await open(`/proc/${pid}/exe`, 'r');
    const head = Buffer.alloc(5);
    const { bytesRead } = await file.read(head, 0, 5, 0);
    if (bytesRead !== 5 || head.readUInt32BE(0) !== 0x7f454c46) return null;
    return head[4] === 1 ? true : head[4] === 2 ? false : null;
  } catch {
    return null;
  } finally {
    await file?.close();
  }
}

export async function readCwd(pid: number): Promise<string | null> {
  return readlink(`/proc/${pid}/cwd`).catch(() => null);
}
