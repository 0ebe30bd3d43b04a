// The engine with the real Linux writer, run as the app runs it: each job in a child process (the helper with
// the app's own rights), so the main event loop keeps ticking during a large dump. Real targets: the Linux
// writer's C fixture with a big heap, and a real 3-process tree.
import { spawn, spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyProcessRow, type ProcessRow } from '../../src-shared/model/process';
import { readProcessStartTimeMs } from '../platform/linux/proc-start-time';
import { createDumpEngine, type DumpEngine } from './dump-engine';
import { createAppDumpEngine } from './dump-engine-setup';
import { createPlatformElevator } from './select-elevator';
import type { DumpEngineEvent } from './dump-jobs';
import { createDumpSettingsStore } from './dump-settings';
import { bundleFixture, REPO_NODE_MODULES } from './helper/__fixtures__/bundle-fixture';
import { createChildProcessDumpWriter } from './helper/helper-dump-writer';
import { compileDumpTargetSync, startDumpTarget, type RunningTarget } from './linux/__fixtures__/dump-target';

let helperEntry: string;
let base: string;
let exe: string;

beforeAll(async () => {
  helperEntry = await bundleFixture(join(__dirname, 'helper/__fixtures__/helper-entry.ts'));
  base = await mkdtemp(join(tmpdir(), 'engine-linux-'));
  await chmod(base, 0o755);
  exe = compileDumpTargetSync();
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
  await rm(dirname(helperEntry), { recursive: true, force: true });
  await rm(dirname(exe), { recursive: true, force: true });
});

function makeEngine(rows: ProcessRow[] = []): DumpEngine {
  return createDumpEngine({
    writerFactory: async () =>
      createChildProcessDumpWriter({
        command: { executable: process.execPath, args: [helperEntry] },
        uid: process.getuid!(),
        format: 'elf-core',
        env: { ...process.env, NODE_PATH: REPO_NODE_MODULES },
      }),
    readRows: async () => rows,
    settingsStore: createDumpSettingsStore({ configDir: join(base, 'config') }),
  });
}

/** Until each job failed, or is saved with its hash done (job-hashed follows job-done: issue 15). */
function untilSettled(engine: DumpEngine, ids: string[]): Promise<void> {
  const settled = (id: string): boolean => {
    const job = engine.get(id)!;
    return job.state === 'failed' || job.state === 'cancelled' || (job.state === 'done' && job.result?.hash !== 'computing');
  };
  const left = new Set(ids.filter((id) => !settled(id)));
  return new Promise((resolve) => {
    if (!left.size) return resolve();
    const off = engine.subscribe((e) => {
      if ('jobId' in e && settled(e.jobId) && left.delete(e.jobId) && !left.size) {
        off();
        resolve();
      }
    });
  });
}

/** The longest gap between 10 ms timer ticks while `work` runs: how long the event loop was held. */
async function maxTimerGapMs(work: () => Promise<void>): Promise<number> {
  let last = performance.now();
  let maxGap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 10);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return maxGap;
}

