/*
 * Test support for the Linux capture engine's fanotify exec mode: compiles exec-parent.c and exec-target.c with gcc
 * into a temp folder (removed by the caller; exec-target-b is a copy of exec-target, another inode) and runs the
 * parent, one stdin command at a time. The parent may be this process's own child: exec mode never traces it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface ExecFixtures {
  dir: string;
  parent: string;
  target: string;
  /** A copy of `target`: the same program as another file, which a mark on `target` does not cover. */
  otherTarget: string;
}

export function compileExecFixturesSync(): ExecFixtures {
  const dir = mkdtempSync(join(tmpdir(), 'procscope-exec-mode-'));
  chmodSync(dir, 0o755);
  const build = (src: string, exe: string): string => {
    const out = join(dir, exe);
    const r = spawnSync('gcc', ['-O0', '-g', '-o', out, join(import.meta.dirname, src)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`gcc failed: ${r.stderr}`);
    return out;
  };
  const parent = build('exec-parent.c', 'exec-parent');
  const target = build('exec-target.c', 'exec-target');
  const otherTarget = join(dir, 'exec-target-b');
  copyFileSync(target, otherTarget);
  chmodSync(otherTarget, 0o755);
  return { dir, parent, target, otherTarget };
}

export interface ExecBatch {
  /** Child pid → "exit N" / "signal N", as the parent's waitpid saw it. */
  exits: Map<number, string>;
  /** exec-target pid → when it began running (epoch ms, from its own "ran" line). */
  ran: Map<number, number>;
}

export interface ExecParent {
  pid: number;
  /** Sends one command; resolves once the parent printed "done". */
  run(command: string): Promise<ExecBatch>;
  kill(): void;
  exited: Promise<number | null>;
}

export function startExecParent(exe: string): Promise<ExecParent> {
  const child = spawn(exe, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let batch: ExecBatch = { exits: new Map(), ran: new Map() };
  let onDone: ((results: ExecBatch) => void) | null = null;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('exec-parent did not start')), 10_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const ready = /^ready (\d+)$/.exec(line);
      if (ready) {
        clearTimeout(timer);
        resolve({
          pid: Number(ready[1]),
          exited,
          run: (command) =>
            new Promise((done) => {
              onDone = done;
              child.stdin!.write(`${command}\n`);
            }),
          kill: () => child.kill('SIGKILL'),
        });
        return;
      }
      const m = /^child (\d+) (exit|signal) (\d+)$/.exec(line);
      if (m) batch.exits.set(Number(m[1]), `${m[2]} ${m[3]}`);
      const r = /^ran (\d+) (\d+)$/.exec(line);
      if (r) batch.ran.set(Number(r[1]), Number(r[2]));
      if (line === 'done') {
        const results = batch;
        batch = { exits: new Map(), ran: new Map() };
        onDone?.(results);
        onDone = null;
      }
    });
  });
}
