/*
 * Copies the target's memory into the core's segment data: process_vm_readv in batches of up to 1024 iovecs and
 * 1 MiB into a slot of the write-behind ring, whose thread writes the slot's non-zero pages (all-zero pages stay
 * holes) while the next batch is read (write-behind.ts): the target waits for the reads, the writes overlap them.
 * The hash worker follows behind the writes, reading back what was written (in live mode only once the reads are
 * done: holdHashWhileReading), so it never holds up the target.
 * Unreadable pages become zeros and are counted. Runs on the JS thread of the dump and yields every 10 ms so cancel
 * and progress get through. Never writes outside the planned file ranges; on any failure the queued writes are
 * dropped before the error is thrown, so none can reach the descriptor after the caller closes it.
 */
import { readSync } from 'node:fs';
import { DumpError } from '../dump-writer';
import { toFileError, type CoreFile } from './core-file';
import { ESRCH, processVmReadvSync } from './ffi/libc-ptrace';
import type { PlannedSegment } from './mapping-plan';
import type { PagemapReader } from './pagemap';
import type { Sha256Stream } from './sha256-worker';
import { SLOT_BYTES, type WriteBehind, type WriteRun, type WriteSlot } from './write-behind';

export const CHUNK_BYTES = SLOT_BYTES;
const MAX_IOV = 1024;
/** Let cancel and progress through this often; yielding after every 1 MiB batch cost 10-20% of the copy. */
const YIELD_INTERVAL_MS = 10;
/** A gap of untouched pages longer than this ends a batch instead of being zero-filled inside it. */
const INLINE_GAP_BYTES = 64 * 1024;

/** A stretch of the file: read from vaddr, or known to be zeros (untouched anonymous pages). */
export interface Piece {
  fileOffset: number;
  vaddr: number;
  length: number;
  read: boolean;
  /** Snapshot mode: the bytes, read from the target while it was stopped (memory a fork does not copy). */
  data?: Buffer;
}

export function buildPieces(segments: readonly PlannedSegment[], pagemap: PagemapReader | null): Piece[] {
  const pieces: Piece[] = [];
  for (const s of segments) {
    if (s.fileBytes === 0) continue;
    const end = s.vaddr + s.fileBytes;
    if (!s.anonymousPrivate || s.fullyResident || !pagemap) {
      pieces.push({ fileOffset: s.fileOffset, vaddr: s.vaddr, length: s.fileBytes, read: true });
      continue;
    }
    let at = s.vaddr;
    const piece = (lo: number, hi: number, read: boolean): void => {
      if (hi > lo) pieces.push({ fileOffset: s.fileOffset + (lo - s.vaddr), vaddr: lo, length: hi - lo, read });
    };
    for (const [lo, hi] of pagemap.residentRuns(s.vaddr, end)) {
      piece(at, lo, false);
      piece(lo, hi, true);
      at = hi;
    }
    piece(at, end, false);
  }
  return pieces;
}

interface ReadItem {
  pos: number;
  vaddr: number;
  length: number;
}

export interface CopyOptions {
  pid: number;
  /**
   * Snapshot mode: a descriptor of the clone's /proc/PID/mem to read through instead of process_vm_readv, which
   * pins pages (FOLL_PIN) and so makes the kernel unshare, i.e. copy, every copy-on-write page it reads (measured:
   * 1 GiB read from the clone took 0.94 s and left it no shared pages; through mem 0.38 s, all still shared).
   */
  memFd?: number | null;
  /** Where batches are read into and written from (acquireWriteBehind, or createInlineWriteBehind). */
  ring: WriteBehind;
  pieces: readonly Piece[];
  file: CoreFile;
  hash: Sha256Stream;
  pageBytes: number;
  signal?: AbortSignal;
  /** Called after each batch with the bytes of segment data done so far. */
  onBatch: (doneBytes: number) => void;
  /** Called once every byte has been read from the target, before the last writes are waited for. */
  onReadsDone: () => void;
  /**
   * The target is stopped while this copy reads it (live mode): tell the hash what was written only once the reads
   * are done, so that it does not read the file back while the target waits. Reading it back meanwhile took memory
   * bandwidth and the cores the copy needs (1 GiB C target: pause 400-520 ms with the hash reading along, 308-337
   * ms held). The price is paid after the file: the whole file is then read back and hashed, 0.7 s per GiB here
   * against 0.6 s for a hash of the same bytes from memory.
   */
  holdHashWhileReading?: boolean;
}

export async function copyMemory(o: CopyOptions): Promise<{ unreadableBytes: number }> {
  try {
    return await copyThroughRing(o);
  } catch (err) {
    o.ring.abandonSync();
    throw toFileError(err, o.file.path);
  }
}

