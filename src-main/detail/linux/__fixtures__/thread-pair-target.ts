/*
 * Test support: compiles thread-pair-target.c with gcc into a temp folder and starts it as this process's
 * grandchild (a background job of a `sh` that waits for it, as detail-target.ts does: the detail source refuses to
 * hold threads of its own children). Its stdin stays this process's pipe, so it ends when the test process does.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGrandchild } from './grandchild-target';

export interface ThreadPairFixture {
  exe: string;
  cleanup(): void;
}

export function compileThreadPair(): ThreadPairFixture {
  const dir = mkdtempSync(join(tmpdir(), 'procscope-thread-pair-'));
  chmodSync(dir, 0o755);
  const exe = join(dir, 'thread-pair-target');
  const r = spawnSync('gcc', ['-O2', '-g', '-fomit-frame-pointer', '-pthread', '-o', exe, join(import.meta.dirname, 'thread-pair-target.c')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc failed: ${r.stderr}`);
  return { exe, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RunningThreadPair {
  child: ChildProcess;
  pid: number;
  tidA: number;
  tidB: number;
  stop(): Promise<void>;
}

/** One letter of /proc/PID/task/TID/stat's state, or null once the thread is gone. */
export function threadState(pid: number, tid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'latin1');
    return stat[stat.lastIndexOf(')') + 2]!;
  } catch {
    return null;
  }
}

/** The thread's voluntary context switches: one per 1 ms tick of pair_tick while it runs. */
export function ticksOf(pid: number, tid: number): number {
  return Number(/^voluntary_ctxt_switches:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'latin1'))![1]);
}

export async function startThreadPair(f: ThreadPairFixture): Promise<RunningThreadPair> {
  const t = await startGrandchild('thread-pair-target', [f.exe], /^ready (\d+) (\d+) (\d+)$/);
  return { child: t.child, pid: t.pid, tidA: Number(t.ready[2]), tidB: Number(t.ready[3]), stop: t.stop };
}
