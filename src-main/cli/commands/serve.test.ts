import { describe, expect, it } from 'vitest';
import { CliUsageError } from '../cli-command';
import { parseServeArgs, serveCommand } from './serve';

describe('procscope serve arguments', () => {
  it('defaults to any free port and 1 s, and reads --port, --interval and --fake', () => {
    expect(parseServeArgs([])).toEqual({ port: 0, intervalMs: 1000, fakeProcessCount: null });
    expect(parseServeArgs(['--port', '8080', '--interval=500', '--fake', '5000'])).toEqual({ port: 8080, intervalMs: 500, fakeProcessCount: 5000 });
    expect(parseServeArgs(['--fake', '5000', '--fake-churn', '2']).fakeChurnPercent).toBe(2);
    expect(() => parseServeArgs(['--fake-churn', '2'])).toThrow('--fake-churn needs --fake N.');
    expect(() => parseServeArgs(['--fake', '10', '--fake-churn', '51'])).toThrow('--fake-churn must be between 0 and 50.');
  });

  it.each([
    [['--port'], '--port needs a whole number'],
    [['--port', 'abc'], '--port needs a whole number'],
    [['--port', '70000'], '--port must be between 0 and 65535'],
    [['--port', '-1'], '--port needs a whole number'],
    [['--interval', '750'], '--interval must be one of'],
    [['--fake', '0'], '--fake must be between 1 and 100000'],
    [['--host', '0.0.0.0'], "unknown option '--host'"],
  ])('refuses %j with a clear message', (args, message) => {
    expect(() => parseServeArgs(args)).toThrow(CliUsageError);
    expect(() => parseServeArgs(args)).toThrow(message);
  });

  it('rejects bad arguments before starting anything', async () => {
    await expect(serveCommand.run(['--bogus'], { stdout: () => {}, stderr: () => {} })).rejects.toThrow(CliUsageError);
  });
});
