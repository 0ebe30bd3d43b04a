// Run by linux-snapshot.test.ts through jiti in a child process (argv: pid outDir), so the test can SIGKILL a
// writer in the middle of a snapshot dump. Prints "copying" once the clone is made and the copy has begun.
import { readProcessStartTimeMs } from '../../../../platform/linux/proc-start-time';
import { createLinuxCoreWriter } from '../../linux-core-writer';

const pid = Number(process.argv[2]);
let told = false;
void createLinuxCoreWriter()
  .write(
    { pid, startTimeMs: readProcessStartTimeMs(pid)!, kind: 'full', outDir: process.argv[3]!, snapshot: true },
    {
      analysisPack: false,
      onProgress: (p) => {
        if (p.phase === 'writing' && p.bytesWritten > 64 << 20 && !told) {
          told = true;
          process.stdout.write('copying\n');
        }
      },
    },
  )
  .then((r) => process.stdout.write(`done ${r.method}\n`));
