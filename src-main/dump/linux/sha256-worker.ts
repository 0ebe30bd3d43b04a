/*
 * SHA-256 of the dump, computed on a worker thread while the main thread reads the target and the libuv pool
 * writes the file. Chunks arrive in file order as slices of shared buffers (no copy) or as counts of zero bytes
 * (the sparse holes, which are part of the file's content too). The worker is inline code, so the built CLI and
 * Electron bundles need no extra entry file. It only hashes; it never touches the target or the file.
 */
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hash = createHash('sha256');
const zeros = Buffer.alloc(1 << 20);
parentPort.on('message', (m) => {
  if (m.kind === 'data') {
    hash.update(new Uint8Array(m.shared, m.offset, m.length));
    parentPort.postMessage({ kind: 'done', id: m.id });
  } else if (m.kind === 'zeros') {
    let left = m.length;
    while (left > 0) { const n = Math.min(left, zeros.length); hash.update(zeros.subarray(0, n)); left -= n; }
  } else if (m.kind === 'digest') {
    parentPort.postMessage({ kind: 'digest', hex: hash.digest('hex') });
  }
});
`;

interface DoneMessage {
  kind: 'done';
  id: number;
}
interface DigestMessage {
  kind: 'digest';
  hex: string;
}

export interface Sha256Stream {
  /** Hash bytes of a shared buffer; the promise settles once the worker is done with them. */
  updateShared(shared: SharedArrayBuffer, offset: number, length: number): Promise<void>;
  /** Hash bytes held by the caller (copied; for headers). */
  updateCopy(bytes: Buffer): void;
  updateZeros(length: number): void;
  digest(): Promise<string>;
  dispose(): void;
}

export function createSha256Stream(): Sha256Stream {
  const worker = new Worker(WORKER_SOURCE, { eval: true });
  const pending = new Map<number, () => void>();
  let nextId = 1;
  let onDigest: ((hex: string) => void) | null = null;
  let failure: Error | null = null;
  worker.on('message', (m: DoneMessage | DigestMessage) => {
    if (m.kind === 'done') {
      pending.get(m.id)?.();
      pending.delete(m.id);
    } else {
      onDigest?.(m.hex);
    }
  });
  worker.on('error', (err) => {
    failure = err;
  });
  return {
    updateShared(shared, offset, length) {
      const id = nextId++;
      return new Promise<void>((resolve, reject) => {
        if (failure) return reject(failure);
        pending.set(id, resolve);
        worker.postMessage({ kind: 'data', shared, offset, length, id });
      });
    },
    updateCopy(bytes) {
      const shared = new SharedArrayBuffer(bytes.length);
      Buffer.from(shared).set(bytes);
      worker.postMessage({ kind: 'data', shared, offset: 0, length: bytes.length, id: 0 });
    },
    updateZeros(length) {
      if (length > 0) worker.postMessage({ kind: 'zeros', length });
    },
    digest() {
      return new Promise<string>((resolve, reject) => {
        if (failure) return reject(failure);
        onDigest = resolve;
        worker.postMessage({ kind: 'digest' });
      });
    },
    dispose() {
      void worker.terminate();
    },
  };
}
