/*
 * The analysis worker thread (out/main/analysis-worker.js): analyses the one dump named in workerData and posts
 * one AnalysisWorkerReply, then ends. It runs in the host's process but on its own thread and heap, so a
 * multi-second unwind never stalls the poller or IPC; it is given a path the host has already checked.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { analyzeDumpFile, isDumpFileError } from '../analysis/report/analyze-dump';
import type { AnalysisWorkerReply, AnalysisWorkerRequest } from './analysis-runner';

const request = workerData as AnalysisWorkerRequest;
analyzeDumpFile(request.path).then(
  (report) => parentPort?.postMessage({ ok: true, report } satisfies AnalysisWorkerReply),
  (err: unknown) =>
    parentPort?.postMessage({
      ok: false,
      fileError: isDumpFileError(err),
      message: err instanceof Error ? err.message : String(err),
    } satisfies AnalysisWorkerReply),
);
