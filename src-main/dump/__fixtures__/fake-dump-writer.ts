/*
 * A scripted DumpWriter for engine and helper tests: it really creates the file exclusively, writes it in chunks
 * with progress, honours the abort signal and removes its partial file on any failure, as the contract in
 * dump-writer.ts asks of real writers. Behaviour per pid comes from a script; never used outside tests.
 */
import { createHash } from 'node:crypto';
import { open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { dumpFileName, type DumpRequest, type DumpResult } from '../../../src-shared/model/dump';
import { DumpError, type DumpWriteOptions, type DumpWriter } from '../dump-writer';

export interface FakeTarget {
  name?: string;
  totalBytes?: number;
  chunkBytes?: number;
  chunkDelayMs?: number;
  /** Thrown before the file is created. */
  failWith?: DumpError;
  /** Thrown after this many chunks (the partial file must disappear). */
  failAfterChunks?: { chunks: number; error: DumpError };
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
      const path = join(request.outDir, dumpFileName(options.nameHint ?? t.name ?? 'fake', request.pid, request.kind, 'core', new Date()));
      const total = t.totalBytes ?? 64 * 1024;
      const chunk = Buffer.alloc(t.chunkBytes ?? 16 * 1024, request.pid & 0xff);
      const hash = createHash('sha256');
      const fh = await open(path, 'wx', 0o600);
      try {
        let written = 0;
        let chunks = 0;
        options.onProgress?.({ bytesWritten: 0, estimatedTotalBytes: total, elapsedMs: 0, phase: 'attaching' });
        while (written < total) {
          if (options.signal?.aborted) throw new DumpError('cancelled', 'The dump was cancelled.');
          if (t.failAfterChunks && chunks === t.failAfterChunks.chunks) throw t.failAfterChunks.error;
          const piece = chunk.subarray(0, Math.min(chunk.length, total - written));
          await fh.write(piece);
          hash.update(piece);
          written += piece.length;
          chunks++;
          options.onProgress?.({ bytesWritten: written, estimatedTotalBytes: total, elapsedMs: Date.now() - started, phase: 'writing' });
          if (t.chunkDelayMs) await new Promise((r) => setTimeout(r, t.chunkDelayMs));
        }
        await fh.close();
      } catch (err) {
        await fh.close().catch(() => {});
        await rm(path, { force: true });
        throw err;
      }
      const st = await stat(path);
      return {
        path,
        kind: request.kind,
        pid: request.pid,
        bytesOnDisk: st.blocks * 512,
        fileBytes: st.size,
        sha256: hash.digest('hex'),
        durationMs: Date.now() - started,
        targetPauseMs: 0,
        unreadableBytes: 0,
        method: 'live',
        format: 'elf-core',
      };
    },
  };
}
