/*
 * Test fixture: the app's dump engine in a process of its own, meant to run as an unprivileged user. It asks for
 * one dump, run unelevated in a child process as the app does; when the job fails with a retry offered, it
 * retries as administrator through a relay Elevator that asks the test (over stdout/stdin) to start the helper:
 * the test plays the elevator, since no prompt can be answered in CI. Every engine event goes to stdout as JSON.
 */
import { createInterface } from 'node:readline';
import { createDumpEngine } from '../../dump-engine';
import { createDumpSettingsStore } from '../../dump-settings';
import type { Elevator } from '../elevator';
import { createChildProcessDumpWriter } from '../helper-dump-writer';

interface Config {
  pid: number;
  startTimeMs: number;
  outDir: string;
  configDir: string;
  helperEntry: string;
}

const config = JSON.parse(process.argv[2] ?? '{}') as Config;
const out = (value: unknown): void => {
  process.stdout.write(JSON.stringify(value) + '\n');
};
const waiting: ((exitCode: number) => void)[] = [];
createInterface({ input: process.stdin }).on('line', (line) => {
  const { exitCode } = JSON.parse(line) as { exitCode: number };
  waiting.shift()?.(exitCode);
});

const relay: Elevator = {
  kind: 'direct',
  run(executable, args) {
    out({ type: 'elevate', executable, args });
    return new Promise((resolve) => waiting.push(resolve));
  },
};

const helperCommand = { executable: process.execPath, args: [config.helperEntry] };
const engine = createDumpEngine({
  // As the app runs it: the unelevated attempt in a child process with the app's own rights.
  writerFactory: async () => createChildProcessDumpWriter({ command: helperCommand, uid: process.getuid!(), format: 'elf-core' }),
  readRows: async () => [],
  elevation: { elevator: relay, command: helperCommand, uid: process.getuid!() },
  settingsStore: createDumpSettingsStore({ configDir: config.configDir }),
});
let retried = false;
engine.subscribe((event) => {
  out(event);
  if (event.type === 'job-failed') {
    if (event.retryable && !retried) {
      retried = true;
      engine.retryElevated(event.jobId);
    } else {
      process.exit(1);
    }
  }
  // job-done is the file complete (issue 15), with the helper still hashing and its channel still open; the job
  // ends at job-hashed, after the channel closed and its private folder was removed. Exiting at job-done left that
  // folder (procscope-helper-*) behind in the temp folder of a CI run.
  if (event.type === 'job-hashed') process.exit(0);
});
void engine.start({ pid: config.pid, startTimeMs: config.startTimeMs, kind: 'full', outDir: config.outDir, name: 'sleep' });