async function copyThroughRing(o: CopyOptions): Promise<{ unreadableBytes: number }> {
  const ring = o.ring;
  // Hash steps, in file order, held back while the target is stopped (holdHashWhileReading); null: sent at once.
  let heldHashSteps: (() => void)[] | null = o.holdHashWhileReading ? [] : null;
  const toHash = (step: () => void): void => {
    if (heldHashSteps) heldHashSteps.push(step);
    else step();
  };
  const localIov = Buffer.alloc(MAX_IOV * 16);
  const remoteIov = Buffer.alloc(MAX_IOV * 16);
  const zeroPage = Buffer.alloc(o.pageBytes);
  let unreadableBytes = 0;
  let doneBytes = 0;

  const readFromMem = (buffer: WriteSlot, fd: number, items: ReadItem[]): void => {
    for (const it of items) {
      let at = 0;
      while (at < it.length) {
        let got: number;
        try {
          got = readSync(fd, buffer.buf, it.pos + at, it.length - at, it.vaddr + at);
        } catch {
          got = 0; // EIO: an unreadable page
        }
        if (got > 0) {
          at += got;
          continue;
        }
        const bad = Math.min(o.pageBytes - ((it.vaddr + at) % o.pageBytes), it.length - at);
        buffer.buf.fill(0, it.pos + at, it.pos + at + bad);
        unreadableBytes += bad;
        at += bad;
      }
    }
  };

  const readBatch = (buffer: WriteSlot, items: ReadItem[]): void => {
    if (o.memFd !== undefined && o.memFd !== null) return readFromMem(buffer, o.memFd, items);
    let first = 0;
    let skip = 0;
    while (first < items.length) {
      let count = 0;
      let expected = 0;
      for (let i = first; i < items.length; i++, count++) {
        const it = items[i]!;
        const off = i === first ? skip : 0;
        localIov.writeBigUInt64LE(buffer.baseAddr + BigInt(it.pos + off), count * 16);
        localIov.writeBigUInt64LE(BigInt(it.length - off), count * 16 + 8);
        remoteIov.writeBigUInt64LE(BigInt(it.vaddr + off), count * 16);
        remoteIov.writeBigUInt64LE(BigInt(it.length - off), count * 16 + 8);
        expected += it.length - off;
      }
      const r = processVmReadvSync(o.pid, localIov, count, remoteIov, count);
      if (r.value === -1 && r.errno === ESRCH) {
        throw new DumpError('process-gone', `Process ${o.pid} ended during the dump. Nothing was kept.`);
      }
      const got = Math.max(0, r.value);
      if (got >= expected) return;
      // The read stopped at an unreadable page: zero it, count it, and go on after it.
      let left = got;
      for (let i = first; i < items.length; i++) {
        const it = items[i]!;
        const off = i === first ? skip : 0;
        const avail = it.length - off;
        if (left >= avail) {
          left -= avail;
          continue;
        }
        const at = off + left;
        const bad = Math.min(o.pageBytes, it.length - at);
        buffer.buf.fill(0, it.pos + at, it.pos + at + bad);
        unreadableBytes += bad;
        first = i;
        skip = at + bad;
        if (skip >= it.length) {
          first = i + 1;
          skip = 0;
        }
        break;
      }
    }
  };

  /**
   * Queue the non-zero pages of the batch for writing; once they are written, tell the hash, in file order, what was
   * written and what is a hole.
   */
  const writeBatch = (buffer: WriteSlot, length: number, fileOffset: number): void => {
    const wordsPerPage = o.pageBytes / 4;
    const runs: WriteRun[] = [];
    const hashSteps: { written: boolean; position: number; length: number }[] = [];
    let runStart = 0;
    let runNonZero = true;
    const endRun = (at: number): void => {
      if (at === runStart) return;
      if (runNonZero) runs.push({ offset: runStart, length: at - runStart, position: fileOffset + runStart });
      hashSteps.push({ written: runNonZero, position: fileOffset + runStart, length: at - runStart });
    };
    for (let at = 0; at < length; at += o.pageBytes) {
      const w = at / 4;
      const nonZero =
        buffer.words[w] !== 0 ||
        buffer.words[w + wordsPerPage - 1] !== 0 ||
        buffer.buf.compare(zeroPage, 0, o.pageBytes, at, at + o.pageBytes) !== 0;
      if (nonZero !== runNonZero) {
        endRun(at);
        runStart = at;
        runNonZero = nonZero;
      }
    }
    endRun(length);
    ring.submitSync(buffer, o.file.fd, runs);
    ring.afterWritten(() =>
      toHash(() => {
        for (const h of hashSteps) {
          if (h.written) o.hash.updateWritten(o.file.fd, h.position, h.length);
          else o.hash.updateZeros(h.length);
        }
      }),
    );
  };

  let lastYieldMs = performance.now();
  let idx = 0;
  let offInPiece = 0;
  const pieces = o.pieces;
  while (idx < pieces.length) {
    if (o.signal?.aborted) throw new DumpError('cancelled', 'The dump was cancelled; the partial file was removed.');
    const head = pieces[idx]!;
    if (!head.read) {
      const n = head.length - offInPiece;
      ring.afterWritten(() => toHash(() => o.hash.updateZeros(n)));
      doneBytes += n;
      idx++;
      offInPiece = 0;
      continue;
    }
    const fileStart = head.fileOffset + offInPiece;
    const buffer = ring.acquireSync();
    const items: ReadItem[] = [];
    let pos = 0;
    while (pos < CHUNK_BYTES && idx < pieces.length && items.length < MAX_IOV) {
      const p = pieces[idx]!;
      const take = Math.min(p.length - offInPiece, CHUNK_BYTES - pos);
      if (!p.read && p.length - offInPiece > INLINE_GAP_BYTES) break;
      if (p.read && p.data) p.data.copy(buffer.buf, pos, offInPiece, offInPiece + take);
      else if (p.read) items.push({ pos, vaddr: p.vaddr + offInPiece, length: take });
      else buffer.buf.fill(0, pos, pos + take);
      pos += take;
      offInPiece += take;
      if (offInPiece === p.length) {
        idx++;
        offInPiece = 0;
      }
    }
    readBatch(buffer, items);
    writeBatch(buffer, pos, fileStart);
    doneBytes += pos;
    o.onBatch(doneBytes);
    if (performance.now() - lastYieldMs >= YIELD_INTERVAL_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      lastYieldMs = performance.now();
    }
  }
  o.onReadsDone();
  // The target runs again: the hash may read back what is on file (later steps follow as their writes finish).
  const held = heldHashSteps ?? [];
  heldHashSteps = null;
  for (const step of held) step();
  ring.drainSync();
  return { unreadableBytes };
}
