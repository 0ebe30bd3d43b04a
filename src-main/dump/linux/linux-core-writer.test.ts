// The Linux core writer against real processes: full and mini cores judged by gdb, the target checked alive and
// unaffected afterwards, and cancel mid-way. Errors (gone, recycled, existing file, folder) are in
// linux-core-errors.test.ts; the unprivileged user runs are in the CLI's dump.test.ts.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DumpProgress, DumpResult } from '../../../src-shared/model/dump';
import { readProcessStartTimeMs } from '../../platform/linux/proc-start-time';
import { DumpError } from '../dump-writer';
import { TARGET_PARK_FUNCTIONS, compileDumpTargetSync, startDumpTarget, type RunningTarget } from './__fixtures__/dump-target';
import { createLinuxCoreWriter } from './linux-core-writer';

function gdbReport(exe: string, core: string, markerAddr: string): string {
  const r = spawnSync(
    'gdb',
    ['-batch', '-nx', '-ex', 'info threads', '-ex', 'thread apply all bt', '-ex', `x/s ${markerAddr}`, exe, core],
    { encoding: 'utf8', timeout: 60_000 },
  );
  return `${r.stdout}\n${r.stderr}`;
}

/** Threads gdb lists, and for each "Thread N" block of `thread apply all bt`, its frames. */
function parseBacktraces(out: string): string[] {
  return out.split(/\nThread \d+ \(/).slice(1);
}

async function ticksOf(t: RunningTarget): Promise<number> {
  return Number(/^ticks (\d+)$/.exec(await t.command('ticks'))?.[1] ?? NaN);
}

async function expectAlive(t: RunningTarget): Promise<void> {
  const before = await ticksOf(t);
  await new Promise((r) => setTimeout(r, 50));
  expect(await ticksOf(t)).toBeGreaterThan(before);
  const status = readFileSync(`/proc/${t.pid}/status`, 'latin1');
  expect(status).toMatch(/^TracerPid:\s+0$/m);
  expect(status).toMatch(/^State:\s+S/m);
}

describe('Linux ELF core writer', () => {
  let exe: string;
  let outDir: string;
  let target: RunningTarget;
  let full: DumpResult;

  beforeAll(async () => {
    exe = compileDumpTargetSync();
    outDir = mkdtempSync(join(tmpdir(), 'procscope-dumps-'));
    target = await startDumpTarget(exe, 64);
  });
  afterAll(() => {
    try {
      target?.stop();
    } finally {
      rmSync(outDir, { recursive: true, force: true });
      if (exe) rmSync(dirname(exe), { recursive: true, force: true });
    }
  });

  it('writes a full core that gdb opens with every thread, backtrace and the heap marker', async () => {
    const progress: DumpProgress[] = [];
    full = await createLinuxCoreWriter().write(
      { pid: target.pid, startTimeMs: readProcessStartTimeMs(target.pid)!, kind: 'full', outDir },
      { onProgress: (p) => progress.push(p) },
    );
    expect(basename(full.path)).toMatch(new RegExp(`^dump-target_${target.pid}_\\d{8}_\\d{6}_full\\.core$`));
    expect(statSync(full.path).mode & 0o777).toBe(0o600);
    expect(full.fileBytes).toBe(statSync(full.path).size);
    expect(full.sha256).toBe(createHash('sha256').update(readFileSync(full.path)).digest('hex'));
    expect(full.bytesOnDisk).toBeGreaterThan(64 * 2 ** 20);
    expect(full.bytesOnDisk).toBeLessThan(full.fileBytes); // sparse: untouched pages are holes
    expect(full.unreadableBytes).toBe(2 * 4096); // the two pages past the end of dump-target's short file
    expect(full.targetPauseMs).toBeGreaterThan(0);
    expect(full.targetPauseMs).toBeLessThanOrEqual(full.durationMs);
    expect(progress.at(-1)?.phase).toBe('finishing');
    expect(progress.some((p) => p.phase === 'writing' && p.estimatedTotalBytes === full.fileBytes)).toBe(true);

    const out = gdbReport(exe, full.path, target.markerAddr);
    const blocks = parseBacktraces(out);
    expect(blocks).toHaveLength(TARGET_PARK_FUNCTIONS.length);
    for (const fn of TARGET_PARK_FUNCTIONS) expect(blocks.filter((b) => b.includes(` ${fn} (`))).toHaveLength(1);
    expect(out).toContain(`"${target.markerText}"`);
    expect(out).not.toMatch(/too small|Cannot access memory/);
    await expectAlive(target);
  });

  it('writes a mini core with every thread and backtrace, far smaller than the full one', async () => {
    const mini = await createLinuxCoreWriter().write({
      pid: target.pid,
      startTimeMs: readProcessStartTimeMs(target.pid)!,
      kind: 'mini',
      outDir,
    });
    expect(basename(mini.path)).toMatch(/_mini\.core$/);
    expect(mini.sha256).toBe(createHash('sha256').update(readFileSync(mini.path)).digest('hex'));
    expect(mini.bytesOnDisk * 10).toBeLessThan(full.bytesOnDisk);
    const out = gdbReport(exe, mini.path, target.markerAddr);
    const blocks = parseBacktraces(out);
    expect(blocks).toHaveLength(TARGET_PARK_FUNCTIONS.length);
    for (const fn of TARGET_PARK_FUNCTIONS) expect(blocks.filter((b) => b.includes(` ${fn} (`))).toHaveLength(1);
    await expectAlive(target);
  });

  it('cancels mid-way through a large dump: no file left, target running', async () => {
    const big = await startDumpTarget(exe, 256);
    const dir = mkdtempSync(join(tmpdir(), 'procscope-cancel-'));
    // The writer reports progress at most every 100 ms of performance.now(), and on a quiet machine the 256 MiB copy
    // takes about that long, so on the real clock the report past 64 MiB often never came and the cancel never
    // fired. A clock that moves 100 ms per reading lets every 1 MiB batch report, so the cancel lands at a known
    // point, with copying under way, however fast or loaded the machine is.
    let fakeNowMs = performance.now();
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => (fakeNowMs += 100));
    try {
      const abort = new AbortController();
      let seenBytes = 0;
      let total = 0;
      const after: DumpProgress[] = [];
      const attempt = createLinuxCoreWriter().write(
        { pid: big.pid, startTimeMs: readProcessStartTimeMs(big.pid)!, kind: 'full', outDir: dir },
        {
          signal: abort.signal,
          onProgress: (p) => {
            if (abort.signal.aborted) after.push(p);
            else if (p.phase === 'writing' && p.bytesWritten > 64 * 2 ** 20) {
              seenBytes = p.bytesWritten;
              total = p.estimatedTotalBytes ?? 0;
              abort.abort();
            }
          },
        },
      );
      await expect(attempt).rejects.toSatisfy((e) => e instanceof DumpError && e.code === 'cancelled');
      expect(seenBytes).toBeGreaterThan(64 * 2 ** 20);
      expect(total - seenBytes).toBeGreaterThan(64 * 2 ** 20); // stopped mid-way, with much still to copy
      expect(after).toEqual([]); // nothing more was written or reported after the cancel
      expect(readdirSync(dir)).toEqual([]);
      clock.mockRestore();
      await expectAlive(big);
    } finally {
      clock.mockRestore();
      big.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
