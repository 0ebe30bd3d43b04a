/*
 * Windows side of the dump, action and elevation tests (runs under Wine): starts a child node.exe that holds a
 * marker string and writes a heartbeat counter, dumps it full and mini with our writer, checks refusals, cancel,
 * suspend / resume / kill and the runas elevator, and prints one JSON report for scripts/test-win.mjs, which
 * judges the dump files with lldb-16 and our MDMP reader on Linux. It asserts nothing itself.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DumpError } from '../../../src-main/dump/dump-writer';
import { createRunasElevator } from '../../../src-main/dump/win32/runas-elevator';
import { createWin32MinidumpWriter } from '../../../src-main/dump/win32/win32-minidump-writer';
import { readFileDaclSddl, readTokenFacts } from '../../../src-main/platform/win32/ffi/advapi32';
import { currentProcess } from '../../../src-main/platform/win32/ffi/kernel32';
import { createWin32Backend } from '../../../src-main/platform/win32/win32-backend';
import type { DumpRequest } from '../../../src-shared/model/dump';

const CHILD_NODE_FLAGS = (process.env.PROCSCOPE_CHILD_FLAGS ?? '--max-semi-space-size=1 --max-old-space-size=16 --jitless --v8-pool-size=1')
  .split(' ')
  .filter(Boolean);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const probeStarted = Date.now();
/** Each step on stderr, so a run the judge has to kill on its timeout says where it stood. */
const phase = (name: string): void => void process.stderr.write(`[${((Date.now() - probeStarted) / 1000).toFixed(1)} s] ${name}\n`);

function errorCode(err: unknown): string {
  return err instanceof DumpError ? err.code : `unexpected: ${err instanceof Error ? err.message : String(err)}`;
}

async function helperDump(args: string[]): Promise<void> {
  // Mode used through the runas elevator: dump the given process and write the result as JSON to a file.
  const [pid, startTimeMs, outDir, resultFile] = args;
  try {
    const result = await createWin32MinidumpWriter().write({ pid: Number(pid), startTimeMs: Number(startTimeMs), kind: 'mini', outDir: outDir! });
    writeFileSync(resultFile!, JSON.stringify({ ok: true, result }));
    process.exitCode = 0;
  } catch (err) {
    writeFileSync(resultFile!, JSON.stringify({ ok: false, code: errorCode(err) }));
    process.exitCode = 3;
  }
}

