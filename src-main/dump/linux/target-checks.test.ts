// The pid-reuse check before a Linux dump, on this very process: only its exact start time passes. A start time
// off by even 1 ms names another process (a recycled pid can start within the same second), so no tolerance.
import { describe, expect, it } from 'vitest';
import { readProcessStartTimeMs } from '../../platform/linux/proc-start-time';
import { DumpError } from '../dump-writer';
import { checkIdentitySync } from './target-checks';

describe.runIf(process.platform === 'linux')('checkIdentitySync', () => {
  const actual = readProcessStartTimeMs(process.pid)!;

  it('accepts the exact start time', () => {
    expect(Number.isFinite(actual)).toBe(true);
    expect(() => checkIdentitySync(process.pid, actual)).not.toThrow();
  });

  it.each([1, 2, 10, 499, 500, 999, 1000, -1, -500, -999, -1000])('refuses a start time off by %i ms as a recycled pid', (deltaMs) => {
    let thrown: unknown = null;
    try {
      checkIdentitySync(process.pid, actual + deltaMs);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(DumpError);
    expect(thrown).toMatchObject({ code: 'pid-recycled', message: expect.stringMatching(/is not the process you chose/) });
  });

  it('says a pid that is gone has exited', () => {
    expect(() => checkIdentitySync(2 ** 22 + 1, 1)).toThrow(/has exited/);
  });
});
