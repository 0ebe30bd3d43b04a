/*
 * Test support: compiles snapshot-target.c with gcc into a temp folder and drives a running copy over stdin/stdout.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export function compileSnapshotTargetSync(dir: string): string {
  const exe = join(dir, 'snapshot-target');
  const r = spawnSync('gcc', ['-O1', '-g', '-pthread', '-o', exe, join(import.meta.dirname, 'snapshot-target.c')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc failed: ${r.stderr}`);
  return exe;
}

export interface SnapshotTarget {
  child: ChildProcess;
  pid: number;
  heapAddr: string;
  dontforkAddr: string;
  wipeAddr: string;
  /** Send a line; with `expect`, resolve with the first output line that matches it. */
  send(line: string): void;
  next(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Every line printed so far. */
  all: string[];
  stop(): void;
}

export async function startSnapshotTarget(exe: string, args: string[]): Promise<SnapshotTarget> {
  const child = spawn(exe, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const all: string[] = [];
  const waiters: (() => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    lines.push(l);
    all.push(l);
    for (const w of waiters.splice(0)) w();
  });
  const next = async (pattern: RegExp, timeoutMs = 10_000): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = lines.findIndex((l) => pattern.test(l));
      if (i >= 0) return lines.splice(i, 1)[0]!;
      if (Date.now() > deadline) throw new Error(`snapshot-target printed no line like ${pattern} (had: ${lines.join(' | ')})`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 100);
      });
    }
  };
  const ready = /^ready (\S+) (\S+) (\S+)$/.exec(await next(/^ready /));
  if (!ready) throw new Error('snapshot-target did not start');
  return {
    child,
    pid: child.pid!,
    heapAddr: ready[1]!,
    dontforkAddr: ready[2]!,
    wipeAddr: ready[3]!,
    all,
    send: (line) => child.stdin!.write(`${line}\n`),
    next,
    stop: () => child.kill('SIGKILL'),
  };
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
