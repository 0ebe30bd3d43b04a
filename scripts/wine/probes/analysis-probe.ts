/*
 * Windows side of the minidump analysis check (runs under Wine): dumps one already running process, full and mini,
 * with our real writer (MiniDumpWriteDump through koffi, and the analysis pack it writes beside each dump), and
 * prints one JSON line {full, mini} with each dump's path and pack path, or error. With `node-mini OUTDIR` it
 * starts an idle node.exe child itself and writes one mini dump of it (with its pack; none after `--no-pack`). scripts/test-win-analysis.mjs
 * starts the parked fixture, takes winedbg's live `bt all`, runs this, and then judges the dumps with our Linux-side
 * reader and unwinder. It asserts nothing itself.
 */
import { spawn } from 'node:child_process';
import { createWin32MinidumpWriter } from '../../../src-main/dump/win32/win32-minidump-writer';
import { createWin32Backend } from '../../../src-main/platform/win32/win32-backend';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function dump(pid: number, outDir: string, kinds: readonly ('full' | 'mini')[], analysisPack = true): Promise<Record<string, unknown>> {
  const startTimeMs = createWin32Backend().readStartTimeMs(pid);
  const report: Record<string, unknown> = { pid, startTimeMs };
  const writer = createWin32MinidumpWriter();
  for (const kind of kinds) {
    try {
      const r = await writer.write({ pid, startTimeMs: startTimeMs!, kind, outDir }, { analysisPack });
      report[kind] = { path: r.path, fileBytes: r.fileBytes, durationMs: r.durationMs, analysisPackPath: r.analysisPackPath ?? null };
    } catch (err) {
      report[kind] = { error: err instanceof Error ? err.message : String(err) };
    }
  }
  return report;
}

async function main(): Promise<void> {
  const [first, outDir, option] = process.argv.slice(2);
  if (first === 'node-mini') {
    // An idle node.exe: its main thread waits in libuv's completion port, V8's and libuv's threads in their waits.
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      await sleep(1500);
      process.stdout.write(`${JSON.stringify(await dump(child.pid!, outDir!, ['mini'], option !== '--no-pack'))}\n`);
    } finally {
      child.kill();
    }
    return;
  }
  process.stdout.write(`${JSON.stringify(await dump(Number(first), outDir!, ['full', 'mini']))}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
