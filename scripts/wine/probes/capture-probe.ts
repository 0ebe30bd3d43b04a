/*
 * Windows side of the capture tests (runs under Wine): starts a node.exe "service" that waits for a go file, then
 * runs 20 hostname.exe children one after another (each lives tens of ms), `cmd /c hostname` (a grandchild) and one
 * node.exe child that raises an access violation; watches the already-running service with our Win32 capture engine (descendants, start + crash +
 * exit, mini dumps) and prints one JSON report — every CaptureEvent, and the service's own record of its children —
 * for scripts/test-win-capture.mjs, which judges it on Linux (lldb-16 on the files). Then a scope-'self' watch on a
 * running node.exe that raises an access violation, and a watch whose NEW_PROCESS messages are dropped so that only
 * the reconcile pass can find its two ping.exe children; refusals; and a crash dump (~150 ms under Wine) cut off by a 20 ms hold
 * deadline. It asserts nothing itself.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createWin32CaptureEngine } from '../../../src-main/capture/win32/win32-capture-engine';
import { DumpError } from '../../../src-main/dump/dump-writer';
import { createWin32Backend } from '../../../src-main/platform/win32/win32-backend';
import type { CaptureEvent } from '../../../src-shared/model/capture';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const CHILDREN = 20;

async function main(): Promise<void> {
  const outDir = process.argv[2]!;
  const goFile = join(outDir, 'go.txt');
  const readyFile = join(outDir, 'ready.txt');
  const reportFile = join(outDir, 'service.json');
  // The access violation: memset through koffi onto address 0 raises a real SEH exception (0xC0000005) in the child.
  const avScript = "require('koffi').load('ntdll.dll').func('void *memset(uintptr_t d, int c, size_t n)')(0, 1, 64)";
  const serviceScript = `
    const fs = require('fs'); const { spawnSync } = require('child_process');
    fs.writeFileSync(${JSON.stringify(readyFile)}, 'ready');
    const t = setInterval(() => {
      if (!fs.existsSync(${JSON.stringify(goFile)})) return;
      clearInterval(t);
      const children = [];
      for (let i = 0; i < ${CHILDREN}; i++) {
        const t0 = Date.now();
        const r = spawnSync('hostname.exe', [], { stdio: 'ignore' });
        children.push({ pid: r.pid, status: r.status, ms: Date.now() - t0, error: r.error ? String(r.error) : null });
      }
      const cmd = spawnSync('cmd.exe', ['/c', 'hostname.exe'], { stdio: 'ignore' });
      const av = spawnSync(process.execPath, ['-e', ${JSON.stringify(avScript)}], { stdio: 'ignore' });
      fs.writeFileSync(${JSON.stringify(reportFile)}, JSON.stringify({ children, cmd: { pid: cmd.pid, status: cmd.status },
        av: { pid: av.pid, status: av.status, error: av.error ? String(av.error) : null } }));
    }, 20);`;
  const service = spawn(process.execPath, ['--jitless', '-e', serviceScript], { stdio: 'ignore' });
  const serviceExit = new Promise<number | null>((r) => service.on('exit', (code) => r(code)));
  for (let i = 0; i < 300 && !existsSync(readyFile); i++) await sleep(100);
  const pid = service.pid!;
  const startTimeMs = createWin32Backend().readStartTimeMs(pid)!;
  const events: (CaptureEvent & { relMs: number })[] = [];
  const t0 = Date.now();
  const holds: unknown[] = [];
  const report: Record<string, unknown> = { servicePid: pid, events, holds };
  try {
    const engine = createWin32CaptureEngine({ onWorkerMessage: (m) => m.t === 'new' && holds.push({ ...m, relMs: Date.now() - t0 }) });
    const watch = await engine.start(
      {
        target: { pid, startTimeMs }, scope: 'descendants', nameGlob: null, cmdlineRegex: null,
        triggers: ['start', 'crash', 'exit'], exitNonZeroOnly: false, kind: 'mini', outDir,
        holdTimeoutMs: 30_000, maxDumps: null, timeoutMs: 150_000,
      },
      (e) => events.push({ ...e, relMs: Date.now() - t0 }),
    );
    writeFileSync(goFile, 'go');
    report.doneReason = await watch.finished;
  } catch (err) {
    report.startError = err instanceof DumpError ? `${err.code}: ${err.message}` : String(err);
    service.kill();
  }
  report.serviceExit = await serviceExit;
  report.service = existsSync(reportFile) ? JSON.parse(readFileSync(reportFile, 'utf8')) : null;
  report.ms = Date.now() - t0;
  const phaseMs: Record<string, number> = { main: report.ms as number };
  const timed = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const at = Date.now();
    const r = await run();
    phaseMs[name] = Date.now() - at;
    return r;
  };
  report.self = await timed('self', () => watchSelf(outDir, avScript));
  report.reconcile = await timed('reconcile', () => watchByReconcileOnly(outDir));
  report.refusals = await timed('refusals', () => refusals(outDir));
  report.deadline = await timed('deadline', () => watchSelf(outDir, avScript, { kind: 'mini', holdTimeoutMs: 20, tag: 'deadline' }));
  report.phaseMs = phaseMs;
  process.stdout.write(JSON.stringify(report));
}

/** What start() refuses before anything is held: each must reject with its code, and emit no event. */
async function refusals(outDir: string): Promise<Record<string, unknown>> {
  const engine = createWin32CaptureEngine();
  const base = {
    scope: 'descendants', nameGlob: null, cmdlineRegex: null, triggers: ['start'], exitNonZeroOnly: false, kind: 'mini', outDir,
    holdTimeoutMs: 30_000, maxDumps: null, timeoutMs: 10_000,
  } as const;
  const gone = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  const goneStart = createWin32Backend().readStartTimeMs(gone.pid!) ?? 0;
  await new Promise((r) => gone.on('exit', r));
  await sleep(200);
  const selfStart = createWin32Backend().readStartTimeMs(process.pid)!;
  const live = spawn(process.execPath, ['-e', 'setTimeout(() => 0, 20000)'], { stdio: 'ignore' });
  await sleep(300);
  const liveStart = createWin32Backend().readStartTimeMs(live.pid!) ?? 0;
  const cases: Record<string, Parameters<typeof engine.start>[0]> = {
    gone: { ...base, target: { pid: gone.pid!, startTimeMs: goneStart } },
    recycled: { ...base, target: { pid: live.pid!, startTimeMs: liveStart + 1 } },
    ownProcess: { ...base, target: { pid: process.pid, startTimeMs: selfStart } },
    badRule: { ...base, target: { pid: process.pid, startTimeMs: selfStart }, holdTimeoutMs: 0 },
    missingFolder: { ...base, target: { pid: process.pid, startTimeMs: selfStart }, outDir: join(outDir, 'no-such-folder') },
  };
  const out: Record<string, unknown> = {};
  for (const [name, rule] of Object.entries(cases)) {
    const events: CaptureEvent[] = [];
    try {
      const watch = await engine.start(rule, (e) => events.push(e));
      await watch.stop();
      out[name] = { code: 'armed', events: events.length };
    } catch (err) {
      out[name] = { code: err instanceof DumpError ? err.code : `unexpected: ${String(err)}`, message: (err as Error).message, events: events.length };
    }
  }
  live.kill();
  return out;
}

