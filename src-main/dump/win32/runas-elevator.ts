/*
 * The Windows Elevator: starts our own executable elevated through ShellExecuteExW "runas" (the UAC prompt), waits
 * for it by polling its handle from the event loop and resolves its exit code. Runs in the unelevated main process. It only starts
 * and waits: the job and its result travel over the helper's own authenticated channel (src-main/dump/helper).
 */
import { getExitCodeProcess, WAIT_TIMEOUT, waitForSingleObject } from '../../platform/win32/ffi/kernel32';
import { shellExecuteWithVerb } from '../../platform/win32/ffi/shell32';
import { WinError, type WinHandle } from '../../platform/win32/ffi/win-types';
import { DumpError } from '../dump-writer';
import type { Elevator } from '../helper/elevator';

/**
 * Quotes one argument so that CommandLineToArgvW and the MSVC runtime give it back unchanged: backslashes are
 * literal unless they precede a quote (learn.microsoft.com "Parsing C++ command-line arguments").
 */
export function quoteWindowsArgument(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  let out = '"';
  let backslashes = 0;
  for (const ch of arg) {
    if (ch === '\\') {
      backslashes++;
    } else if (ch === '"') {
      out += '\\'.repeat(backslashes * 2 + 1) + '"';
      backslashes = 0;
    } else {
      out += '\\'.repeat(backslashes) + ch;
      backslashes = 0;
    }
  }
  return out + '\\'.repeat(backslashes * 2) + '"';
}

/** The OS calls the elevator makes; tests pass fakes to reach the UAC-cancel path, which Wine cannot show. */
export interface RunasDeps {
  shellExecute: typeof shellExecuteWithVerb;
  wait: (child: WinHandle) => Promise<number | null>;
}

/**
 * How often the helper's handle is checked. Not an INFINITE wait on koffi's worker: that pins one of libuv's four
 * pool threads for the helper's whole life, and a watch helper lives as long as its watch (hours for a service),
 * starving fs, zlib and the dumps' own .async calls (the Wine suite saw fs.promises.stat hang with a pool of one).
 */
const EXIT_POLL_MS = 50;

const realDeps: RunasDeps = {
  shellExecute: shellExecuteWithVerb,
  wait: (child) =>
    new Promise((resolve) => {
      const poll = (): void => {
        try {
          if (waitForSingleObject(child, 0) === WAIT_TIMEOUT) setTimeout(poll, EXIT_POLL_MS);
          else resolve(getExitCodeProcess(child));
        } catch {
          resolve(null);
        }
      };
      poll();
    }),
};

export function createRunasElevator(deps: RunasDeps = realDeps): Elevator {
  return {
    kind: 'runas',
    async run(executable: string, args: readonly string[]): Promise<number> {
      if (!executable || /[\0"]/.test(executable)) throw new DumpError('bad-request', 'The helper path is not a valid file name.');
      if (args.some((a) => a.includes('\0'))) throw new DumpError('bad-request', 'A helper argument contains a NUL character.');
      const { process: child, error } = deps.shellExecute('runas', executable, args.map(quoteWindowsArgument).join(' '), null);
      if (!child) {
        if (error === WinError.CANCELLED) {
          throw new DumpError('elevation-cancelled', 'Elevation was cancelled: the dump needs administrator rights. Try again and choose Yes.');
        }
        throw new DumpError('needs-elevation', `Windows could not start the elevated helper (error ${error}).`);
      }
      try {
        const code = await deps.wait(child);
        if (code === null) throw new DumpError('io-error', 'The elevated helper ended but its exit code could not be read.');
        return code;
      } finally {
        child.close();
      }
    },
  };
}
