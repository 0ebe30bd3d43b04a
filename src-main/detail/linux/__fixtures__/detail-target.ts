/*
 * Test support: compiles detail-target.c and detail-lib.c with gcc into a temp folder and starts the target with a
 * known open file, a listening socket, an environment marker and a dlopen()ed library (see detail-target.c).
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGrandchild } from './grandchild-target';

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

/** Started as this process's grandchild (see grandchild-target.ts), or with `ownChild` as its child. */
export async function startDetailTarget(f: DetailFixture, env: Record<string, string>, options: { ownChild?: boolean } = {}): Promise<RunningDetailTarget> {
  const t = await startGrandchild('detail-target', [f.exe, f.openFile, f.lib], /^ready (\d+) (\d+) (\d+) 42$/, { env, ...options });
  return { child: t.child, pid: t.pid, parkedTid: Number(t.ready[2]), port: Number(t.ready[3]), stop: t.stop };
}
