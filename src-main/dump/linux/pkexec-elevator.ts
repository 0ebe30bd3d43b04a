/*
 * The Linux Elevator: runs the helper through pkexec(1), so polkit asks for an administrator's password with the
 * io.procscope.dump-helper action (assets/polkit). Runs in the main process or CLI and only starts and waits;
 * the job travels over the helper's channel. pkexec's own exit codes (man pkexec: 126 = the person dismissed the
 * dialog, 127 = not authorised or no authentication agent) become DumpErrors with a next step.
 */
import { spawn } from 'node:child_process';
import { DumpError } from '../dump-writer';
import type { Elevator } from '../helper/elevator';

export interface PkexecElevatorOptions {
  /** Defaults to pkexec on PATH; tests point it at a stand-in script. */
  pkexecPath?: string;
  /** The app's environment (process.env by default): APPIMAGE says it runs from an AppImage. */
  env?: NodeJS.ProcessEnv;
}

/**
 * An AppImage runs from a FUSE mount that only the person who started it may read (no allow_other), so root
 * started by pkexec cannot even open the binary, and no polkit policy is installed for it.
 */
const APPIMAGE_REFUSAL =
  'Retry as administrator needs the Procscope deb package: this copy runs from an AppImage, whose files root cannot read ' +
  '(it is a FUSE mount only you may open), and the deb installs the polkit policy pkexec asks with. Install the deb, ' +
  'or dump as root from a terminal.';

const PKEXEC_DISMISSED = 126;
const PKEXEC_NOT_AUTHORIZED = 127;

export function createPkexecElevator(options: PkexecElevatorOptions = {}): Elevator {
  const pkexec = options.pkexecPath ?? 'pkexec';
  const env = options.env ?? process.env;
  return {
    kind: 'pkexec',
    run(executable, args) {
      if (env.APPIMAGE) return Promise.reject(new DumpError('unsupported', APPIMAGE_REFUSAL));
      if (!executable.startsWith('/')) {
        return Promise.reject(new DumpError('bad-request', `pkexec needs the helper's absolute path, not '${executable}'.`));
      }
      return new Promise((resolve, reject) => {
        // --disable-internal-agent: never fall back to a text prompt on a terminal nobody is watching.
        const child = spawn(pkexec, ['--disable-internal-agent', executable, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => {
          if (stderr.length < 4000) stderr += chunk.toString('utf8');
        });
        child.once('error', (err: NodeJS.ErrnoException) => {
          reject(
            err.code === 'ENOENT'
              ? new DumpError('unsupported', 'pkexec is not installed, so Procscope cannot ask for administrator rights. Install it (apt install pkexec) or run `sudo procscope dump`.')
              : new DumpError('io-error', `pkexec could not be started (${err.code ?? err.message}). Run \`sudo procscope dump\` instead.`),
          );
        });
        child.once('close', (code, signal) => {
          if (code === PKEXEC_DISMISSED) {
            reject(new DumpError('elevation-cancelled', 'Elevation was cancelled, so nothing was dumped. Retry as administrator when you are ready.'));
          } else if (code === PKEXEC_NOT_AUTHORIZED) {
            const reason = stderr.trim().split('\n')[0]?.slice(0, 200);
            reject(
              new DumpError(
                'needs-elevation',
                `Administrator rights were not granted${reason ? ` (pkexec: ${reason})` : ''}. Make sure a polkit authentication agent is running and you may act as an administrator, or run \`sudo procscope dump\`.`,
              ),
            );
          } else {
            resolve(code ?? (signal ? 128 : 1));
          }
        });
      });
    },
  };
}
