// The dump hash thread: each stream's digest is the SHA-256 of exactly its own bytes, also when one thread serves
// stream after stream (a capture writes a core per child, and booting a thread per core cost 60-170 ms of hold).
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSha256Stream } from './sha256-worker';

// Counts the hash threads booted (the real Worker still runs).
const booted = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:worker_threads', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:worker_threads')>();
  class CountingWorker extends real.Worker {
    constructor(...args: ConstructorParameters<typeof real.Worker>) {
      super(...args);
      booted.count++;
    }
  }
  return { ...real, Worker: CountingWorker };
});

let dir = '';
const fds: number[] = [];

afterEach(() => {
  for (const fd of fds.splice(0)) closeSync(fd);
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = '';
});

function fileWith(name: string, bytes: Buffer): number {
  dir ||= mkdtempSync(join(tmpdir(), 'procscope-sha256-'));
  const fd = openSync(join(dir, name), 'w+', 0o600);
  fds.push(fd);
  writeSync(fd, bytes, 0, bytes.length, 0);
  return fd;
}

async function digestOf(fd: number, length: number, zeros: number): Promise<string> {
  const stream = createSha256Stream();
  try {
    stream.updateWritten(fd, 0, length);
    stream.updateZeros(zeros);
    return await stream.digest();
  } finally {
    await stream.dispose();
  }
}

const sha = (...parts: Buffer[]): string => createHash('sha256').update(Buffer.concat(parts)).digest('hex');

describe('createSha256Stream', () => {
  it('gives every stream in a row the digest of its own bytes only, and reuses the thread after the first', async () => {
    const a = Buffer.from('first core '.repeat(5000));
    const b = Buffer.from('second, different core '.repeat(3000));
    const fa = fileWith('a', a);
    const fb = fileWith('b', b);
    const before = booted.count;
    for (let i = 0; i < 6; i++) {
      const [fd, bytes, zeros] = i % 2 ? [fb, b, 4096] : [fa, a, 0];
      expect(await digestOf(fd, bytes.length, zeros)).toBe(sha(bytes, Buffer.alloc(zeros)));
    }
    expect(booted.count - before).toBe(1);
  });

  it('a stream disposed of before its digest does not leave its bytes to the next one', async () => {
    const a = Buffer.from('abandoned '.repeat(1000));
    const b = Buffer.from('kept '.repeat(1000));
    const fa = fileWith('a', a);
    const fb = fileWith('b', b);
    expect(await digestOf(fb, b.length, 0)).toBe(sha(b));
    const abandoned = createSha256Stream();
    abandoned.updateWritten(fa, 0, a.length);
    await abandoned.dispose();
    expect(await digestOf(fb, b.length, 0)).toBe(sha(b));
  });

  it.runIf(process.platform === 'linux')('hashes on a thread of nice 10, and only that thread: it mostly yields to the target threads once they run again', async () => {
    // Field 19 of /proc/self/task/TID/stat is the thread's nice value (after the parenthesised name).
    const niceOf = (tid: string): number => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'latin1').replace(/^.*\) /s, '').split(' ')[16]);
    const stream = createSha256Stream();
    try {
      const b = Buffer.from('niced '.repeat(100));
      stream.updateWritten(fileWith('n', b), 0, b.length);
      expect(await stream.digest()).toBe(sha(b));
      const nices = readdirSync('/proc/self/task').map(niceOf);
      expect(nices.filter((n) => n === 10)).toHaveLength(1);
      expect(niceOf(String(process.pid))).toBe(0);
    } finally {
      await stream.dispose();
    }
  });
});