async function waitForFile(file: string): Promise<void> {
  for (let i = 0; i < 300 && !existsSync(file); i++) await sleep(50);
}

/** Scope 'self' on a process that already runs: attached live (no birth), crash dump, then the Wine exit error. */
async function watchSelf(
  outDir: string,
  avScript: string,
  variant: { kind: 'full' | 'mini'; holdTimeoutMs: number; tag: string } = { kind: 'mini', holdTimeoutMs: 30_000, tag: 'self' },
): Promise<Record<string, unknown>> {
  const ready = join(outDir, `${variant.tag}-ready.txt`);
  const go = join(outDir, `${variant.tag}-go.txt`);
  const script = `require('fs').writeFileSync(${JSON.stringify(ready)}, 'r');
    const t = setInterval(() => { if (require('fs').existsSync(${JSON.stringify(go)})) { clearInterval(t); ${avScript}; } }, 20);`;
  const child = spawn(process.execPath, ['--jitless', '-e', script], { stdio: 'ignore' });
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  await waitForFile(ready);
  const pid = child.pid!;
  const events: CaptureEvent[] = [];
  const out: Record<string, unknown> = { pid, events };
  try {
    const watch = await createWin32CaptureEngine().start(
      {
        target: { pid, startTimeMs: createWin32Backend().readStartTimeMs(pid)! }, scope: 'self', nameGlob: 'node', cmdlineRegex: null,
        triggers: ['start', 'crash', 'exit'], exitNonZeroOnly: true, kind: variant.kind, outDir, holdTimeoutMs: variant.holdTimeoutMs,
        maxDumps: null, timeoutMs: 60_000,
      },
      (e) => events.push(e),
    );
    writeFileSync(go, 'go');
    out.doneReason = await watch.finished;
  } catch (err) {
    out.startError = err instanceof DumpError ? `${err.code}: ${err.message}` : String(err);
    child.kill();
  }
  out.exitCode = await exit;
  out.exitAtMs = Date.now();
  // A dump cut off by the hold deadline goes on in dbghelp under Wine (it cannot be interrupted) until the process
  // is gone; its file is removed then. Wait for that, so the judge sees what is finally left.
  const reported = new Set(events.flatMap((e) => (e.event === 'dump' ? [e.path.split('\\').pop()] : [])));
  const unreported = (): string[] => readdirSync(outDir).filter((f) => f.includes(`_${pid}_`) && !reported.has(f));
  for (let i = 0; i < 300 && unreported().length > 0; i++) await sleep(100);
  out.leftovers = unreported();
  out.leftoversAtMs = Date.now();
  return out;
}

