/*
 * "Prepare for upload" on a finished dump job (issue 15), behind both hosts: the package is made from the job's
 * own file, the path the dump engine recorded — never a path the renderer sends — with what the job knew (pid,
 * start time, kind, mode, pause, and its SHA-256 to check the file against). One package per job at a time, at
 * most two at once; progress is read by polling (progress(jobId)) while the request runs, and cancel(jobId) stops
 * it and removes its partial files. The dump stays.
 */
import type { DumpJobInfo } from '../../../src-shared/model/dump-jobs';
import type { UploadPackageProgress, UploadPackageResult } from '../../../src-shared/model/upload-package';
import { HostRequestError } from '../../host/host-request-error';
import { readDumpIdentity } from './dump-identity';
import { prepareUploadPackage, UploadPackageError } from './upload-package';

export interface UploadPackageService {
  /** Resolves with the package's paths and manifest once it is written; throws HostRequestError otherwise. */
  prepare(jobId: string): Promise<UploadPackageResult>;
  /** The running package's progress, or null when none runs for that job. */
  progress(jobId: string): UploadPackageProgress | null;
  /** False when no package runs for that job. */
  cancel(jobId: string): boolean;
  dispose(): void;
}

export interface UploadPackageServiceOptions {
  findJob(jobId: string): DumpJobInfo | null;
  maxRunning?: number;
}

export function createUploadPackageService(options: UploadPackageServiceOptions): UploadPackageService {
  const running = new Map<string, { abort: AbortController; progress: UploadPackageProgress | null }>();
  const maxRunning = options.maxRunning ?? 2;
  let disposed = false;

  return {
    async prepare(jobId) {
      if (disposed) throw new HostRequestError('not-ready', 'Procscope is shutting down; no upload package was made.');
      const job = options.findJob(jobId);
      if (!job) throw new HostRequestError('invalid-argument', 'That dump is no longer on the list.');
      if (job.state !== 'done' || !job.result) {
        throw new HostRequestError('invalid-argument', job.state === 'queued' || job.state === 'running' ? 'That dump is still being written; prepare it for upload when it is saved.' : 'That dump was not saved, so there is nothing to upload.');
      }
      if (running.has(jobId)) throw new HostRequestError('invalid-argument', 'An upload package of that dump is already being made.');
      if (running.size >= maxRunning) throw new HostRequestError('failed', `${running.size} upload packages are already being made; wait for one to finish.`);
      const entry = { abort: new AbortController(), progress: null as UploadPackageProgress | null };
      running.set(jobId, entry);
      const r = job.result;
      try {
        const fromFile = await readDumpIdentity(r.path, r.format);
        return await prepareUploadPackage(
          r.path,
          {
            processName: job.name ?? fromFile.processName,
            pid: job.pid,
            startTimeMs: job.startTimeMs,
            kind: job.kind,
            mode: r.method,
            pauseMs: r.targetPauseMs,
            sha256: typeof r.sha256 === 'string' ? r.sha256 : null,
          },
          { signal: entry.abort.signal, onProgress: (p) => (entry.progress = p) },
        );
      } catch (err) {
        if (err instanceof UploadPackageError) throw new HostRequestError(err.code === 'bad-input' ? 'invalid-argument' : err.code === 'unsupported' ? 'unsupported' : 'failed', err.message);
        throw new HostRequestError('failed', `The upload package could not be made: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        running.delete(jobId);
      }
    },
    progress: (jobId) => running.get(jobId)?.progress ?? null,
    cancel(jobId) {
      const entry = running.get(jobId);
      if (!entry) return false;
      entry.abort.abort();
      return true;
    },
    dispose() {
      disposed = true;
      for (const { abort } of running.values()) abort.abort();
    },
  };
}
