/*
 * Dump analysis behind both transports (issue 13): Analyze on a finished dump job (the host resolves the job's
 * own file; the renderer never names a path) and Analyze Dump… on a file the user chose. Each file is checked
 * (dump-file-check.ts), analysed by the runner — a worker thread in the real hosts — and checked again, and the
 * redacted report is kept under a random id for Save as. It never hands out an unredacted report: the runner's
 * result is buildReport's, the only kind there is. Runs in the Electron main process or `procscope serve`.
 */
import { randomUUID } from 'node:crypto';
import type { AnalysisView } from '../../src-shared/ipc/analysis-contract';
import type { AnalysisReport } from '../../src-shared/model/analysis-report';
import type { DumpJobInfo } from '../../src-shared/model/dump-jobs';
import { AnalysisRunError, type AnalysisRunner } from './analysis-runner';
import { checkDumpFile, isSameDumpFile } from './dump-file-check';
import { HostRequestError } from './host-request-error';

export interface AnalysisServices {
  analyzeJob(jobId: string): Promise<AnalysisView>;
  analyzeFile(path: string): Promise<AnalysisView>;
  /** A report this host built and still keeps, or null. */
  report(reportId: string): AnalysisReport | null;
  /** Stops every running analysis. */
  dispose(): void;
}

export interface AnalysisServicesOptions {
  runner: AnalysisRunner;
  /** The dump job by id, if the engine exists and knows it. */
  findJob(jobId: string): DumpJobInfo | null;
  /** How many reports are kept for Save as (oldest dropped first). */
  keptReports?: number;
  /** How many analyses may run at once; more are refused with a sentence. */
  maxRunning?: number;
}

export function createAnalysisServices(options: AnalysisServicesOptions): AnalysisServices {
  const kept = new Map<string, AnalysisReport>();
  const keep = options.keptReports ?? 8;
  const maxRunning = options.maxRunning ?? 2;
  const running = new Set<AbortController>();
  let disposed = false;

  const analyze = async (path: string, source: AnalysisView['source']): Promise<AnalysisView> => {
    if (disposed) throw new HostRequestError('not-ready', 'Procscope is shutting down; the dump was not analysed.');
    const identity = await checkDumpFile(path);
    if (running.size >= maxRunning) {
      throw new HostRequestError('failed', `${running.size} analyses are already running; wait for one to finish.`);
    }
    const controller = new AbortController();
    running.add(controller);
    const startedMs = performance.now();
    let report: AnalysisReport;
    try {
      report = await options.runner(identity.path, controller.signal);
    } catch (err) {
      if (err instanceof AnalysisRunError) throw new HostRequestError(err.fileError ? 'invalid-argument' : 'failed', err.message);
      throw new HostRequestError('failed', `The dump could not be analysed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      running.delete(controller);
    }
    if (!(await isSameDumpFile(identity))) {
      throw new HostRequestError('failed', `${identity.path} was changed or replaced while it was analysed; the report was dropped.`);
    }
    const reportId = randomUUID();
    kept.set(reportId, report);
    while (kept.size > keep) kept.delete(kept.keys().next().value!);
    return { reportId, source, durationMs: Math.round(performance.now() - startedMs), report };
  };

  return {
    async analyzeJob(jobId) {
      const job = options.findJob(jobId);
      if (!job) throw new HostRequestError('invalid-argument', 'That dump is no longer on the list.');
      if (job.state !== 'done' || !job.result) {
        throw new HostRequestError('invalid-argument', job.state === 'queued' || job.state === 'running' ? 'That dump is still being written; analyse it when it is saved.' : 'That dump was not saved, so there is nothing to analyse.');
      }
      return analyze(job.result.path, { kind: 'job', jobId });
    },
    analyzeFile: (path) => analyze(path, { kind: 'file' }),
    report: (reportId) => kept.get(reportId) ?? null,
    dispose() {
      disposed = true;
      for (const c of running) c.abort();
      kept.clear();
    },
  };
}