/** NEW_PROCESS messages dropped on purpose: two ping.exe children (~2 s each, so a 1 s pass meets each) can only be found by the reconcile pass. */
async function watchByReconcileOnly(outDir: string): Promise<Record<string, unknown>> {
  const ready = join(outDir, 'rec-ready.txt');
  const go = join(outDir, 'rec-go.txt');
  const done = join(outDir, 'rec-children.json');
  const script = `const fs = require('fs'); const { spawnSync } = require('child_process'); fs.writeFileSync(${JSON.stringify(ready)}, 'r');
    const t = setInterval(() => { if (!fs.existsSync(${JSON.stringify(go)})) return; clearInterval(t);
      const kids = [1, 2].map(() => { const r = spawnSync('ping.exe', ['-n', '3', '127.0.0.1'], { stdio: 'ignore' }); return { pid: r.pid, status: r.status }; });
      fs.writeFileSync(${JSON.stringify(done)}, JSON.stringify(kids)); }, 20);`;
  const parent = spawn(process.execPath, ['--jitless', '-e', script], { stdio: 'ignore' });
  const exit = new Promise<number | null>((r) => parent.on('exit', (code) => r(code)));
  await waitForFile(ready);
  const pid = parent.pid!;
  const events: CaptureEvent[] = [];
  const late: number[] = [];
  const out: Record<string, unknown> = { pid, events, late };
  try {
    const engine = createWin32CaptureEngine({
      dropNewProcessMessagesForTest: true,
      onWorkerMessage: (m) => {
        if (m.t === 'new' && m.late && m.attached) late.push(m.pid);
      },
    });
    const watch = await engine.start(
      {
        target: { pid, startTimeMs: createWin32Backend().readStartTimeMs(pid)! }, scope: 'descendants', nameGlob: 'ping*', cmdlineRegex: null,
        triggers: ['crash'], exitNonZeroOnly: false, kind: 'mini', outDir, holdTimeoutMs: 30_000, maxDumps: null, timeoutMs: 60_000,
      },
      (e) => events.push(e),
    );
    writeFileSync(go, 'go');
    out.doneReason = await watch.finished;
  } catch (err) {
    out.startError = err instanceof DumpError ? `${err.code}: ${err.message}` : String(err);
    parent.kill();
  }
  out.exitCode = await exit;
  out.children = existsSync(done) ? JSON.parse(readFileSync(done, 'utf8')) : null;
  return out;
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
