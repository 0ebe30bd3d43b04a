/*
 * Test fixture: the helper as a process of its own for the watch tests, bundled by bundle-fixture.ts. argv[2] is
 * the mode, the rest the job's arguments. 'real' runs the production entry (runHelperEntry); 'stuck' runs the same
 * helper with a core writer that never finishes on its own and prints "holding PID" on stderr when a process is held
 * for it, so a test can stop the watch, or cut its channel, while a child is held.
 */
import { DumpError } from '../../../dump/dump-writer';
import { runHelper } from '../../../dump/helper/helper-main';
import { runHelperEntry } from '../../../dump/helper/helper-entry';
import { readProcessStartTimeMs } from '../../../platform/linux/proc-start-time';
import { createLinuxCaptureEngine, type HeldCoreWriter } from '../../linux/linux-capture-engine';

const [mode, ...jobArgs] = process.argv.slice(2);
const stderr = (text: string): void => void process.stderr.write(text);

const stuck: HeldCoreWriter = (request, _held, options) =>
  new Promise((_resolve, reject) => {
    stderr(`holding ${request.pid}\n`);
    options.signal?.addEventListener('abort', () => reject(new DumpError('cancelled', 'stopped')));
  });

const run =
  mode === 'stuck'
    ? runHelper(jobArgs, {
        createWriter: () => Promise.reject(new Error('a watch job writes through its capture engine')),
        readStartTimeMs: readProcessStartTimeMs,
        platform: process.platform,
        env: process.env,
        stderr,
        ownUid: process.getuid!(),
        createCaptureEngine: (folder) => createLinuxCaptureEngine({ writeHeldCore: stuck, ...(folder?.platform === 'linux' ? { folder } : {}) }),
      })
    : runHelperEntry(jobArgs, stderr);

run.then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    stderr(`helper watch fixture: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
