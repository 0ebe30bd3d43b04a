// The browser host started as an ordinary user (nobody) for the needs-elevation e2e specs: a fresh home with a
// config folder and a dump folder nobody owns, `procscope serve` from out/ under setpriv, and the no-prompt test
// elevator (PROCSCOPE_TEST_ELEVATOR=direct), so a "Retry as administrator" runs the helper still as nobody.
// close() waits for serve to exit before removing the folders: it saves its settings as it stops, and would make
// the home again after the rm.
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVE_CLI } from './fixtures';
import { waitForServeUrl } from '../scripts/serve-url.mjs';

export const NOBODY = 65534;
const NOGROUP = 65534;

export interface ServeAsNobody {
  url: string;
  /** Empty, owned by nobody, mode 0700. */
  dumpDir: string;
  close(): Promise<void>;
}

export async function serveAsNobody(): Promise<ServeAsNobody> {
  const base = mkdtempSync(join(tmpdir(), 'procscope-e2e-nobody-'));
  chmodSync(base, 0o755);
  const [configDir, dumpDir] = [join(base, 'config'), join(base, 'dumps')];
  for (const dir of [configDir, dumpDir]) {
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, NOBODY, NOGROUP);
  }
  const serve = spawn(
    'setpriv',
    ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, SERVE_CLI, 'serve', '--port', '0'],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, HOME: base, PROCSCOPE_CONFIG_DIR: configDir, PROCSCOPE_TEST_ELEVATOR: 'direct' } },
  );
  const exited = new Promise((r) => serve.once('exit', r));
  const close = async () => {
    if (serve.exitCode === null && serve.signalCode === null) {
      serve.kill('SIGTERM');
      await exited;
    }
    rmSync(base, { recursive: true, force: true });
  };
  try {
    return { url: await waitForServeUrl(serve, 'serve as nobody'), dumpDir, close };
  } catch (err) {
    await close();
    throw err;
  }
}