async function main(): Promise<void> {
  const [mode, ...rest] = process.argv.slice(2);
  if (mode === 'helper-dump') return helperDump(rest);
  const outDir = mode!;
  const marker = `PROCSCOPE-WINE-MARKER-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  const beatFile = join(outDir, 'heartbeat.txt');
  const childScript =
    `const keep = Buffer.from(${JSON.stringify(marker)}); let n = 0;` +
    `setInterval(() => { n++; require('fs').writeFileSync(${JSON.stringify(beatFile)}, String(n) + ' ' + keep.length); }, 50);`;
  // Small heaps keep the full dump small: Wine copies memory at ~5 MB/s.
  const child = spawn(process.execPath, [...CHILD_NODE_FLAGS, '-e', childScript], { stdio: 'ignore' });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const report: Record<string, unknown> = { marker, childPid: child.pid, userSid: readTokenFacts(currentProcess()).userSid };
  // writeFileSync truncates before it writes: a read in between finds the file empty (CI once read 0 right after a
  // resume). An empty read is that instant, not a stopped heartbeat, so it is read again.
  const beat = (): number => {
    for (let i = 0; i < 50; i++) {
      const text = existsSync(beatFile) ? readFileSync(beatFile, 'utf8') : '';
      if (text) return Number(text.split(' ')[0]);
    }
    return 0;
  };
  for (let i = 0; i < 200 && beat() < 2; i++) await sleep(100);

  phase('child heartbeat seen');
  const backend = createWin32Backend();
  const pid = child.pid!;
  const startTimeMs = backend.readStartTimeMs(pid)!;
  const snap = await backend.takeSnapshot({ includeHandleCount: true });
  report.childRow = snap.rows.find((r) => r.pid === pid) ?? null;
  const writer = createWin32MinidumpWriter();
  const base: DumpRequest = { pid, startTimeMs, kind: 'full', outDir };

  for (const kind of ['full', 'mini'] as const) {
    phase(`${kind} dump`);
    let progressEvents = 0;
    let lastBytes = 0;
    let estimate: number | null = null;
    try {
      const result = await writer.write({ ...base, kind }, {
        onProgress: (p) => {
          progressEvents++;
          lastBytes = p.bytesWritten;
          estimate = p.estimatedTotalBytes;
        },
      });
      report[kind] = { result, progressEvents, lastBytes, estimate, dacl: readFileDaclSddl(result.path) };
    } catch (err) {
      report[kind] = { error: errorCode(err) };
    }
  }

  phase('refusals');
  const refusals: Record<string, string> = {};
  const refuse = async (name: string, req: DumpRequest): Promise<void> => {
    try {
      await writer.write(req);
      refusals[name] = 'accepted';
    } catch (err) {
      refusals[name] = errorCode(err);
    }
  };
  await refuse('recycled', { ...base, startTimeMs: startTimeMs + 1 });
  await refuse('negativePid', { ...base, pid: -4 });
  await refuse('relativeDir', { ...base, outDir: 'dumps' });
  await refuse('missingDir', { ...base, outDir: join(outDir, 'no-such-folder') });
  await refuse('badKind', { ...base, kind: 'huge' as never });
  await refuse('systemPid', { ...base, pid: 4 });
  await refuse('gonePid', { ...base, pid: 0x7ffffff0 });
  report.refusals = refusals;

  // Suspend stops the heartbeat; resume restarts it.
  phase('suspend / resume');
  const target = { pid, startTimeMs };
  await backend.suspend(target);
  await sleep(300);
  const s0 = beat();
  await sleep(800);
  const s1 = beat();
  await backend.resume(target);
  await sleep(800);
  const r1 = beat();
  let wrongIdentity = 'accepted';
  try {
    await backend.suspend({ pid, startTimeMs: startTimeMs - 1000 });
  } catch (err) {
    wrongIdentity = (err as { code?: string }).code ?? 'unexpected';
  }
  report.suspend = { whileSuspended: [s0, s1], afterResume: r1, wrongIdentity };

  // The runas elevator: an exit code comes back, and an elevated helper writes a dump.
  phase('runas elevator');
  const elevator = createRunasElevator();
  const exitCode = await elevator.run(process.execPath, ['-e', 'process.exit(7)']);
  const resultFile = join(outDir, 'helper-result.json');
  phase('runas helper dump');
  const helperExit = await elevator.run(process.execPath, [process.argv[1]!, 'helper-dump', String(pid), String(startTimeMs), outDir, resultFile]);
  report.runas = {
    exitCode,
    helperExit,
    helper: existsSync(resultFile) ? JSON.parse(readFileSync(resultFile, 'utf8')) : null,
  };

  // Cancel: abort 300 ms in. Wine never calls the Cancel callback, so dbghelp runs on in the background, and the
  // partial file must be gone once that background call returns. The target is left running until then: Wine's
  // MiniDumpWriteDump can wait forever on a target terminated under it (1 run in 8 here: the call never returned,
  // so the file stayed and node.exe could not exit) — a Wine artefact, since Windows stops at the Cancel callback.
  phase('cancel');
  const before = new Set(readdirSync(outDir));
  const controller = new AbortController();
  const cancelStarted = Date.now();
  setTimeout(() => controller.abort(), 300);
  let cancelCode = 'finished';
  try {
    await writer.write(base, { signal: controller.signal });
  } catch (err) {
    cancelCode = errorCode(err);
  }
  const cancelMs = Date.now() - cancelStarted;
  phase('wait for the cancelled file to go');
  let leftovers: string[] = [];
  for (let i = 0; i < 900; i++) {
    leftovers = readdirSync(outDir).filter((f) => !before.has(f) && f.endsWith('.dmp'));
    if (leftovers.length === 0) break;
    await sleep(200);
  }
  phase('terminate');
  await backend.terminate(target);
  const killed = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
  report.cancel = { code: cancelCode, ms: cancelMs, leftovers };
  report.kill = { exited: killed, rowAfter: (await backend.takeSnapshot({ includeHandleCount: false })).rows.some((r) => r.pid === pid) };

  phase('done');
  backend.dispose();
  process.stdout.write(JSON.stringify(report));
  // A dbghelp call still running on koffi's thread would keep node.exe alive; the report says what it needs
  // (a cancelled file still there is a failure of its own), so the probe does not wait for it.
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
