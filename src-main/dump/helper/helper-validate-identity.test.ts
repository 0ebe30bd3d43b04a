// The helper's pid-reuse check: the job's start time must equal the live process's to the millisecond. The
// requester reads the same clock-tick value the helper reads, so any difference — 1 ms as much as 1 s — means the
// pid now names another process, and the helper refuses before it looks at the folder.
import { describe, expect, it } from 'vitest';
import type { HelperJob } from './helper-args';
import { validateHelperJob, type HelperValidationDeps } from './helper-validate';

const START_MS = 1_700_000_000_000;
const job = {
  pid: 4242,
  startTimeMs: START_MS,
  kind: 'mini',
  outDir: '/nonexistent/procscope-identity-test',
  uid: 1000,
  nameHint: null,
  channel: `/nonexistent/procscope-helper-${'0'.repeat(32)}`,
  secret: 'f'.repeat(64),
} as HelperJob;

const deps = (liveStartMs: number | null): HelperValidationDeps => ({
  readStartTimeMs: (pid) => (pid === job.pid ? liveStartMs : null),
  platform: 'linux',
  env: {},
  ownUid: 0,
});

describe('helper job identity', () => {
  it.each([1, 2, 10, 499, 500, 999, 1000, -1, -500, -999, -1000])('refuses a live start time off by %i ms as a recycled pid', async (deltaMs) => {
    const check = await validateHelperJob(job, deps(START_MS + deltaMs));
    expect(check).toMatchObject({ ok: false, error: { code: 'pid-recycled', message: expect.stringMatching(/no longer the process you chose/) } });
  });

  it('passes the exact start time on to the folder checks', async () => {
    const check = await validateHelperJob(job, deps(START_MS));
    // The folder does not exist, so the job still fails, but on the folder, not on its identity.
    expect(check.ok || check.error.code).not.toBe('pid-recycled');
    expect(check.ok || check.error.code).not.toBe('process-gone');
  });

  it('refuses a pid that is gone', async () => {
    expect(await validateHelperJob(job, deps(null))).toMatchObject({ ok: false, error: { code: 'process-gone' } });
  });
});
