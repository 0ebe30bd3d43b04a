/*
 * How the host runs one analysis: AnalysisRunner takes a checked path and answers the redacted report. The
 * worker runner (Electron main, `procscope serve`) starts out/main/analysis-worker.js per analysis with a heap
 * limit and ends it on abort; the in-process runner is for tests and the fake host. Failures are
 * AnalysisRunError: fileError says the dump itself is at fault (not a dump, malformed), else Procscope failed.
 */
import { Worker } from 'node:worker_threads';
import type { AnalysisReport } from '../../src-shared/model/analysis-report';
import { analyzeDumpFile, isDumpFileError } from '../analysis/report/analyze-dump';

export type AnalysisRunner = (path: string, signal: AbortSignal) => Promise<AnalysisReport>;

export interface AnalysisWorkerRequest {
  path: string;
}

export type AnalysisWorkerReply = { ok: true; report: AnalysisReport } | { ok: false; fileError: boolean; message: string };

export class AnalysisRunError extends Error {
  constructor(
    message: string,
    readonly fileError: boolean,
  ) {
    super(message);
    this.name = 'AnalysisRunError';
  }
}

/** A worker's heap ceiling: the readers read by position, so only the report and the page cache live here. */
const WORKER_HEAP_MB = 1024;

export function createInProcessAnalysisRunner(): AnalysisRunner {
  return async (path) => {
    try {
      return await analyzeDumpFile(path);
    } catch (err) {
      throw new AnalysisRunError(err instanceof Error ? err.message : String(err), isDumpFileError(err));
    }
  };
}

export function createWorkerAnalysisRunner(workerScriptPath: string): AnalysisRunner {
  return (path, signal) =>
    new Promise<AnalysisReport>((resolve, reject) => {
      if (signal.aborted) {
        reject(new AnalysisRunError('The analysis was cancelled.', false));
        return;
      }
      const worker = new Worker(workerScriptPath, {
        workerData: { path } satisfies AnalysisWorkerRequest,
        resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
        stdout: false,
        stderr: false,
      });
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        fn();
      };
      const onAbort = () => {
        settle(() => reject(new AnalysisRunError('The analysis was cancelled.', false)));
        void worker.terminate();
      };
      signal.addEventListener('abort', onAbort);
      worker.once('message', (reply: AnalysisWorkerReply) => {
        settle(() => (reply.ok ? resolve(reply.report) : reject(new AnalysisRunError(reply.message, reply.fileError))));
        void worker.terminate();
      });
      worker.once('error', (err) => {
        const heap = (err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
        const message = heap ? `The analysis needed more than ${WORKER_HEAP_MB} MiB and was stopped.` : `The analysis stopped: ${err.message}`;
        settle(() => reject(new AnalysisRunError(message, false)));
      });
      worker.once('exit', (code) => settle(() => reject(new AnalysisRunError(`The analysis ended without a report (exit code ${code}).`, false))));
    });
}
