/*
 * SHA-256 of the dump, computed on a worker thread while the file is being written. The writer tells it, in file
 * order, which byte ranges it has just written (the worker reads them back from the page cache through the same
 * descriptor) and how many zero bytes each hole holds (holes are part of the file's content too). So the hash
 * never holds up reading the target: the threads are let go as soon as the last byte is read, and the hash
 * finishes behind (in live mode it is told of the writes only once the target runs: memory-copier.ts), on a thread
 * of low priority (nice 10), so that after the dump it mostly yields to the target's own threads on a busy machine.
 * The thread is started ahead (prestartSha256Worker, when the writer is created) or at the latest first thing in a
 * dump, so its start-up (65 ms on a quiet machine, several times that under load) overlaps the checks instead of
 * delaying the hash, which is the last thing a full dump waits for (a snapshot dump waits for its `ready` before the
 * stop, so that it does not boot while the target waits). After a digest the thread is kept idle for the
 * next stream (a capture writes one core per child). The worker is inline code (no extra bundle entry); it only
 * reads the file, never writes it.
 */
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { readSync, readlinkSync } = require('node:fs');
const { createHash } = require('node:crypto');
// This thread only, at nice 10 (setpriority on a thread id applies to that thread on Linux): the hash takes about
// a tenth of a core the target (running again) wants, rather than half of both, and all of an idle one.
try { require('node:os').setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), 10); } catch {}
let hash = createHash('sha256');
const zeros = Buffer.alloc(1 << 20);
// Touched now, while the writer is still checking and attaching: a first touch costs 50-80 µs a page here.
const buf = Buffer.allocUnsafeSlow(1 << 20).fill(0);
let failed = null;
// Booted (crypto loaded, buffer touched): a snapshot dump waits for this before it stops the target.
parentPort.postMessage({ kind: 'ready' });
parentPort.on('message', (m) => {
  // A fresh stream on this thread: nothing of the last one's bytes may reach its digest.
  if (m.kind === 'reset') { hash = createHash('sha256'); failed = null; return; }
  if (failed) return;
  try {
    if (m.kind === 'range') {
      let at = m.offset;
      const end = m.offset + m.length;
      while (at < end) {
        const n = readSync(m.fd, buf, 0, Math.min(buf.length, end - at), at);
        if (n <= 0) throw new Error('the dump file is shorter than what was written to it');
        hash.update(buf.subarray(0, n));
        at += n;
      }
    } else if (m.kind === 'zeros') {
      let left = m.length;
      while (left > 0) { const n = Math.min(left, zeros.length); hash.update(zeros.subarray(0, n)); left -= n; }
    } else if (m.kind === 'digest') {
      parentPort.postMessage({ kind: 'digest', hex: hash.digest('hex') });
    }
  } catch (err) {
    failed = err;
    parentPort.postMessage({ kind: 'error', message: String(err && err.message || err) });
  }
});
`;

const MAX_RANGE_BYTES = 4 * 1024 * 1024;

type WorkerMessage = { kind: 'ready' } | { kind: 'digest'; hex: string } | { kind: 'error'; message: string };

export interface Sha256Stream {
  /** Bytes [offset, offset + length) of the file open as `fd` were just written: hash them next. */
  updateWritten(fd: number, offset: number, length: number): void;
  /** The next `length` bytes of the file are a hole (zeros). */
  updateZeros(length: number): void;
  digest(): Promise<string>;
  /**
   * Settles true once the thread has booted (at once for a reused one), false if it died first. Its start-up is
   * tens of ms of CPU on a machine of few cores: a dump that promises the shortest pause waits for it before the stop.
   */
  ready(): Promise<boolean>;
  /** Ends the stream; resolves once its thread can no longer touch the descriptor (stopped, or idle for the next one). */
  dispose(): Promise<void>;
}

/** A spare not taken within this time is stopped: a long-lived host never keeps an idle thread for long. */
const SPARE_IDLE_MS = 10_000;
let spare: { booting: BootingWorker; dead: boolean; timer: NodeJS.Timeout; die: () => void } | null = null;

/** A hash thread and whether it has booted yet. */
interface BootingWorker {
  worker: Worker;
  ready: Promise<boolean>;
}

function bootWorker(): BootingWorker {
  const worker = new Worker(WORKER_SOURCE, { eval: true });
  const ready = new Promise<boolean>((resolve) => {
    worker.once('message', (m: WorkerMessage) => resolve(m.kind === 'ready'));
    worker.once('error', () => resolve(false));
    worker.once('exit', () => resolve(false));
  });
  return { worker, ready };
}

/**
 * Boots the thread of the next stream now, e.g. when the writer is created, before the CLI has even read the
 * target's start time. Unreferenced while idle, so it never keeps a process alive.
 */
export function prestartSha256Worker(): void {
  if (spare) return;
  park(bootWorker());
}

/** Keeps an idle thread as the next stream's, unreferenced, stopped if not taken within SPARE_IDLE_MS. */
function park(booting: BootingWorker): void {
  const { worker } = booting;
  worker.unref();
  const entry = {
    booting,
    dead: false,
    timer: setTimeout(() => {
      if (spare === entry) spare = null;
      void worker.terminate();
    }, SPARE_IDLE_MS).unref(),
    die: (): void => {
      entry.dead = true;
    },
  };
  worker.once('error', entry.die);
  worker.once('exit', entry.die);
  spare = entry;
}

function takeWorker(): BootingWorker {
  const taken = spare;
  spare = null;
  if (taken) {
    clearTimeout(taken.timer);
    taken.booting.worker.off('error', taken.die);
    taken.booting.worker.off('exit', taken.die);
  }
  if (taken && !taken.dead) {
    taken.booting.worker.ref();
    return taken.booting;
  }
  return bootWorker();
}

export function createSha256Stream(): Sha256Stream {
  const booting = takeWorker();
  const { worker } = booting;
  let failure: Error | null = null;
  let digested = false;
  let disposing: Promise<void> | null = null;
  let settle: { resolve: (hex: string) => void; reject: (err: Error) => void } | null = null;
  worker.on('message', (m: WorkerMessage) => {
    if (m.kind === 'ready') return;
    if (m.kind === 'digest') {
      digested = true;
      settle?.resolve(m.hex);
    } else {
      failure = new Error(`hashing the dump failed: ${m.message}`);
      settle?.reject(failure);
    }
  });
  worker.on('error', (err) => {
    failure = err;
    settle?.reject(err);
  });
  // Adjacent ranges and runs of zeros are merged into one message (a range up to 4 MiB): one message per 1 MiB
  // write cost the writer as much as the write.
  let pendingZeros = 0;
  let pending: { fd: number; offset: number; length: number } | null = null;
  const flushRange = (): void => {
    if (pending) worker.postMessage({ kind: 'range', ...pending });
    pending = null;
  };
  const flushZeros = (): void => {
    if (pendingZeros > 0) worker.postMessage({ kind: 'zeros', length: pendingZeros });
    pendingZeros = 0;
  };
  return {
    updateWritten(fd, offset, length) {
      if (length <= 0) return;
      flushZeros();
      if (pending && pending.fd === fd && pending.offset + pending.length === offset && pending.length < MAX_RANGE_BYTES) {
        pending.length += length;
        return;
      }
      flushRange();
      pending = { fd, offset, length };
    },
    updateZeros(length) {
      if (length <= 0) return;
      flushRange();
      pendingZeros += length;
    },
    digest() {
      flushRange();
      flushZeros();
      return new Promise<string>((resolve, reject) => {
        if (failure) return reject(failure);
        settle = { resolve, reject };
        worker.postMessage({ kind: 'digest' });
      });
    },
    ready() {
      return booting.ready;
    },
    dispose() {
      disposing ??= release();
      return disposing;
    },
  };

  async function release(): Promise<void> {
    // After a digest the thread has handled every range (messages are handled in order) and holds no descriptor,
    // so it can serve the next stream: booting one per stream cost 60-170 ms, which a capture's held child waited
    // out at every dump. A failed or unfinished stream's thread is stopped, as before.
    if (digested && !failure && !spare) {
      worker.removeAllListeners('message');
      worker.removeAllListeners('error');
      worker.postMessage({ kind: 'reset' });
      park({ worker, ready: Promise.resolve(true) });
      return;
    }
    await worker.terminate();
  }
}
