/*
 * Write-behind for the core writer: the dump's thread reads the target's memory into a ring of 1 MiB slots of shared
 * memory, and one worker thread pwrites each filled slot to the file, in order, while the next slots are read. The
 * two copies of a dump — process_vm_readv out of the target, pwrite into the page cache (which also allocates the
 * cache's pages) — then run on two cores at once, and the target waits for the reads only, not for the writes.
 * Measured on this 2-core VM (1 GiB dense target, caches dropped, 5 runs each, same session): reads and writes on
 * one thread 357-896 ms stopped; through a 16-slot ring 264-376 ms. Through libuv's pool instead (fs.write) it was
 * 274-817 ms: its completions wait for the event loop, which the dump's synchronous loop leaves only every 10 ms,
 * and its 4 threads contend on the file's inode lock.
 *
 * The hand-off is shared memory and Atomics only — no messages — because the dump's thread sits in a synchronous
 * loop: it waits (Atomics.wait) only when every slot is queued. One writer thread: concurrent pwrites of one file
 * serialise on its inode lock anyway. Work that must follow a write (telling the hash worker what it may read back)
 * is queued with afterWritten and run on the dump's thread, in order, once the writes before it are done.
 *
 * A live dump never waits for the thread: until it reports ready (booting a worker takes 50-60 ms, about as long as
 * a CLI dump's checks), batches go through one pre-touched slot written on the dump's thread, as before; from then on
 * through the ring. A snapshot dump waits for it before the stop (acquireWriteBehind's `ready`), since a thread
 * booting on a core of two lengthened the clone the target waits for. A ring is reused by the next dump (a capture
 * writes one core per child) and stopped after a quiet spell. Where no worker can start at all, every batch is
 * written on the dump's thread.
 */
import { Worker } from 'node:worker_threads';
import { writeAllAtSync } from './core-file';
import { bufferAddress } from './ffi/libc-ptrace';

export const SLOT_BYTES = 1024 * 1024;
/** 16 slots: 4 stalled now and then (the writer fell idle while the reader waited), 32 gained nothing over 16. */
const SLOTS = 16;
/** A ring not taken again within this time is stopped: a long-lived host keeps no idle thread or 16 MiB for long. */
const IDLE_RELEASE_MS = 30_000;
/** No write finished for this long: the file system has hung (a dead network mount); the dump fails rather than hang. */
const STALL_MS = 120_000;
/** The smallest page a run is made of: a slot holds at most SLOT_BYTES / 4096 runs. */
const MAX_RUNS = SLOT_BYTES / 4096;
const META_STRIDE = 2 + 3 * MAX_RUNS;

// Control words (Int32): slots submitted, slots done, stop the thread, a write failed, skip what is queued, ready.
const HEAD = 0;
const TAIL = 1;
const STOP = 2;
const FAILED = 3;
const SKIP = 4;
const READY = 5;
const CONTROL_WORDS = 8;
const ERROR_TEXT_BYTES = 128;

/** A slot to read into; its buffer is free until it is submitted. */
export interface WriteSlot {
  readonly buf: Buffer;
  /** The same bytes as 32-bit words (for the all-zero page test). */
  readonly words: Uint32Array;
  readonly baseAddr: bigint;
  readonly index: number;
}

/** A stretch of a slot to write: slot bytes [offset, offset + length) at file position `position`. */
export interface WriteRun {
  offset: number;
  length: number;
  position: number;
}

export interface WriteBehind {
  /** True when a worker thread writes; false for the inline ring (writes happen inside submitSync). */
  readonly threaded: boolean;
  /** A free slot; waits while every slot is queued. Throws the error of an earlier write (errno code set). */
  acquireSync(): WriteSlot;
  /** Queue the slot's runs for writing to `fd` (at most one run per page of the slot). */
  submitSync(slot: WriteSlot, fd: number, runs: readonly WriteRun[]): void;
  /** Run `fn` on this thread once every write submitted so far is on file: at once if none is pending. */
  afterWritten(fn: () => void): void;
  /** Wait for every queued write and run what followed them. Throws the first write error. */
  drainSync(): void;
  /** After a failure or cancel: queued writes are skipped, and this returns once none can touch a descriptor. */
  abandonSync(): void;
}

interface Shared {
  data: SharedArrayBuffer;
  control: SharedArrayBuffer;
  meta: SharedArrayBuffer;
}

