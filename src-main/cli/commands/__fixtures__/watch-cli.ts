/**
 * Runs the bundled `procscope watch` as a real process for the Linux integration tests (watch.linux.test.ts,
 * watch-sampled.linux.test.ts): it parses each JSON line on stdout into a CaptureEvent as it arrives, keeps other
 * stdout lines (a launched program's own output) and stderr, and lets a test await the first event of a kind. The
 * caller owns cleanup: every child is pushed onto `started`, which its afterEach kills.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { CaptureEvent } from '../../../../src-shared/model/capture';
import { REPO_NODE_MODULES } from '../../../dump/helper/__fixtures__/bundle-fixture';

export interface RunningCli {
  child: ChildProcess;
  events: CaptureEvent[];
  /** stdout lines that are not JSON: a launched program's own output. */
  otherLines: string[];
  stderr: () => string;
  /** Resolves with the first event of that kind (rejects if the CLI ends first). */
  next: (kind: CaptureEvent['event']) => Promise<CaptureEvent>;
  exited: Promise<number | null>;
}

/** `node <cliPath> watch <args>`, behind `wrapper` (e.g. setpriv to run it as nobody) when one is given. */
export function startWatchCli(cliPath: string, args: string[], started: ChildProcess[], wrapper: string[] = []): RunningCli {
  const argv = [...wrapper, process.execPath, cliPath, 'watch', ...args];
  const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, NODE_PATH: REPO_NODE_MODULES }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  const events: CaptureEvent[] = [];
  const otherLines: string[] = [];
  const waiters: { kind: string; resolve: (e: CaptureEvent) => void }[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith('{')) return void otherLines.push(line);
    const e = JSON.parse(line) as CaptureEvent;
    events.push(e);
    for (const w of waiters.filter((x) => x.kind === e.event)) w.resolve(e);
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const next = (kind: CaptureEvent['event']): Promise<CaptureEvent> => {
    const had = events.find((e) => e.event === kind);
    if (had) return Promise.resolve(had);
    return new Promise((resolve, reject) => {
      waiters.push({ kind, resolve });
      void exited.then(() => setTimeout(() => reject(new Error(`watch ended before '${kind}': ${stderr}`)), 50));
    });
  };
  return { child, events, otherLines, stderr: () => stderr, next, exited };
}
