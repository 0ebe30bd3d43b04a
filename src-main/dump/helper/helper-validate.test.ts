// The Windows branch of the helper's checks that runs on any OS: without a known requester nothing else is
// looked at. (The folder walk and the owner check run for real under Wine: scripts/test-win-helper.mjs.)
import { describe, expect, it } from 'vitest';
import type { HelperJob } from './helper-args';
import { validateHelperJob, type HelperValidationDeps } from './helper-validate';

const job: HelperJob = {
  pid: 4242,
  startTimeMs: 1_700_000_000_000,
  kind: 'mini',
  outDir: 'C:\\Users\\ana\\Dumps',
  uid: null,
  nameHint: null,
  channel: `\\\\.\\pipe\\procscope-helper-${'0'.repeat(32)}`,
  secret: 'f'.repeat(64),
};

function deps(win32: HelperValidationDeps['win32'], owners: string[] = []): HelperValidationDeps {
  return {
    readStartTimeMs: () => job.startTimeMs,
    platform: 'win32',
    env: {},
    ownUid: null,
    ...(win32 ? { win32: { ...win32, readOwnerSid: (p: string) => (owners.push(p), win32.readOwnerSid(p)) } } : {}),
  };
}

describe('the Windows helper without a known requester', () => {
  it('refuses when the facts are missing', async () => {
    expect(await validateHelperJob(job, deps(undefined))).toEqual({
      code: 'bad-request',
      message: expect.stringMatching(/could not tell which user started it/),
    });
  });

  it('refuses when the parent process could not be read, before reading any folder owner', async () => {
    const asked: string[] = [];
    const error = await validateHelperJob(job, deps({ requesterSid: null, readOwnerSid: () => 'S-1-5-21-1-2-3-1001', readDaclSddl: () => null }, asked));
    expect(error?.code).toBe('bad-request');
    expect(error?.message).toMatch(/could not tell which user started it/);
    expect(asked).toEqual([]);
  });

  it('still refuses a recycled pid first', async () => {
    const error = await validateHelperJob({ ...job, startTimeMs: job.startTimeMs + 1 }, deps({ requesterSid: null, readOwnerSid: () => null, readDaclSddl: () => null }));
    expect(error?.code).toBe('pid-recycled');
  });
});