const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { data, control, meta: metaBuffer, slots, slotBytes, stride, words, errorBytes } = workerData;
const buf = Buffer.from(data);
// Every page touched now, before any target stops: a first touch costs 50-80 µs a page on a loaded VM.
buf.fill(1);
const ctl = new Int32Array(control, 0, words);
const errorText = new Uint8Array(control, words * 4, errorBytes);
const meta = new Float64Array(metaBuffer);
Atomics.store(ctl, ${READY}, 1);
parentPort.postMessage('ready');
let tail = Atomics.load(ctl, ${TAIL});
for (;;) {
  if (Atomics.load(ctl, ${STOP}) !== 0) break;
  const head = Atomics.load(ctl, ${HEAD});
  if (head === tail) { Atomics.wait(ctl, ${HEAD}, head, 1000); continue; }
  const s = tail % slots;
  const m = s * stride;
  if (Atomics.load(ctl, ${FAILED}) === 0 && Atomics.load(ctl, ${SKIP}) === 0) {
    try {
      const fd = meta[m];
      const runs = meta[m + 1];
      for (let r = 0; r < runs; r++) {
        let offset = s * slotBytes + meta[m + 2 + r * 3];
        let length = meta[m + 3 + r * 3];
        let position = meta[m + 4 + r * 3];
        while (length > 0) {
          const n = writeSync(fd, buf, offset, length, position);
          if (n <= 0) throw Object.assign(new Error('short write'), { code: 'ENOSPC' });
          offset += n; length -= n; position += n;
        }
      }
    } catch (err) {
      const text = Buffer.from(String((err && err.code) || (err && err.message) || err)).subarray(0, errorBytes);
      errorText.fill(0);
      errorText.set(text);
      Atomics.store(ctl, ${FAILED}, 1);
    }
  }
  tail++;
  Atomics.store(ctl, ${TAIL}, tail);
  Atomics.notify(ctl, ${TAIL});
}
`;

interface Ring {
  worker: Worker;
  ctl: Int32Array;
  errorText: Uint8Array;
  meta: Float64Array;
  slots: WriteSlot[];
  /** Stopped after a hung write, or its thread died: never parked for another dump. */
  dead: boolean;
  /** Settles true once the thread is ready, false if it died first. */
  ready: Promise<boolean>;
}

let spare: { ring: Ring; timer: NodeJS.Timeout } | null = null;

/** Creates a ring whose thread boots in the background (READY once its pages are touched); null if none can start. */
function bootRing(): Ring | null {
  let worker: Worker;
  let shared: Shared;
  try {
    shared = {
      data: new SharedArrayBuffer(SLOTS * SLOT_BYTES),
      control: new SharedArrayBuffer(CONTROL_WORDS * 4 + ERROR_TEXT_BYTES),
      meta: new SharedArrayBuffer(SLOTS * META_STRIDE * 8),
    };
    worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ...shared, slots: SLOTS, slotBytes: SLOT_BYTES, stride: META_STRIDE, words: CONTROL_WORDS, errorBytes: ERROR_TEXT_BYTES },
    });
  } catch {
    return null;
  }
  worker.unref();
  const whole = Buffer.from(shared.data);
  const baseAddr = bufferAddress(whole);
  const slots: WriteSlot[] = [];
  for (let i = 0; i < SLOTS; i++) {
    const buf = whole.subarray(i * SLOT_BYTES, (i + 1) * SLOT_BYTES);
    slots.push({ buf, words: new Uint32Array(shared.data, i * SLOT_BYTES, SLOT_BYTES / 4), baseAddr: baseAddr + BigInt(i * SLOT_BYTES), index: i });
  }
  const ring: Ring = {
    worker,
    ctl: new Int32Array(shared.control, 0, CONTROL_WORDS),
    errorText: new Uint8Array(shared.control, CONTROL_WORDS * 4, ERROR_TEXT_BYTES),
    meta: new Float64Array(shared.meta),
    slots,
    dead: false,
    ready: Promise.resolve(false),
  };
  let settleReady: (ok: boolean) => void = () => {};
  ring.ready = new Promise((resolve) => (settleReady = resolve));
  worker.once('message', () => settleReady(true));
  // A thread that dies (it cannot start, or is stopped) is never handed a slot again.
  const die = (): void => {
    ring.dead = true;
    settleReady(false);
    if (spare?.ring === ring) {
      clearTimeout(spare.timer);
      spare = null;
    }
  };
  worker.once('error', die);
  worker.once('exit', die);
  return ring;
}

function stopRing(ring: Ring): void {
  Atomics.store(ring.ctl, STOP, 1);
  Atomics.notify(ring.ctl, HEAD);
  void ring.worker.terminate();
}

/**
 * Starts the next dump's ring now (the writer is created to write), so its boot overlaps the checks. Resolves true
 * once the spare ring's thread is ready (tests wait for it; a dump never does).
 */
export function prestartWriteBehind(): Promise<boolean> {
  if (spare) return spare.ring.ready;
  const ring = bootRing();
  if (!ring) return Promise.resolve(false);
  park(ring);
  return ring.ready;
}

function park(ring: Ring): void {
  if (ring.dead) return;
  if (spare) return stopRing(ring);
  const entry = {
    ring,
    timer: setTimeout(() => {
      if (spare === entry) spare = null;
      stopRing(ring);
    }, IDLE_RELEASE_MS).unref(),
  };
  spare = entry;
}

function takeRing(): Ring | null {
  const taken = spare;
  spare = null;
  if (taken) {
    clearTimeout(taken.timer);
    return taken.ring;
  }
  return bootRing();
}

/**
 * The ring for one dump: the spare, else a new one, else none (every batch inline). Never waits for a thread; `ready`
 * settles once it could (true) or never will (false), for a dump that would rather wait than stop the target while
 * the thread boots. Take it before the target stops (the inline slot is touched here); give it back with `release`
 * on every path, once abandonSync or drainSync returned.
 */
export function acquireWriteBehind(): { writeBehind: WriteBehind; ready: Promise<boolean>; release: () => void } {
  const ring = takeRing();
  const slot = takeInlineSlot();
  const inline = inlineWriteBehind(slot);
  let released = false;
  return {
    writeBehind: ring ? hybridWriteBehind(inline, threadedWriteBehind(ring), () => !ring.dead && Atomics.load(ring.ctl, READY) === 1) : inline,
    ready: ring ? ring.ready : Promise.resolve(false),
    release: () => {
      if (released) return;
      released = true;
      parkInlineSlot(slot);
      if (ring) park(ring);
    },
  };
}

/** The inline slot, kept between dumps like the ring (a fresh one costs 256 first touches) and dropped when idle. */
let spareSlot: { slot: WriteSlot; timer: NodeJS.Timeout } | null = null;

function takeInlineSlot(): WriteSlot {
  const taken = spareSlot;
  spareSlot = null;
  if (taken) {
    clearTimeout(taken.timer);
    return taken.slot;
  }
  const buf = Buffer.allocUnsafeSlow(SLOT_BYTES);
  buf.fill(1); // fault the pages in now rather than while the target is stopped
  return { buf, words: new Uint32Array(buf.buffer, buf.byteOffset, SLOT_BYTES / 4), baseAddr: bufferAddress(buf), index: 0 };
}

function parkInlineSlot(slot: WriteSlot): void {
  if (spareSlot) return;
  const entry = {
    slot,
    timer: setTimeout(() => {
      if (spareSlot === entry) spareSlot = null;
    }, IDLE_RELEASE_MS).unref(),
  };
  spareSlot = entry;
}

/**
 * Inline until `ready()`, then threaded for the rest of the dump. Inline writes are done when submitSync returns, so
 * the threaded part's order after them holds; a slot is submitted to the part it was acquired from.
 */
function hybridWriteBehind(inline: WriteBehind, threaded: WriteBehind, ready: () => boolean): WriteBehind {
  let switched = false;
  const current = (): WriteBehind => {
    if (!switched && ready()) switched = true;
    return switched ? threaded : inline;
  };
  let acquiredFrom: WriteBehind = inline;
  return {
    get threaded() {
      return switched;
    },
    acquireSync() {
      acquiredFrom = current();
      return acquiredFrom.acquireSync();
    },
    submitSync: (slot, fd, runs) => acquiredFrom.submitSync(slot, fd, runs),
    afterWritten: (fn) => (switched ? threaded : inline).afterWritten(fn),
    drainSync: () => (switched ? threaded.drainSync() : undefined),
    abandonSync: () => (switched ? threaded.abandonSync() : undefined),
  };
}

function writeError(code: string): Error {
  return Object.assign(new Error(`write failed (${code})`), { code });
}

function threadedWriteBehind(ring: Ring): WriteBehind {
  const { ctl, meta, slots } = ring;
  // Counters continue from the last dump that used this ring.
  let head = Atomics.load(ctl, HEAD);
  const following: { after: number; fn: () => void }[] = [];
  const runDue = (tail: number): void => {
    while (following.length > 0 && following[0]!.after <= tail) following.shift()!.fn();
  };
  const failure = (): Error | null => {
    if (Atomics.load(ctl, FAILED) === 0) return null;
    const end = ring.errorText.indexOf(0);
    return writeError(Buffer.from(ring.errorText.subarray(0, end < 0 ? undefined : end)).toString() || 'EIO');
  };
  /** Waits until at most `pending` slots are queued, running what followed the writes done meanwhile. */
  const waitUntil = (pending: number): void => {
    let tail = Atomics.load(ctl, TAIL);
    let lastProgress = performance.now();
    while (head - tail > pending) {
      if (ring.dead) throw Object.assign(new Error('the write thread stopped'), { code: 'EIO' });
      const seen = tail;
      Atomics.wait(ctl, TAIL, seen, 1000);
      tail = Atomics.load(ctl, TAIL);
      if (tail !== seen) lastProgress = performance.now();
      else if (performance.now() - lastProgress > STALL_MS) {
        throw Object.assign(new Error(`no write finished in ${STALL_MS / 1000} s`), { code: 'ETIMEDOUT' });
      }
    }
    const err = failure();
    if (err) throw err;
    runDue(tail);
  };
  return {
    threaded: true,
    acquireSync() {
      waitUntil(SLOTS - 1);
      return slots[head % SLOTS]!;
    },
    submitSync(slot, fd, runs) {
      if (slot.index !== head % SLOTS) throw new Error('write-behind: slots must be submitted in the order they were acquired');
      if (runs.length > MAX_RUNS) throw new Error(`write-behind: ${runs.length} runs in one slot (at most ${MAX_RUNS})`);
      const m = slot.index * META_STRIDE;
      meta[m] = fd;
      meta[m + 1] = runs.length;
      runs.forEach((r, i) => {
        meta[m + 2 + i * 3] = r.offset;
        meta[m + 3 + i * 3] = r.length;
        meta[m + 4 + i * 3] = r.position;
      });
      head++;
      Atomics.store(ctl, HEAD, head);
      Atomics.notify(ctl, HEAD);
    },
    afterWritten(fn) {
      // The thread raises FAILED before it counts the slot done, so a slot seen done here was written unless FAILED.
      if (following.length === 0 && Atomics.load(ctl, TAIL) >= head && Atomics.load(ctl, FAILED) === 0) fn();
      else following.push({ after: head, fn });
    },
    drainSync() {
      waitUntil(0);
    },
    abandonSync() {
      Atomics.store(ctl, SKIP, 1);
      following.length = 0;
      let tail = Atomics.load(ctl, TAIL);
      const started = performance.now();
      while (tail < head && performance.now() - started < STALL_MS) {
        Atomics.wait(ctl, TAIL, tail, 1000);
        tail = Atomics.load(ctl, TAIL);
      }
      if (tail < head) {
        // A write hung: the thread keeps SKIP and is stopped, never reused with a descriptor number that may be reused.
        ring.dead = true;
        stopRing(ring);
        return;
      }
      Atomics.store(ctl, SKIP, 0);
      Atomics.store(ctl, FAILED, 0);
    },
  };
}

/** One slot, written on this thread inside submitSync (for tests; a dump gets one through acquireWriteBehind). */
export function createInlineWriteBehind(): WriteBehind {
  return inlineWriteBehind(takeInlineSlot());
}

function inlineWriteBehind(slot: WriteSlot): WriteBehind {
  const buf = slot.buf;
  return {
    threaded: false,
    acquireSync: () => slot,
    submitSync(_slot, fd, runs) {
      for (const r of runs) writeAllAtSync(fd, buf, r.offset, r.length, r.position);
    },
    afterWritten: (fn) => fn(),
    drainSync: () => {},
    abandonSync: () => {},
  };
}
