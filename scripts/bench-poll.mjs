#!/usr/bin/env node
// `npm run bench:poll`: the Linux backend and poller against procps on a busy process table. Spawns 2,000 idle
// `sleep` processes (one process group, killed at the end whatever happens), then measures in the same run:
//   1. snapshot cost per 1,000 processes: our backend (warm = a steady poll, cold = a fresh backend) against
//      `ps -eo pid,ppid,user,rss,vsz,pcpu,nlwp,comm,args`, alternating, medians of several rounds;
//   2. CPU used over the same 10 s by our poller at a 1 s interval (in this process, process.cpuUsage()) and by
//      `top -b -d 1` (utime + stime from /proc/<top>/stat), both after a 3.5 s warm-up.
// Goals: both ratios ≤ 0.5. A benchmark, not a test: it prints figures and exits 0 unless something broke.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'rolldown';

const root = join(import.meta.dirname, '..');
const SLEEPERS = Number(process.env.BENCH_SLEEPERS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const CPU_WINDOW_MS = 10_000;
const WARM_UP_MS = 3_500;
const PS_ARGS = ['-eo', 'pid,ppid,user,rss,vsz,pcpu,nlwp,comm,args'];

if (process.platform !== 'linux') {
  console.error('bench:poll measures the Linux backend against ps and top: run it on Linux.');
  process.exit(2);
}

/** Bundle the TypeScript sources this bench needs into node_modules/.cache (so that `koffi` resolves). */
async function loadSources() {
  const outDir = join(root, 'node_modules', '.cache', 'procscope-bench');
  mkdirSync(outDir, { recursive: true });
  const entry = join(outDir, 'bench-entry.ts');
  const file = join(outDir, 'bench-entry.mjs');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(
    entry,
    `export { createLinuxBackend } from ${JSON.stringify(join(root, 'src-main/platform/linux/linux-backend.ts'))};\n` +
      `export { createPoller } from ${JSON.stringify(join(root, 'src-main/poller/poller.ts'))};\n`,
  );
  await build({ input: entry, platform: 'node', external: ['koffi'], logLevel: 'silent', output: { file, format: 'esm' } });
  return import(pathToFileURL(file).href);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x, digits = 2) => x.toFixed(digits);
const processCount = () => readdirSync('/proc').filter((n) => n.charCodeAt(0) >= 48 && n.charCodeAt(0) <= 57).length;

/** utime and stime (fields 14, 15) of a process in ms; USER_HZ is 100 on every Linux ABI procps supports. */
function cpuMsOfPid(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 };
}

let group = null;
function killGroup() {
  try {
    if (group) process.kill(-group.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

async function main() {
  const { createLinuxBackend, createPoller } = await loadSources();

  // One shell starts every sleeper in its own process group, so one kill(-pgid) ends them all.
  group = spawn('sh', ['-c', `i=0; while [ $i -lt ${SLEEPERS} ]; do sleep 3600 & i=$((i+1)); done; wait`], {
    detached: true,
    stdio: 'ignore',
  });
  process.on('exit', killGroup);
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

  const backend = createLinuxBackend();
  const deadline = Date.now() + 180_000;
  for (;;) {
    const snap = await backend.takeSnapshot({ includeHandleCount: false });
    const children = snap.rows.filter((r) => r.ppid === group.pid).length;
    if (children >= SLEEPERS) break;
    if (Date.now() > deadline) throw new Error(`only ${children} of ${SLEEPERS} sleepers started in 180 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  // The sleepers are no longer young (the backend re-reads identity fields of processes under 5 s old).
  await new Promise((r) => setTimeout(r, 5_500));
  const total = processCount();
  console.log(`bench:poll — ${SLEEPERS} sleepers spawned, ${total} processes in /proc, ${ROUNDS} rounds`);

  // 1. Snapshot cost, alternating ps / warm / cold so that machine noise hits all three alike.
  const psMs = [];
  const warmMs = [];
  const coldMs = [];
  await backend.takeSnapshot({ includeHandleCount: false });
  for (let i = 0; i < ROUNDS; i++) {
    let t = performance.now();
    const ps = spawnSync('ps', PS_ARGS, { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
    psMs.push(performance.now() - t);
    if (ps.status !== 0) throw new Error(`ps failed: ${ps.status}`);

    t = performance.now();
    await backend.takeSnapshot({ includeHandleCount: false });
    warmMs.push(performance.now() - t);

    const fresh = createLinuxBackend();
    t = performance.now();
    await fresh.takeSnapshot({ includeHandleCount: false });
    coldMs.push(performance.now() - t);
    fresh.dispose();
  }
  const per1000 = (ms) => (ms * 1000) / total;
  const ps1000 = per1000(median(psMs));
  const warm1000 = per1000(median(warmMs));
  const cold1000 = per1000(median(coldMs));
  console.log(`snapshot per 1,000 processes (median wall time):`);
  console.log(`  ps -eo pid,ppid,user,rss,vsz,pcpu,nlwp,comm,args  ${fmt(ps1000)} ms`);
  console.log(`  procscope, steady poll (warm caches)              ${fmt(warm1000)} ms   ratio ${fmt(warm1000 / ps1000)} × ps  (goal ≤ 0.5)`);
  console.log(`  procscope, first snapshot (cold caches)           ${fmt(cold1000)} ms   ratio ${fmt(cold1000 / ps1000)} × ps`);

  // 2. Poller CPU against top over the same 10 s. Both run for a warm-up first, so that the window holds what
  // each costs while it runs (an app polls for hours), not start-up — top's first screen, our first full read.
  const poller = createPoller(backend, { intervalMs: 1000 });
  let messages = 0;
  poller.subscribe(() => messages++);
  const top = spawn('top', ['-b', '-d', '1'], { stdio: ['ignore', 'ignore', 'ignore'] });
  poller.start();
  await new Promise((r) => setTimeout(r, WARM_UP_MS));
  const topStartMs = cpuMsOfPid(top.pid);
  const cpuStart = process.cpuUsage();
  const messagesBefore = messages;
  await new Promise((r) => setTimeout(r, CPU_WINDOW_MS));
  const used = process.cpuUsage(cpuStart);
  const topEnd = cpuMsOfPid(top.pid);
  const topUserMs = topEnd.user - topStartMs.user;
  const topSystemMs = topEnd.system - topStartMs.system;
  const topMs = topUserMs + topSystemMs;
  const polls = messages - messagesBefore;
  poller.dispose();
  top.kill('SIGKILL');
  const pollerMs = (used.user + used.system) / 1000;
  console.log(`CPU over ${CPU_WINDOW_MS / 1000} s at a 1 s interval:`);
  console.log(`  top -b -d 1                  ${fmt(topMs, 0)} ms (user ${fmt(topUserMs, 0)} + system ${fmt(topSystemMs, 0)})`);
  console.log(
    `  procscope poller (${polls} polls)  ${fmt(pollerMs, 0)} ms (user ${fmt(used.user / 1000, 0)} + system ${fmt(used.system / 1000, 0)})   ` +
      `ratio ${fmt(pollerMs / topMs)} × top  (goal ≤ 0.5)`,
  );

  backend.dispose();
  killGroup();
}

main().catch((err) => {
  console.error(`bench:poll failed: ${err instanceof Error ? err.stack : String(err)}`);
  killGroup();
  process.exit(1);
});
