import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DumpError } from '../dump-writer';
import type { CoreFile } from './core-file';
import { bufferAddress } from './ffi/libc-ptrace';
import { copyMemory, type Piece } from './memory-copier';
import type { Sha256Stream } from './sha256-worker';
import { SLOT_BYTES, acquireWriteBehind, prestartWriteBehind } from './write-behind';

const SLOTS_WRITTEN = 64;

/** One slot of `byte`s written to a new file at `path` through a ring from its thread; returns the file's bytes. */
function writeOneSlotThroughRing(path: string, byte: number, length: number): Buffer {
  const fd = openSync(path, 'w+', 0o600);
  const { writeBehind, release } = acquireWriteBehind();
  try {
    const slot = writeBehind.acquireSync();
    slot.buf.fill(byte);
    writeBehind.submitSync(slot, fd, [{ offset: 0, length, position: 0 }]);
    expect(writeBehind.threaded).toBe(true);
    writeBehind.drainSync();
  } finally {
    release();
    closeSync(fd);
  }
  return readFileSync(path);
}

/** Slot i holds byte (i * 7 + 1) & 0xff everywhere except its second page, which stays zeros (a hole). */
const patternOf = (i: number): number => (i * 7 + 1) & 0xff || 1;

describe.runIf(process.platform === 'linux')('write-behind ring', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'procscope-write-behind-'));
    // The dump never waits for the thread; these tests do, so every slot below goes through it.
    expect(await prestartWriteBehind()).toBe(true);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes each slot from its thread, in order, and runs what follows a write only once it is on file', () => {
    const path = join(dir, 'ring.bin');
    const fd = openSync(path, 'w+', 0o600);
    const { writeBehind, release } = acquireWriteBehind();
    const followed: number[] = [];
    const onFileWhenFollowed: boolean[] = [];
    try {
      for (let i = 0; i < SLOTS_WRITTEN; i++) {
        const slot = writeBehind.acquireSync();
        slot.buf.fill(patternOf(i));
        const position = i * SLOT_BYTES;
        // Two runs: the first page, and everything after the second page.
        writeBehind.submitSync(slot, fd, [
          { offset: 0, length: 4096, position },
          { offset: 8192, length: SLOT_BYTES - 8192, position: position + 8192 },
        ]);
        writeBehind.afterWritten(() => {
          followed.push(i);
          const probe = Buffer.alloc(1);
          readSync(fd, probe, 0, 1, position + SLOT_BYTES - 1);
          onFileWhenFollowed.push(probe[0] === patternOf(i));
        });
      }
      expect(writeBehind.threaded).toBe(true);
      writeBehind.drainSync();
    } finally {
      release();
      closeSync(fd);
    }
    expect(followed).toEqual([...Array(SLOTS_WRITTEN).keys()]);
    expect(onFileWhenFollowed.every(Boolean)).toBe(true);
    const bytes = readFileSync(path);
    expect(bytes.length).toBe(SLOTS_WRITTEN * SLOT_BYTES);
    for (let i = 0; i < SLOTS_WRITTEN; i++) {
      const at = i * SLOT_BYTES;
      expect(bytes[at]).toBe(patternOf(i));
      expect(bytes.subarray(at + 4096, at + 8192).every((b) => b === 0)).toBe(true);
      expect(bytes[at + 8192]).toBe(patternOf(i));
      expect(bytes[at + SLOT_BYTES - 1]).toBe(patternOf(i));
    }
  });

  it("throws the thread's ENOSPC at the next wait, then serves the next file as if nothing had happened", async () => {
    expect(await prestartWriteBehind()).toBe(true);
    const full = openSync('/dev/full', 'w');
    const { writeBehind, release } = acquireWriteBehind();
    let thrown: unknown = null;
    try {
      for (let i = 0; i < 4; i++) {
        const slot = writeBehind.acquireSync();
        writeBehind.submitSync(slot, full, [{ offset: 0, length: SLOT_BYTES, position: 0 }]);
      }
      writeBehind.drainSync();
    } catch (err) {
      thrown = err;
      writeBehind.abandonSync();
    } finally {
      release();
      closeSync(full);
    }
    expect((thrown as NodeJS.ErrnoException | null)?.code).toBe('ENOSPC');

    // The same ring serves the next file as if nothing had happened.
    expect(writeOneSlotThroughRing(join(dir, 'after-enospc.bin'), 0x5a, SLOT_BYTES).every((b) => b === 0x5a)).toBe(true);
  });

  it('a dump whose writes fail mid-copy reports disk-full, hashes nothing it did not write, and leaves no write queued', async () => {
    expect(await prestartWriteBehind()).toBe(true);
    // Our own memory is the "target": process_vm_readv of our own pid needs no ptrace rights.
    const source = Buffer.alloc(8 * SLOT_BYTES, 0x33);
    const pieces: Piece[] = [{ fileOffset: 0, vaddr: Number(bufferAddress(source)), length: source.length, read: true }];
    const full = openSync('/dev/full', 'w');
    const hashed: string[] = [];
    const hash: Sha256Stream = {
      updateWritten: (_fd, offset, length) => hashed.push(`written ${offset}+${length}`),
      updateZeros: (length) => hashed.push(`zeros ${length}`),
      digest: async () => '',
      ready: async () => true,
      dispose: async () => {},
    };
    const { writeBehind, release } = acquireWriteBehind();
    let caught: unknown = null;
    try {
      await copyMemory({
        pid: process.pid,
        ring: writeBehind,
        pieces,
        file: { path: '/dev/full', fd: full } as unknown as CoreFile,
        hash,
        pageBytes: 4096,
        onBatch: () => {},
        onReadsDone: () => {},
      });
    } catch (err) {
      caught = err;
    } finally {
      release();
      closeSync(full);
    }
    expect(caught).toBeInstanceOf(DumpError);
    expect((caught as DumpError).code).toBe('disk-full');
    expect(hashed).toEqual([]);
    // Released with nothing queued: the next user of the ring writes at once.
    expect(writeOneSlotThroughRing(join(dir, 'after-copy.bin'), 0x44, 4096).every((b) => b === 0x44)).toBe(true);
  });

  it.each([true, false])('holdHashWhileReading %s: the hash hears of a write only after the reads are done, or as soon as it is on file', async (hold) => {
    expect(await prestartWriteBehind()).toBe(true);
    const source = Buffer.alloc(24 * SLOT_BYTES, 0x21);
    const path = join(dir, `hold-${hold}.bin`);
    const fd = openSync(path, 'w+', 0o600);
    const events: string[] = [];
    const hash: Sha256Stream = {
      updateWritten: () => events.push('hash'),
      updateZeros: () => events.push('hash'),
      digest: async () => '',
      ready: async () => true,
      dispose: async () => {},
    };
    const { writeBehind, release } = acquireWriteBehind();
    try {
      await copyMemory({
        pid: process.pid,
        ring: writeBehind,
        pieces: [{ fileOffset: 0, vaddr: Number(bufferAddress(source)), length: source.length, read: true }],
        file: { path, fd } as unknown as CoreFile,
        hash,
        pageBytes: 4096,
        holdHashWhileReading: hold,
        onBatch: () => {},
        onReadsDone: () => events.push('reads done'),
      });
    } finally {
      release();
      closeSync(fd);
    }
    const readsDoneAt = events.indexOf('reads done');
    expect(events.filter((e) => e === 'hash').length).toBeGreaterThan(0);
    if (hold) expect(readsDoneAt).toBe(0);
    else expect(readsDoneAt).toBeGreaterThan(0);
    expect(readFileSync(path).equals(source)).toBe(true);
  });
});
