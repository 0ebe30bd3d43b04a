/*
 * Windows side of the sampled-trigger tests (runs under Wine): four node.exe targets, each watched on its own by our
 * Win32 capture engine (scope self, mini dumps) — a busy loop with --cpu 50 -s 2, an idle one with the same rule and
 * a 3.5 s timeout, an idle one with a series -n 3 -s 1, and one holding 200 MB (Buffer.alloc, filled) with
 * --memory 150 — and prints one JSON report (every CaptureEvent, with its time since its watch armed) for
 * scripts/test-win-capture-sampled.mjs, which judges it on Linux (lldb-16 on the files). It asserts nothing itself.
 * The idle watch runs beside the others (it never dumps unless wrong); the dumping ones run one after another.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createWin32CaptureEngine } from '../../../src-main/capture/win32/win32-capture-engine';
import { DumpError } from '../../../src-main/dump/dump-writer';
import { createWin32Backend } from '../../../src-main/platform/win32/win32-backend';
import type { CaptureEvent, CaptureMonitor, CaptureRule } from '../../../src-shared/model/capture';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Target {
  child: ChildProcess;
  ready: string;
}

/** A node.exe that writes its ready file once `setup` has run, then runs `body` (or idles for 60 s). */
function startTarget(outDir: string, tag: string, setup: string, body = 'setTimeout(() => 0, 60000)'): Target {
  const ready = join(outDir, `${tag}-ready.txt`);
  const script = `${setup}; require('fs').writeFileSync(${JSON.stringify(ready)}, 'r'); ${body}`;
  return { child: spawn(process.execPath, ['-e', script], { stdio: 'ignore' }), ready };
}

async function watch(outDir: string, t: Target, monitor: CaptureMonitor, over: Partial<CaptureRule>): Promise<Record<string, unknown>> {
  for (let i = 0; i < 300 && !existsSync(t.ready); i++) await sleep(50);
  const pid = t.child.pid!;
  const events: (CaptureEvent & { sinceArmedMs: number })[] = [];
  const out: Record<string, unknown> = { pid, events };
  const triggers: CaptureRule['triggers'] = monitor.cpuPercent !== null ? ['cpu'] : monitor.memoryMb !== null ? ['memory'] : ['series'];
  let armedAt = 0;
  try {
    const w = await createWin32CaptureEngine().start(
      {
        target: { pid, startTimeMs: createWin32Backend().readStartTimeMs(pid)! }, scope: 'self', nameGlob: null, cmdlineRegex: null,
        triggers, exitNonZeroOnly: false, kind: 'mini', outDir, holdTimeoutMs: 30_000, maxDumps: monitor.count, timeoutMs: 12_000, monitor,
        ...over,
      },
      (e) => {
        if (e.event === 'armed') armedAt = performance.now();
        events.push({ ...e, sinceArmedMs: Math.round(performance.now() - armedAt) });
      },
    );
    out.doneReason = await w.finished;
  } catch (err) {
    out.startError = err instanceof DumpError ? `${err.code}: ${err.message}` : String(err);
  }
  // Still running after its watch: a watch never kills what it watches (exitCode null means it was alive).
  out.aliveAfter = t.child.exitCode === null;
  t.child.kill();
  return out;
}

async function main(): Promise<void> {
  const outDir = process.argv[2]!;
  const t0 = performance.now();
  const busy = startTarget(outDir, 'busy', '', 'for (;;) {}');
  const idle = startTarget(outDir, 'idle', '');
  const series = startTarget(outDir, 'series', '');
  const memory = startTarget(outDir, 'memory', 'globalThis.keep = Buffer.alloc(200 * 1024 * 1024, 7)');
  const report: Record<string, unknown> = {};
  const idleRun = watch(outDir, idle, { cpuPercent: 50, memoryMb: null, seconds: 2, count: 1 }, { timeoutMs: 3500 });
  report.cpu = await watch(outDir, busy, { cpuPercent: 50, memoryMb: null, seconds: 2, count: 1 }, {});
  report.series = await watch(outDir, series, { cpuPercent: null, memoryMb: null, seconds: 1, count: 3 }, {});
  report.memory = await watch(outDir, memory, { cpuPercent: null, memoryMb: 150, seconds: 10, count: 1 }, {});
  report.idle = await idleRun;
  report.ms = Math.round(performance.now() - t0);
  process.stdout.write(JSON.stringify(report));
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
