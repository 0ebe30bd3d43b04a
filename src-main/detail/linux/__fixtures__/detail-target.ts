/*
 * Test support: compiles detail-target.c and detail-lib.c with gcc into a temp folder and starts the target with a
 * known open file, a listening socket, an environment marker and a dlopen()ed library (see detail-target.c).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface DetailFixture {
  dir: string;
  exe: string;
  lib: string;
  openFile: string;
  cleanup(): void;
}

export function compileDetailFixture(): DetailFixture {
  const dir = mkdtempSync(join(tmpdir(), 'procscope-detail-target-'));
  chmodSync(dir, 0o755);
  const exe = join(dir, 'detail-target');
  const lib = join(dir, 'libprocscope-detail-test.so');
  const gcc = (args: string[]) => {
    const r = spawnSync('gcc', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`gcc failed: ${r.stderr}`);
  };
  // -O2 -fomit-frame-pointer: the walk must come from CFI, not from rbp chains.
  gcc(['-O2', '-g', '-fomit-frame-pointer', '-pthread', '-Wl,--build-id', '-o', exe, join(import.meta.dirname, 'detail-target.c'), '-ldl']);
  gcc(['-O2', '-shared', '-fPIC', '-Wl,--build-id', '-o', lib, join(import.meta.dirname, 'detail-lib.c')]);
  const openFile = join(dir, 'held-open-marker.txt');
  writeFileSync(openFile, 'procscope detail test\n');
  return { dir, exe, lib, openFile, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RunningDetailTarget {
  child: ChildProcess;
  pid: number;
  parkedTid: number;
  port: number;
  stop(): Promise<void>;
}

/**
 * Started as a background job of a `sh` that waits for it, so the target is this process's grandchild, not its
 * child: the detail source refuses to hold a thread of its own children (their stop would reach this process's
 * child watcher). Its stdin stays this process's pipe (through fd 3: a background job's own stdin is /dev/null), so it ends
 * when the test process does; `stop` kills it by pid.
 */
export function startDetailTarget(f: DetailFixture, env: Record<string, string>, options: { ownChild?: boolean } = {}): Promise<RunningDetailTarget> {
  const argv = options.ownChild ? [f.exe, f.openFile, f.lib] : ['sh', '-c', 'exec 3<&0; "$0" "$@" <&3 3<&- & wait', f.exe, f.openFile, f.lib];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const lines = createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('detail-target did not start')), 20_000);
    child.once('exit', (code) => reject(new Error(`detail-target exited with ${code}`)));
    lines.once('line', (line) => {
      clearTimeout(timer);
      const m = /^ready (\d+) (\d+) (\d+) 42$/.exec(line);
      if (!m) return reject(new Error(`detail-target said ${line}`));
      const pid = Number(m[1]);
      resolve({
        child,
        pid,
        parkedTid: Number(m[2]),
        port: Number(m[3]),
        async stop() {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            return;
          }
          child.stdin?.destroy();
          const deadline = Date.now() + 5000;
          while (existsSync(`/proc/${pid}`) && Date.now() < deadline) {
            const state = (() => {
              try {
                const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
                return s[s.lastIndexOf(')') + 2];
              } catch {
                return 'gone';
              }
            })();
            if (state === 'gone') break;
            await new Promise((r) => setTimeout(r, 10));
          }
        },
      });
    });
  });
}
