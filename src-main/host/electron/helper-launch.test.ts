/*
 * The Electron main process with a faked electron module: started with --procscope-helper anywhere in its argv it
 * must check the whole command line before anything else runs (no sandbox switch, no single-instance lock, no
 * ready handler, no helper), and exit non-zero on anything that is not exactly the helper's own grammar.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const calls: string[] = [];
const helperRuns: string[][] = [];

vi.mock('electron', () => {
  const record = (name: string, result?: unknown) => (..._args: unknown[]) => {
    calls.push(name);
    return result;
  };
  return {
    app: {
      enableSandbox: record('enableSandbox'),
      requestSingleInstanceLock: record('requestSingleInstanceLock', true),
      on: record('on'),
      quit: record('quit'),
      exit: (code: number) => calls.push(`exit ${code}`),
      whenReady: () => {
        calls.push('whenReady');
        return new Promise(() => {});
      },
      getVersion: () => '0.0.0',
      getPath: () => '/nonexistent',
      isPackaged: true,
    },
    protocol: { registerSchemesAsPrivileged: record('registerSchemesAsPrivileged'), handle: record('protocol.handle') },
    BrowserWindow: class {},
    dialog: { showErrorBox: record('showErrorBox'), showMessageBox: record('showMessageBox'), showOpenDialog: record('showOpenDialog') },
    ipcMain: { handle: record('ipcMain.handle'), removeHandler: record('ipcMain.removeHandler') },
    Menu: { setApplicationMenu: record('setApplicationMenu'), buildFromTemplate: record('buildFromTemplate') },
    net: { fetch: record('net.fetch') },
    screen: { getAllDisplays: () => [] },
    shell: { openExternal: record('openExternal'), showItemInFolder: record('showItemInFolder') },
  };
});

vi.mock('../../dump/helper/helper-entry', () => ({
  runHelperEntry: (args: string[]) => {
    helperRuns.push(args);
    return Promise.resolve(0);
  },
}));

const JOB = [
  '--pid=4242', '--start-time-ms=1764160000123', '--kind=full', '--out-dir=/home/ann/dumps', '--uid=1000',
  '--channel=/tmp/procscope-helper-Ab12/channel.sock', `--secret=${'f'.repeat(64)}`,
];
const savedArgv = process.argv;
let stderr = '';

beforeEach(() => {
  vi.resetModules();
  calls.length = 0;
  helperRuns.length = 0;
  stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((text) => {
    stderr += String(text);
    return true;
  });
});
afterEach(() => {
  process.argv = savedArgv;
  vi.restoreAllMocks();
});

async function startMain(argv: string[]): Promise<void> {
  process.argv = argv;
  await import('./main');
  // Let the helper's promise chain settle.
  await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('Electron main process started as the helper', () => {
  it('runs the helper for exactly its own command line, before the lock or a ready handler', async () => {
    const linux = process.platform === 'linux' ? ['--no-sandbox'] : [];
    await startMain(['/opt/Procscope/procscope', ...linux, '--procscope-helper', ...JOB]);
    expect(helperRuns).toEqual([JOB]);
    expect(calls).not.toContain('requestSingleInstanceLock');
    expect(calls).not.toContain('whenReady');
    expect(calls).toContain('exit 0');
  });

  it.each([
    ['--inspect-brk before the flag', ['--inspect-brk=9229', '--procscope-helper']],
    ['--remote-debugging-port after the job', ['--procscope-helper', '@JOB', '--remote-debugging-port=9222']],
    ['--js-flags between the switches', ['--js-flags=--allow-natives-syntax', '--procscope-helper']],
    ['a Chromium launcher switch', ['--procscope-helper', '--renderer-cmd-prefix=/tmp/x', '@JOB']],
    ['the flag twice', ['--procscope-helper', '--procscope-helper']],
  ])('refuses %s: nothing runs, exit 2', async (_name, shape) => {
    const linux = process.platform === 'linux' && !shape.includes('--no-sandbox') ? ['--no-sandbox'] : [];
    const args = shape.flatMap((a) => (a === '@JOB' ? JOB : [a]));
    if (!shape.includes('@JOB')) args.push(...JOB);
    await startMain(['/opt/Procscope/procscope', ...linux, ...args]);
    expect(helperRuns).toEqual([]);
    expect(calls).toEqual(['exit 2']);
    expect(stderr).toMatch(/^procscope helper: .+\.\n$/);
  });
});
