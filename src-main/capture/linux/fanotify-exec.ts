/*
 * The fanotify side of the Linux capture engine's exec mode (CAPTURE.md §5, §7; fanotify(7), fanotify_init(2),
 * fanotify_mark(2)): a FAN_CLASS_CONTENT group with an inode mark of FAN_OPEN_EXEC_PERM on each named binary — never a
 * mount mark, which puts every exec on the machine behind the listener — so that a process exec'ing one of them waits
 * in execve until we answer. The engine reads the events from its tick loop (FAN_NONBLOCK) and seizes the ones it
 * wants before it answers; every event is answered FAN_ALLOW (a watch never breaks what it watches). A watchdog thread
 * answers any event left unread for WATCHDOG_STALE_MS while the JS thread is busy, and closing the descriptor (also
 * when this process dies) lets every pending exec go on. Each binary is resolved once: opened O_PATH (no open side
 * effect: a FIFO or device swapped in cannot block or trigger anything), checked by fstat, reopened through its own
 * descriptor and marked by that descriptor, never by its path again.
 */
import { closeSync, constants as fsConstants, fstatSync, openSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import koffi, { type LibraryHandle } from 'koffi';
import { DumpError } from '../../dump/dump-writer';

// linux/fanotify.h (uapi), x86-64 and arm64 alike.
const FAN_CLOEXEC = 0x1;
const FAN_NONBLOCK = 0x2;
const FAN_CLASS_CONTENT = 0x4;
const FAN_MARK_ADD = 0x1;
export const FAN_OPEN_EXEC_PERM = 0x40000;
const FAN_Q_OVERFLOW = 0x4000;
const FAN_ALLOW = 0x1;
const FANOTIFY_METADATA_VERSION = 3;
/** struct fanotify_event_metadata: u32 event_len, u8 vers, u8 reserved, u16 metadata_len, u64 mask, s32 fd, s32 pid. */
const METADATA_BYTES = 24;
/** asm-generic/fcntl.h: not in Node's fs.constants. */
const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;
const EAGAIN = 11;
const EINTR = 4;
const EPERM = 1;
const EINVAL = 22;
const ENOSYS = 38;

/** An event nobody has read for this long is answered by the watchdog thread (CAPTURE.md: allow when in doubt). */
export const WATCHDOG_STALE_MS = 150;
const WATCHDOG_PERIOD_MS = 25;

type InitFn = (flags: number, eventFlags: number) => number;
type MarkFn = (fd: number, flags: number, mask: bigint, dirfd: number, path: string | null) => number;
type IoFn = (fd: number, buf: Buffer, count: number) => number | bigint;

let lib: LibraryHandle | null = null;
let initFn: InitFn | null = null;
let markFn: MarkFn | null = null;
let readFn: IoFn | null = null;
let writeFn: IoFn | null = null;
function libc(): LibraryHandle {
  lib ??= koffi.load('libc.so.6');
  return lib;
}

/** One exec waiting for our answer: `pid` is the exec'ing process (its tgid), `fd` the binary, open in this process. */
export interface ExecPermEvent {
  pid: number;
  fd: number;
}

/** A marked binary: the path as given and the file it named when it was opened (device and inode). */
export interface MarkedBinary {
  path: string;
  dev: number;
  ino: number;
}

function refuse(message: string): never {
  throw new DumpError('bad-request', message);
}

/**
 * Open each path once and check the file it names (a regular file, not this process's own executable), then hand
 * back a descriptor that reads it; the caller marks by that descriptor. Throws bad-request with the path's sentence.
 */
export function openExecBinarySync(path: string): { fd: number; dev: number; ino: number } {
  let pathFd: number;
  try {
    // O_PATH: resolves the name (following links, once) without opening the file for I/O.
    pathFd = openSync(path, O_PATH | O_CLOEXEC);
  } catch (err) {
    refuse(`The binary ${path} cannot be opened (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
  }
  try {
    const st = fstatSync(pathFd);
    if (!st.isFile()) refuse(`${path} is not a regular file, so no process can exec it: name the binary itself.`);
    const own = statSync(process.execPath);
    if (st.dev === own.dev && st.ino === own.ino) {
      refuse(`${path} is the watcher's own executable (${process.execPath}), not a binary of the watched process: name the binary by its own path.`);
    }
    // The same file object again, now readable, through this process's descriptor: no name is resolved a second time.
    const fd = openSync(`/proc/self/fd/${pathFd}`, fsConstants.O_RDONLY | fsConstants.O_NOCTTY | fsConstants.O_NONBLOCK | O_CLOEXEC);
    const again = fstatSync(fd);
    if (again.dev !== st.dev || again.ino !== st.ino) {
      closeSync(fd);
      refuse(`${path} changed while it was being opened.`);
    }
    return { fd, dev: st.dev, ino: st.ino };
  } finally {
    closeSync(pathFd);
  }
}

export class FanotifyExecListener {
  private readonly buffer = Buffer.alloc(METADATA_BYTES * 128);
  private readonly response = Buffer.alloc(8);
  /**
   * [0] stop flag for the watchdog, [1] events it answered, [2] how many times the engine has read: a count, not a
   * time, so neither thread compares its clock with the other's (this machine's wall clock has jumped by seconds).
   */
  private readonly shared = new SharedArrayBuffer(12);
  private readonly flags = new Int32Array(this.shared, 0, 3);
  private watchdog: Worker | null = null;
  private watchdogGone: Promise<void> = Promise.resolve();
  private reportedByWatchdog = 0;
  private closed = false;
  /** Events the kernel dropped from the queue (FAN_Q_OVERFLOW): only non-permission events can be, counted anyway. */
  overflowed = false;

  private constructor(
    readonly fd: number,
    readonly binaries: MarkedBinary[],
  ) {}

  /**
   * fanotify_init + one inode mark per binary. Needs CAP_SYS_ADMIN (root): EPERM is 'needs-elevation'. A kernel
   * without FAN_OPEN_EXEC_PERM (< 5.0) or without CONFIG_FANOTIFY_ACCESS_PERMISSIONS is 'unsupported'.
   */
  static openSync(paths: readonly string[]): FanotifyExecListener {
    if (process.platform !== 'linux') throw new DumpError('unsupported', 'fanotify exec mode runs on Linux only.');
    initFn ??= libc().func('int fanotify_init(unsigned int flags, unsigned int event_f_flags)') as InitFn;
    markFn ??= libc().func('int fanotify_mark(int fd, unsigned int flags, uint64_t mask, int dirfd, const char *pathname)') as MarkFn;
    koffi.errno(0);
    const fd = initFn(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK, fsConstants.O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      const errno = koffi.errno();
      if (errno === EPERM) {
        throw new DumpError(
          'needs-elevation',
          'Watching execs of named binaries (fanotify) needs root (CAP_SYS_ADMIN): run procscope watch with sudo, or let the app retry as administrator.',
        );
      }
      if (errno === EINVAL || errno === ENOSYS) {
        throw new DumpError('unsupported', 'This kernel has no fanotify permission events (CONFIG_FANOTIFY_ACCESS_PERMISSIONS, Linux 5.0+), so execs of named binaries cannot be held; watch without --exec.');
      }
      throw new DumpError('io-error', `fanotify_init failed (errno ${errno}).`);
    }
    const binaries: MarkedBinary[] = [];
    try {
      for (const path of paths) {
        const file = openExecBinarySync(path);
        try {
          koffi.errno(0);
          // dirfd = the checked descriptor and no path: the mark goes on that file's inode (fanotify_mark(2)).
          if (markFn(fd, FAN_MARK_ADD, BigInt(FAN_OPEN_EXEC_PERM), file.fd, null) !== 0) {
            const errno = koffi.errno();
            if (errno === EINVAL) {
              throw new DumpError('unsupported', 'This kernel does not know FAN_OPEN_EXEC_PERM (Linux 5.0+), so execs of named binaries cannot be held; watch without --exec.');
            }
            throw new DumpError('io-error', `fanotify_mark on ${path} failed (errno ${errno}).`);
          }
        } finally {
          closeSync(file.fd); // the mark keeps the inode; the watch needs no descriptor of it
        }
        binaries.push({ path, dev: file.dev, ino: file.ino });
      }
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    const listener = new FanotifyExecListener(fd, binaries);
    listener.startWatchdog();
    return listener;
  }

  /** Every exec waiting now (non-blocking; at most a few reads a call). Each one must go to allowSync. */
  readSync(): ExecPermEvent[] {
    if (this.closed) return [];
    readFn ??= libc().func('long read(int fd, _Out_ void *buf, unsigned long count)') as IoFn;
    Atomics.add(this.flags, 2, 1);
    const out: ExecPermEvent[] = [];
    for (let round = 0; round < 4; round++) {
      koffi.errno(0);
      const n = Number(readFn(this.fd, this.buffer, this.buffer.length));
      if (n < 0) {
        const errno = koffi.errno();
        if (errno === EINTR) continue;
        if (errno === EAGAIN) break;
        throw new Error(`reading fanotify events failed (errno ${errno})`);
      }
      if (n === 0) break;
      out.push(...this.parse(n));
      if (n < this.buffer.length - METADATA_BYTES) break;
    }
    return out;
  }

  private parse(n: number): ExecPermEvent[] {
    const out: ExecPermEvent[] = [];
    for (let off = 0; off + METADATA_BYTES <= n; ) {
      const len = this.buffer.readUInt32LE(off);
      const vers = this.buffer.readUInt8(off + 4);
      if (len < METADATA_BYTES || vers !== FANOTIFY_METADATA_VERSION) throw new Error(`unexpected fanotify event (version ${vers}, ${len} bytes)`);
      const mask = this.buffer.readBigUInt64LE(off + 8);
      const fd = this.buffer.readInt32LE(off + 16);
      const pid = this.buffer.readInt32LE(off + 20);
      if ((mask & BigInt(FAN_Q_OVERFLOW)) !== 0n) this.overflowed = true;
      if (fd >= 0) out.push({ pid, fd });
      off += len;
    }
    return out;
  }

  /** FAN_ALLOW for one event, then its descriptor is closed. Errors are ignored: closing the group allows it anyway. */
  allowSync(event: ExecPermEvent): void {
    writeFn ??= libc().func('long write(int fd, const void *buf, unsigned long count)') as IoFn;
    this.response.writeInt32LE(event.fd, 0);
    this.response.writeUInt32LE(FAN_ALLOW, 4);
    if (!this.closed) writeFn(this.fd, this.response, 8);
    try {
      closeSync(event.fd);
    } catch {
      // already closed
    }
  }

  /** Events the watchdog answered since the last call (execs that ran on unwatched while the engine was busy). */
  takeWatchdogAllowed(): number {
    const total = Atomics.load(this.flags, 1);
    const fresh = total - this.reportedByWatchdog;
    this.reportedByWatchdog = total;
    return fresh;
  }

  /** Stops the watchdog, then closes the group: every exec still waiting goes on (fanotify(7)). */
  async close(): Promise<void> {
    if (this.closed) return;
    Atomics.store(this.flags, 0, 1);
    Atomics.notify(this.flags, 0);
    // The watchdog must be gone before the descriptor closes: the number could be reused by another file.
    const stuck = setTimeout(() => void this.watchdog?.terminate(), 1000);
    await this.watchdogGone;
    clearTimeout(stuck);
    this.closed = true;
    closeSync(this.fd);
  }

  private startWatchdog(): void {
    const worker = new Worker(WATCHDOG_SOURCE, {
      eval: true,
      workerData: { koffiPath: resolveKoffiPath(), fd: this.fd, shared: this.shared, staleMs: WATCHDOG_STALE_MS, periodMs: WATCHDOG_PERIOD_MS },
    });
    worker.unref();
    this.watchdog = worker;
    this.watchdogGone = new Promise((resolve) => worker.once('exit', () => resolve()));
  }
}

function resolveKoffiPath(): string {
  const from = typeof __filename === 'string' ? __filename : join(process.cwd(), 'procscope.js');
  return createRequire(from).resolve('koffi');
}

/**
 * The watchdog thread (inline, as the Windows capture worker): every WATCHDOG_PERIOD_MS it looks whether the engine
 * has read the group since; if it has not for staleMs by its own monotonic clock (a dump or a hold blocking the JS
 * thread), it reads and allows everything pending itself and counts it. Whoever reads an event answers it, so no event is answered twice.
 */
const WATCHDOG_SOURCE = String.raw`
const { workerData } = require('node:worker_threads');
const koffi = require(workerData.koffiPath);
const libc = koffi.load('libc.so.6');
const read = libc.func('long read(int fd, _Out_ void *buf, unsigned long count)');
const write = libc.func('long write(int fd, const void *buf, unsigned long count)');
const close = libc.func('int close(int fd)');
const flags = new Int32Array(workerData.shared, 0, 3);
let seenReads = Atomics.load(flags, 2);
let lastChange = performance.now();
const buf = Buffer.alloc(24 * 128);
const resp = Buffer.alloc(8);
for (;;) {
  Atomics.wait(flags, 0, 0, workerData.periodMs);
  if (Atomics.load(flags, 0) === 1) break;
  const reads = Atomics.load(flags, 2);
  if (reads !== seenReads) {
    seenReads = reads;
    lastChange = performance.now();
    continue;
  }
  if (performance.now() - lastChange < workerData.staleMs) continue;
  for (;;) {
    const n = Number(read(workerData.fd, buf, buf.length));
    if (n <= 0) break;
    for (let off = 0; off + 24 <= n; ) {
      const len = buf.readUInt32LE(off);
      if (len < 24) break;
      const fd = buf.readInt32LE(off + 16);
      if (fd >= 0) {
        resp.writeInt32LE(fd, 0);
        resp.writeUInt32LE(1, 4);
        write(workerData.fd, resp, 8);
        close(fd);
        Atomics.add(flags, 1, 1);
      }
      off += len;
    }
  }
}
`;
