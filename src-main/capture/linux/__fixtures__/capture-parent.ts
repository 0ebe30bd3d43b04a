/*
 * Test support for the Linux capture engine: compiles capture-parent.c with gcc into a temp folder (removed by
 * the caller) and runs copies of it, collecting the lines it prints. Used by the capture tests only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** Compile into a fresh world-readable temp folder; returns the folder and the executable. */
export function compileCaptureParentSync(): { dir: string; exe: string } {
  const dir = mkdtempSync(join(tmpdir(), 'procscope-capture-parent-'));
  chmodSync(dir, 0o755);
  const exe = join(dir, 'capture-parent');
  const r = spawnSync('gcc', ['-O0', '-g', '-pthread', '-o', exe, join(import.meta.dirname, 'capture-parent.c')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc failed: ${r.stderr}`);
  return { dir, exe };
}

export interface RunningParent {
  child: ChildProcess;
  pid: number;
  /** Lines printed after "ready". */
  lines: string[];
  go(): void;
  /** Kills the parent and its shell (test cleanup). */
  kill(): void;
  /** Resolves with the exit code once the parent has exited (after "done"). */
  exited: Promise<number | null>;
  /** Child pid → "exit N" / "signal N", as the parent's waitpid saw it. */
  results(): Map<number, string>;
}

/**
 * Runs the parent as a grandchild, under a `sh` that waits for it and exits with its code: a tracee that is also a
 * child of the tracing process would have its ptrace-stops taken by libuv's own waitpid (see the engine's check).
 */
export function startCaptureParent(exe: string, args: string[]): Promise<RunningParent> {
  const script = 'exec 3<&0; "$0" "$@" 0<&3 3<&- & wait $!';
  const child = spawn('sh', ['-c', script, exe, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  // 'close', not 'exit': 'exit' can come before the last lines on stdout were read, and results() reads those lines
  // (the SIGKILL test once saw no child result after the parent had exited, on a loaded machine).
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('capture-parent did not start')), 20_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const ready = /^ready (\d+)$/.exec(line);
      if (!ready) return void lines.push(line);
      clearTimeout(timer);
      resolve({
        child,
        pid: Number(ready[1]),
        lines,
        exited,
        go: () => child.stdin!.write('go\n'),
        kill: () => {
          try {
            process.kill(Number(ready[1]), 'SIGKILL');
          } catch {
            // already gone
          }
          child.kill('SIGKILL');
        },
        results: () => {
          const out = new Map<number, string>();
          for (const l of lines) {
            const m = /^child (\d+) (exit|signal) (\d+)$/.exec(l);
            if (m) out.set(Number(m[1]), `${m[2]} ${m[3]}`);
          }
          return out;
        },
      });
    });
  });
}
