/*
 * Test and benchmark support: compiles dump-target.c with gcc into a temp folder (never committed as a binary)
 * and drives running copies of it over stdin/stdout. Used by the Linux core writer's tests only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const TARGET_PARK_FUNCTIONS = ['park_alpha', 'park_bravo', 'park_charlie', 'park_delta', 'heartbeat_loop', 'main_command_loop'];

/** Compile into a fresh world-readable temp folder (so `nobody` can run it too); returns the executable path. */
export function compileDumpTargetSync(): string {
  const dir = mkdtempSync(join(tmpdir(), 'procscope-dump-target-'));
  chmodSync(dir, 0o755);
  const exe = join(dir, 'dump-target');
  const r = spawnSync('gcc', ['-O0', '-g', '-pthread', '-o', exe, join(import.meta.dirname, 'dump-target.c')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc failed: ${r.stderr}`);
  return exe;
}

export interface RunningTarget {
  child: ChildProcess;
  pid: number;
  markerAddr: string;
  markerText: string;
  /** Send one command line, resolve with its one-line answer. */
  command(line: string): Promise<string>;
  stop(): void;
}

export function startDumpTarget(exe: string, heapMiB = 0, wrapper: string[] = []): Promise<RunningTarget> {
  const argv = [...wrapper, exe, String(heapMiB)];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const waiting: ((line: string) => void)[] = [];
  const queued: string[] = [];
  lines.on('line', (line) => {
    const w = waiting.shift();
    if (w) w(line);
    else queued.push(line);
  });
  const nextLine = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const q = queued.shift();
      if (q !== undefined) return resolve(q);
      const timer = setTimeout(() => reject(new Error('dump-target did not answer')), 30_000);
      waiting.push((l) => {
        clearTimeout(timer);
        resolve(l);
      });
    });
  return (async () => {
    const marker = /^marker (0x[0-9a-f]+) (\S+)$/.exec(await nextLine());
    const ready = /^ready (\d+)$/.exec(await nextLine());
    if (!marker || !ready) throw new Error('dump-target printed something unexpected');
    return {
      child,
      pid: Number(ready[1]),
      markerAddr: marker[1]!,
      markerText: marker[2]!,
      command(line: string) {
        child.stdin!.write(`${line}\n`);
        return nextLine();
      },
      stop() {
        child.kill('SIGKILL');
      },
    };
  })();
}
