/*
 * Windows side of bench:win (runs under Wine): starts extra Wine processes (ping.exe, which waits ~1 s per echo)
 * until about 50 run, then times one poll of our source (one NtQuerySystemInformation call + parse) against the
 * naive source (CreateToolhelp32Snapshot + OpenProcess / GetProcessTimes / K32GetProcessMemoryInfo /
 * GetProcessHandleCount per process), and prints the figures as JSON.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readNaiveCounters, toolhelpProcesses } from '../../../src-main/platform/win32/ffi/kernel32';
import { createWin32Backend, readSystemProcessRecords } from '../../../src-main/platform/win32/win32-backend';

const TARGET_PROCESSES = 50;
const ROUNDS = 200;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  const children: ChildProcess[] = [];
  const running = (): number => readSystemProcessRecords().length;
  for (let i = 0; running() < TARGET_PROCESSES && i < TARGET_PROCESSES; i++) {
    children.push(spawn('C:\\windows\\system32\\ping.exe', ['-n', '300', '127.0.0.1'], { stdio: 'ignore' }));
    if (i % 8 === 7) await sleep(300);
  }
  await sleep(1500);
  const processCount = running();

  const ours: number[] = [];
  const naive: number[] = [];
  let naiveOpened = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let t = performance.now();
    const records = readSystemProcessRecords();
    ours.push(performance.now() - t);
    if (records.length < 2) throw new Error('empty poll');
    t = performance.now();
    const list = toolhelpProcesses();
    let opened = 0;
    for (const p of list) if (readNaiveCounters(p.pid)) opened++;
    naive.push(performance.now() - t);
    naiveOpened = opened;
  }
  // The full backend poll with its extras cache warm, as the app runs it every second.
  const backend = createWin32Backend();
  await backend.takeSnapshot({ includeHandleCount: true });
  const full: number[] = [];
  for (let round = 0; round < 50; round++) {
    const t = performance.now();
    await backend.takeSnapshot({ includeHandleCount: true });
    full.push(performance.now() - t);
  }
  const t0 = performance.now();
  await createWin32Backend().takeSnapshot({ includeHandleCount: true });
  const coldMs = performance.now() - t0;
  for (const c of children) c.kill();
  process.stdout.write(JSON.stringify({
    processCount, rounds: ROUNDS, naiveOpened,
    oursMedianMs: median(ours), naiveMedianMs: median(naive), backendWarmMedianMs: median(full), backendColdMs: coldMs,
  }));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
