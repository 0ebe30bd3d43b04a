// A saved dump's card while its hash follows (issue 15): "SHA-256: computing…" with a Stop that says the file stays,
// then the hash; a stopped or failed hash says why and the card stays a saved dump with its file and buttons.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { DumpJobView } from '../../src-shared/ipc/dump-contract';
import type { DumpResult } from '../../src-shared/model/dump';
import { ApiContext } from '../api/api-context';
import type { ProcscopeApi } from '../api/procscope-api';
import { DumpJobItem } from './dump-job-view';

const saved: DumpResult = {
  path: '/d/worker_42_20261202_010203_full.core', kind: 'full', pid: 42, bytesOnDisk: 4096, fileBytes: 8192, sha256: null, hash: 'computing',
  fileCompleteMs: 40, durationMs: 40, targetPauseMs: 12, unreadableBytes: 0, method: 'live', format: 'elf-core',
};
const job = (result: DumpResult): DumpJobView => ({
  id: 'dump-1', groupId: null, pid: 42, startTimeMs: 1, name: 'worker', kind: 'full', outDir: '/d', state: 'done', elevated: false,
  progress: null, result, error: null, retryable: false, createdAtMs: 1, capture: null,
});

// The server renderer reads the store's initial state, so the card renders from its props alone.
function render(view: DumpJobView): string {
  return renderToStaticMarkup(
    <ApiContext.Provider value={{} as ProcscopeApi}>
      <DumpJobItem job={view} />
    </ApiContext.Provider>,
  );
}

describe('dump job card and its hash', () => {
  it('is saved while the hash is computing, with a Stop for the hash only', () => {
    const html = render(job(saved));
    expect(html).toContain('aria-label="Full dump of worker, PID 42: saved, SHA-256 computing"');
    expect(html).toContain(saved.path);
    expect(html).toContain('SHA-256: computing…');
    expect(html).toContain('aria-label="Stop the hash of the Full dump of worker, PID 42 (the dump file stays)"');
    expect(html).toContain('(the dump file stays)');
    expect(html).toContain('>Delete</button>');
  });

  it('shows the hash once it follows, and no Stop', () => {
    const html = render(job({ ...saved, sha256: 'ab'.repeat(32), hash: 'done', hashDoneMs: 90 }));
    expect(html).toContain('aria-label="Full dump of worker, PID 42: saved"');
    expect(html).toContain(`<span class="job-hash">${'ab'.repeat(32)}</span>`);
    expect(html).not.toContain('computing');
    expect(html).not.toContain('Stop hash');
  });

  it('a stopped or failed hash says why, and the dump stays saved', () => {
    const message = 'The hash was cancelled; the dump file is saved and kept.';
    const html = render(job({ ...saved, hash: 'failed', hashError: { code: 'cancelled', message } }));
    expect(html).toContain('aria-label="Full dump of worker, PID 42: saved"');
    expect(html).toContain(`SHA-256: ${message}`);
    expect(html).toContain(saved.path);
    expect(render(job({ ...saved, hash: 'skipped' }))).toContain('SHA-256: not computed');
  });

  it('says when a snapshot ran, and why not when live mode ran instead', () => {
    const done = { ...saved, sha256: 'ab'.repeat(32), hash: 'done' as const };
    const snap = render(job({ ...done, method: 'snapshot', targetPauseMs: 45 }));
    expect(snap).toContain('snapshot, paused');
    expect(snap).toContain('copy-on-write clone was dumped');
    const live = render(job({ ...done, snapshotFallback: 'the process runs under seccomp (mode 2)' }));
    expect(live).not.toContain('snapshot, paused');
    expect(live).toContain('a snapshot was not possible, the process runs under seccomp (mode 2)');
    expect(render(job(done))).not.toContain('snapshot');
  });
});

