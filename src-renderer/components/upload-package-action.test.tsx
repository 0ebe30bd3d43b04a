import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { UploadPackageResult } from '../../src-shared/model/upload-package';
import { UploadPackageView, type UploadPackageStatus } from './upload-package-action';

const render = (status: UploadPackageStatus): string => renderToStaticMarkup(<UploadPackageView status={status} onPrepare={() => {}} onCancel={() => {}} />);

const result: UploadPackageResult = {
  dumpPath: '/d/svc.core', zstPath: '/d/svc.core.zst', packZstPath: '/d/svc.core.pack.zst', manifestPath: '/d/svc.core.manifest.json', durationMs: 900,
  manifest: {
    format: 'procscope-upload-package/1', tool: 'procscope 0.1.0', createdAt: '2026-01-01T00:00:00.000Z',
    process: { name: 'svc', pid: 1, startTime: null },
    dump: { file: 'svc.core', format: 'elf-core', kind: 'full', mode: 'live', pauseMs: 3, bytes: 10 * 2 ** 20, sha256: 'a'.repeat(64) },
    compressed: { file: 'svc.core.zst', compression: 'zstd', level: 3, bytes: 2 ** 20, sha256: 'b'.repeat(64) },
    analysisPack: null, warning: 'w',
  },
};

describe('Prepare for upload on a saved dump', () => {
  it('offers the button, and says why when the last attempt failed', () => {
    expect(render({ state: 'idle' })).toContain('>Prepare for upload</button>');
    const failed = render({ state: 'failed', message: '/d/svc.core.zst already exists; move or delete it first.' });
    expect(failed).toContain('>Prepare for upload</button>');
    expect(failed).toContain('<span class="job-error">/d/svc.core.zst already exists; move or delete it first.</span>');
  });
  it('shows how far it got with Cancel while it runs, disabled once asked', () => {
    const html = render({ state: 'running', progress: { phase: 'compressing', bytesRead: 5 * 2 ** 20, totalBytes: 10 * 2 ** 20, elapsedMs: 100 }, cancelling: false });
    expect(html).toMatch(/Preparing for upload: compressing 5(\.0)? MiB of 10(\.0)? MiB \(50 %\)/);
    expect(html).toContain('>Cancel upload package</button>');
    expect(html).not.toContain('Prepare for upload</button>');
    expect(render({ state: 'running', progress: null, cancelling: true })).toContain('disabled="">Cancel upload package');
  });
  it('shows the paths, the ratio and the .zst\'s SHA-256 when done', () => {
    const html = render({ state: 'done', result });
    for (const p of ['/d/svc.core.zst', '/d/svc.core.pack.zst', '/d/svc.core.manifest.json']) expect(html).toContain(`>${p}</span>`);
    expect(html).toContain('(10.0× smaller)');
    expect(html).toContain(`<span class="job-hash">${'b'.repeat(64)}</span>`);
    expect(html).not.toContain('Prepare for upload</button>');
  });
});
