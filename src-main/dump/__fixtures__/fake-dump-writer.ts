/*
 * A scripted DumpWriter for engine and helper tests: it really creates the file exclusively under the first free
 * name (dumpFileName attempts, as real writers do; relative to options.folder on Linux, through the same code as the
 * core writer), writes it in chunks with progress, honours the abort signal and removes its partial file on any
 * failure, as the contract in dump-writer.ts asks of real writers. Behaviour per pid comes from a script; never used
 * outside tests.
 */
import { createHash } from 'node:crypto';
import { readSync, writeFileSync, writeSync } from 'node:fs';
import { dumpFileName, type DumpRequest, type DumpResult } from '../../../src-shared/model/dump';
import { DumpError, HASH_CANCELLED_MESSAGE, type DumpWriteOptions, type DumpWriter } from '../dump-writer';
import { createCoreFileSync, type CoreFile } from '../linux/core-file';

export interface FakeTarget {
  name?: string;
  totalBytes?: number;
  chunkBytes?: number;
  chunkDelayMs?: number;
  /** Thrown before the file is created. */
  failWith?: DumpError;
  /** Thrown after this many chunks (the partial file must disappear). */
  failAfterChunks?: { chunks: number; error: DumpError };
  /** Also writes `<dump>.pack` beside the dump and reports it (as the Linux core writer's analysis pack). */
  pack?: boolean;
  /** Reports this analysisPackPath without writing anything there (a result that names a file it did not write). */
  claimPackPath?: string;
  /**
   * Answers in two steps as the real writers do (issue 15): onFileComplete once the file is complete, then the hash,
   * read back from the same descriptor after `delayMs` (an abort meanwhile stops the hash, keeping the file), or
   * failing with `failWith`.
   */
  hashAfter?: { delayMs: number; failWith?: Error };
}

export function createFakeDumpWriter(script: (request: DumpRequest) => FakeTarget = () => ({})): DumpWriter & { calls: DumpRequest[] } {
  const calls: DumpRequest[] = [];
  return {
    format: 'elf-core',
    calls,
    async write(request: DumpRequest, options: DumpWriteOptions = {}): Promise<DumpResult> {
      calls.push(request);
      const t = script(request);
      if (t.failWith) throw t.failWith;
      const started = Date.now();
      if (options.folder && options.folder.platform !== 'linux') throw new DumpError('unsupported', 'The fake writer opens Linux folders only.');
      const at = request.stamp ?? new Date();
      const name = options.nameHint ?? t.name ?? 'fake';
      const file = createCoreFileSync(request.outDir, (attempt) => dumpFileName(name, request.pid, request.kind, 'core', at, attempt), options.folder);
      const path = file.path;
      const total = t.totalBytes ?? 64 * 1024;
      const chunk = Buffer.alloc(t.chunkBytes ?? 16 * 1024, request.pid & 0xff);
      const hash = createHash('sha256');
      try {
        let written = 0;
        let chunks = 0;
        options.onProgress?.({ bytesWritten: 0, estimatedTotalBytes: total, elapsedMs: 0, phase: 'attaching' });
        while (written < total) {
          if (options.signal?.aborted) throw new DumpError('cancelled', 'The dump was cancelled.');
          if (t.failAfterChunks && chunks === t.failAfterChunks.chunks) throw t.failAfterChunks.error;
          const piece = chunk.subarray(0, Math.min(chunk.length, total - written));
          writeSync(file.fd, piece, 0, piece.length, written);
          hash.update(piece);
          written += piece.length;
          chunks++;
          options.onProgress?.({ bytesWritten: written, estimatedTotalBytes: total, elapsedMs: Date.now() - started, phase: 'writing' });
          // Yield between chunks as an asynchronous write would, so cancels and other jobs get their turn.
          await new Promise((r) => (t.chunkDelayMs ? setTimeout(r, t.chunkDelayMs) : setImmediate(r)));
        }
        if (t.pack) writeFileSync(`${path}.pack`, 'pack', { flag: 'wx', mode: 0o600 });
        const packPath = t.pack ? `${path}.pack` : t.claimPackPath;
        if (t.hashAfter) return await twoStep(t.hashAfter, { path, request, file, written, started, packPath, options });
        return {
          ...(packPath !== undefined ? { analysisPackPath: packPath } : {}),
          path,
          kind: request.kind,
          pid: request.pid,
          bytesOnDisk: file.finishSync(written),
          fileBytes: written,
          sha256: hash.digest('hex'),
          durationMs: Date.now() - started,
          targetPauseMs: 0,
          unreadableBytes: 0,
          method: 'live',
          format: 'elf-core',
        };
      } catch (err) {
        file.discardSync();
        throw err;
      }
    },
  };
}

async function twoStep(
  after: NonNullable<FakeTarget['hashAfter']>,
  o: { path: string; request: DumpRequest; file: CoreFile; written: number; started: number; packPath: string | undefined; options: DumpWriteOptions },
): Promise<DumpResult> {
  const { request, file, written, options } = o;
  const saved: DumpResult = {
    path: o.path, kind: request.kind, pid: request.pid, bytesOnDisk: file.completeSync(written), fileBytes: written, sha256: null,
    hash: options.hash === false ? 'skipped' : 'computing', fileCompleteMs: Date.now() - o.started, durationMs: Date.now() - o.started,
    targetPauseMs: 0, unreadableBytes: 0, method: 'live', format: 'elf-core',
  };
  options.onFileComplete?.({ ...saved });
  let hashed: Partial<DumpResult> = {};
  if (options.hash !== false) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, after.delayMs);
      options.signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
    if (options.signal?.aborted) hashed = { hash: 'failed', hashError: { code: 'cancelled', message: HASH_CANCELLED_MESSAGE } };
    else if (after.failWith) hashed = { hash: 'failed', hashError: { code: 'io-error', message: after.failWith.message } };
    else {
      const back = Buffer.alloc(written);
      readSync(file.fd, back, 0, written, 0); // the same descriptor, never the path
      hashed = { sha256: createHash('sha256').update(back).digest('hex'), hash: 'done' };
    }
  }
  file.finishSync(written);
  return { ...saved, ...hashed, durationMs: Date.now() - o.started, ...(o.packPath !== undefined ? { analysisPackPath: o.packPath } : {}) };
}
