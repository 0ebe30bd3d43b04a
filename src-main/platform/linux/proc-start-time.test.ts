import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { parseStartTicks, readProcessStartTimeMs } from './proc-start-time';

describe('start time', () => {
  it('counts fields after the last parenthesis, so odd names do not shift them', () => {
    const line = '42 (a) b (c)) S 1 42 42 0 -1 4194560 100 0 0 0 5 6 0 0 20 0 3 0 987654 1000 10 18446744073709551615';
    expect(parseStartTicks(line)).toBe(987654);
    expect(parseStartTicks('garbage')).toBeNull();
  });

  it('is stable for a live process, distinct for a new one, and null once it exits', async () => {
    const child = spawn('sleep', ['30']);
    const pid = child.pid!;
    const first = readProcessStartTimeMs(pid);
    expect(first).not.toBeNull();
    expect(Math.abs(first! - Date.now())).toBeLessThan(60_000);
    expect(readProcessStartTimeMs(pid)).toBe(first);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(readProcessStartTimeMs(pid)).toBeNull();
  });
});
