/*
 * Test support: starts a target program as this process's grandchild — a background job of a `sh` that waits for
 * it — since the detail source refuses to hold threads of its own children (their stop would reach this process's
 * child watcher). Its stdin stays this process's pipe (through fd 3: a background job's own stdin is /dev/null), so
 * it ends when the test process does. It resolves on the target's first stdout line, which must match `ready`;
 * `stop` kills it by pid and waits until it is gone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

export interface RunningGrandchild {
  child: ChildProcess;
  pid: number;
  /** The ready line's match: [1] is the pid, the rest is the target's own. */
  ready: RegExpExecArray;
  stop(): Promise<void>;
}

export function startGrandchild(name: string, argv: readonly string[], ready: RegExp, options: { env?: Record<string, string>; ownChild?: boolean } = {}): Promise<RunningGrandchild> {
  const command = options.ownChild ? [...argv] : ['sh', '-c', 'exec 3<&0; "$0" "$@" <&3 3<&- & wait', ...argv];
  const child = spawn(command[0]!, command.slice(1), { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...options.env } });
  const lines = createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start`)), 20_000);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
    lines.once('line', (line) => {
      clearTimeout(timer);
      const m = ready.exec(line);
      if (!m) return reject(new Error(`${name} said ${line}`));
      const pid = Number(m[1]);
      resolve({
        child,
        pid,
        ready: m,
        async stop() {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone already
          }
          child.stdin?.destroy();
          const deadline = Date.now() + 5000;
          while (existsSync(`/proc/${pid}`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        },
      });
    });
  });
}
