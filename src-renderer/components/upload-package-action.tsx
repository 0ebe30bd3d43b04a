/*
 * "Prepare for upload" on a saved dump's card (issue 15): main writes `<dump>.zst`, its SHA-256 and
 * `<dump>.manifest.json` beside the job's own file (the request names the job, never a path). While it runs the
 * line shows how far it got (polled from main every half second) with Cancel, which removes the partial files; when
 * done, the paths, the sizes and the .zst's SHA-256; a failure says why. The dump stays either way.
 */
import { useEffect, useRef, useState } from 'react';
import type { UploadPackageProgress, UploadPackageResult } from '../../src-shared/model/upload-package';
import { useApi } from '../api/api-context';
import { formatFileBytes, progressPercent } from '../format/dump-format';

export type UploadPackageStatus =
  | { state: 'idle' }
  | { state: 'running'; progress: UploadPackageProgress | null; cancelling: boolean }
  | { state: 'done'; result: UploadPackageResult }
  | { state: 'failed'; message: string };

const POLL_MS = 500;

export function UploadPackageView({ status, onPrepare, onCancel }: { status: UploadPackageStatus; onPrepare(): void; onCancel(): void }) {
  if (status.state === 'running') {
    const p = status.progress;
    const percent = p ? progressPercent(p.bytesRead, p.totalBytes) : null;
    return (
      <div className="job-line upload-package" role="status">
        <span>
          Preparing for upload: compressing{p ? ` ${formatFileBytes(p.bytesRead)} of ${formatFileBytes(p.totalBytes)}${percent !== null ? ` (${percent} %)` : ''}` : '…'}
        </span>
        <button type="button" disabled={status.cancelling} onClick={onCancel}>
          Cancel upload package
        </button>
      </div>
    );
  }
  if (status.state === 'done') {
    const m = status.result.manifest;
    const ratio = m.compressed.bytes > 0 ? (m.dump.bytes / m.compressed.bytes).toFixed(1) : '–';
    return (
      <div className="upload-package" role="status" aria-label="Upload package">
        <div className="job-line">
          <span>For upload:</span>
          <span className="job-path" title={`Compressed copy: ${status.result.zstPath}`}>
            {status.result.zstPath}
          </span>
          <span>
            {formatFileBytes(m.compressed.bytes)} ({ratio}× smaller)
          </span>
        </div>
        <div className="job-line job-hash-line">
          SHA-256 <span className="job-hash">{m.compressed.sha256}</span>
        </div>
        {status.result.packZstPath && (
          <div className="job-line">
            <span className="job-path">{status.result.packZstPath}</span>
          </div>
        )}
        <div className="job-line">
          <span className="job-path" title="Manifest: process, sizes, both hashes and the secrets warning">
            {status.result.manifestPath}
          </span>
        </div>
      </div>
    );
  }
  return (
    <div className="job-line upload-package">
      <button type="button" onClick={onPrepare} title="Write a zstd-compressed copy, its SHA-256 and a manifest beside the dump; the dump stays">
        Prepare for upload
      </button>
      {status.state === 'failed' && <span className="job-error">{status.message}</span>}
    </div>
  );
}

export function UploadPackageAction({ jobId }: { jobId: string }) {
  const api = useApi();
  const [status, setStatus] = useState<UploadPackageStatus>({ state: 'idle' });
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const running = status.state === 'running';
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => {
      api.request('procscope:upload-package-progress', { jobId }).then(
        (progress) => {
          if (mounted.current && progress) setStatus((s) => (s.state === 'running' ? { ...s, progress } : s));
        },
        () => {},
      );
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [api, jobId, running]);

  const prepare = (): void => {
    setStatus({ state: 'running', progress: null, cancelling: false });
    api.request('procscope:prepare-upload-package', { jobId }).then(
      (result) => mounted.current && setStatus({ state: 'done', result }),
      (err: unknown) => mounted.current && setStatus({ state: 'failed', message: err instanceof Error ? err.message : String(err) }),
    );
  };
  const cancel = (): void => {
    setStatus((s) => (s.state === 'running' ? { ...s, cancelling: true } : s));
    void api.request('procscope:cancel-upload-package', { jobId }).catch(() => {});
  };
  return <UploadPackageView status={status} onPrepare={prepare} onCancel={cancel} />;
}
