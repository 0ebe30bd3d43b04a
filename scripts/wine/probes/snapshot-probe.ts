/*
 * Windows side of the snapshot test (runs under Wine): our NtQuerySystemInformation snapshot and a Toolhelp
 * snapshot taken back to back, twice more if they disagree (a process may start or end between the two), printed
 * as JSON for scripts/test-win.mjs to compare. Also the extras of this process and a cache check.
 */
import { spawn } from 'node:child_process';
import { toolhelpProcesses } from '../../../src-main/platform/win32/ffi/kernel32';
import { createWin32Backend } from '../../../src-main/platform/win32/win32-backend';

async function main(): Promise<void> {
  // A few children of our own, so parent links are checked on processes we know the parent of.
  const children = Array.from({ length: 5 }, () =>
    spawn('C:\\windows\\system32\\ping.exe', ['-n', '30', '127.0.0.1'], { stdio: 'ignore' }),
  );
  await new Promise((r) => setTimeout(r, 1500));
  const backend = createWin32Backend();
  const first = await backend.takeSnapshot({ includeHandleCount: true });
  const tool = toolhelpProcesses();
  const t0 = performance.now();
  const second = await backend.takeSnapshot({ includeHandleCount: true });
  const secondPollMs = performance.now() - t0;
  const self = second.rows.find((r) => r.pid === process.pid) ?? null;
  process.stdout.write(
    JSON.stringify({
      selfPid: process.pid,
      childPids: children.map((c) => c.pid),
      ours: first.rows.map((r) => ({ pid: r.pid, ppid: r.ppid, name: r.name, threads: r.threadCount, startTimeMs: r.startTimeMs })),
      toolhelp: tool,
      self,
      secondPollMs,
      cpuCount: first.cpuCount,
      readStartTimeMs: backend.readStartTimeMs(process.pid),
      goneStartTimeMs: backend.readStartTimeMs(0x7ffffff0),
    }),
  );
  backend.dispose();
  for (const c of children) c.kill();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