describe('dump engine with the real Linux writer in a child process', () => {
  it('dumps a 256 MiB process with progress while the event loop keeps ticking', async () => {
    const target: RunningTarget = await startDumpTarget(exe, 256);
    const engine = makeEngine();
    const outDir = join(base, 'big');
    const events: DumpEngineEvent[] = [];
    engine.subscribe((e) => events.push(e));
    try {
      const gap = await maxTimerGapMs(async () => {
        const job = await engine.start({ pid: target.pid, startTimeMs: readProcessStartTimeMs(target.pid)!, kind: 'full', outDir });
        await untilSettled(engine, [job.id]);
      });
      const done = events.find((e) => e.type === 'job-done');
      expect(done, JSON.stringify(events.filter((e) => e.type === 'job-failed'))).toBeDefined();
      const result = done!.type === 'job-done' ? done!.result : null;
      expect(result!.fileBytes).toBeGreaterThan(256 * 1024 * 1024);
      expect((await stat(result!.path)).size).toBe(result!.fileBytes);
      expect(events.filter((e) => e.type === 'job-progress').length).toBeGreaterThan(1);
      // In the main process the same dump held the loop for ~1.2 s at a time (measured); here only IPC remains.
      expect(gap).toBeLessThan(250);
    } finally {
      target.stop();
      await engine.dispose();
    }
  });

  it('cancels a large dump: no file, and the loop kept ticking', async () => {
    const target = await startDumpTarget(exe, 512);
    const engine = makeEngine();
    const outDir = join(base, 'cancel');
    try {
      let state = '';
      const gap = await maxTimerGapMs(async () => {
        const job = await engine.start({ pid: target.pid, startTimeMs: readProcessStartTimeMs(target.pid)!, kind: 'full', outDir });
        await new Promise<void>((resolve) => {
          const off = engine.subscribe((e) => {
            if (e.type === 'job-progress' && e.progress.phase === 'writing' && e.progress.bytesWritten > 0) {
              off();
              resolve();
            }
          });
        });
        engine.cancel(job.id);
        await untilSettled(engine, [job.id]);
        state = engine.get(job.id)!.state;
      });
      expect(state).toBe('cancelled');
      expect(await readdir(outDir)).toEqual([]);
      expect(gap).toBeLessThan(250);
      // The target was let go and runs on.
      expect(await target.command('ticks')).toMatch(/^ticks \d+$/);
    } finally {
      target.stop();
      await engine.dispose();
    }
  });

  it('dumps a 3-process tree into 3 files, and reports a process that exits meanwhile without failing the rest', async () => {
    const sh = spawn('sh', ['-c', 'sleep 600 & sleep 600 & wait'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 150));
    const kids = spawnSync('pgrep', ['-P', String(sh.pid)], { encoding: 'utf8' }).stdout.trim().split('\n').map(Number);
    expect(kids).toHaveLength(2);
    const rowOf = (pid: number, ppid: number, name: string) => emptyProcessRow(pid, ppid, name, readProcessStartTimeMs(pid)!);
    const rows = [rowOf(sh.pid!, process.pid, 'sh'), rowOf(kids[0]!, sh.pid!, 'sleep'), rowOf(kids[1]!, sh.pid!, 'sleep')];
    const engine = makeEngine(rows);
    const outDir = join(base, 'tree');
    try {
      const full = await engine.startTree({ pid: sh.pid!, startTimeMs: rows[0]!.startTimeMs, kind: 'mini', outDir });
      await untilSettled(engine, full.jobIds);
      const jobs = full.jobIds.map((id) => engine.get(id)!);
      expect(jobs.map((j) => [j.pid, j.state])).toEqual([[sh.pid, 'done'], [kids[0], 'done'], [kids[1], 'done']]);
      // Each core with its analysis pack beside it.
      const written = jobs.flatMap((j) => [j.result!.path, j.result!.analysisPackPath!]).map((p) => p.slice(outDir.length + 1));
      expect((await readdir(outDir)).sort()).toEqual(written.sort());

      // Again, with the last child killed right after the group is queued: it runs third, after it has gone.
      const second = await engine.startTree({ pid: sh.pid!, startTimeMs: rows[0]!.startTimeMs, kind: 'mini', outDir });
      process.kill(kids[1]!, 'SIGKILL');
      await untilSettled(engine, second.jobIds);
      const again = second.jobIds.map((id) => engine.get(id)!);
      expect(again.map((j) => j.state)).toEqual(['done', 'done', 'failed']);
      expect(again[2]!.error!.code).toBe('process-gone');
      expect(again[2]!.error!.message).toMatch(/has exited/);
      expect(await readdir(outDir)).toHaveLength(10);
    } finally {
      sh.kill();
      for (const k of kids) spawnSync('kill', [String(k)]);
      await engine.dispose();
    }
  });

  it('is what createAppDumpEngine builds on Linux: child-process jobs, pkexec for the retry', async () => {
    expect((await createPlatformElevator('linux'))!.kind).toBe('pkexec');
    expect(await createPlatformElevator('darwin')).toBeNull();
    // The child process finds the test bundle's dependencies through NODE_PATH, as it inherits this environment.
    process.env['NODE_PATH'] = REPO_NODE_MODULES;
    const sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 50));
    const engine = await createAppDumpEngine({
      configDir: join(base, 'app-config'),
      readRows: async () => [],
      helperCommand: { executable: process.execPath, args: [helperEntry] },
    });
    try {
      const outDir = join(base, 'app');
      const job = await engine.start({ pid: sleeper.pid!, startTimeMs: readProcessStartTimeMs(sleeper.pid!)!, kind: 'mini', outDir, name: 'sleep' });
      await untilSettled(engine, [job.id]);
      const info = engine.get(job.id)!;
      expect(info.state, JSON.stringify(info.error)).toBe('done');
      expect(info.result!.path).toMatch(new RegExp(`/sleep_${sleeper.pid}_\\d{8}_\\d{6}_mini\\.core$`));
      expect(await engine.getSettings()).toEqual({ dumpDir: outDir, lastKind: 'mini' });
    } finally {
      sleeper.kill();
      await engine.dispose();
    }
  });
});
