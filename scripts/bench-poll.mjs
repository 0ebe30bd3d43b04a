#!/usr/bin/env node
// `npm run bench:poll`: the Linux backend and poller against procps on a busy process table. Spawns 2,000 idle
// `sleep` processes (one process group, killed at the end whatever happens), then measures in the same run:
//   1. snapshot cost per 1,000 processes: our backend (warm = a steady poll, cold = a fresh backend in this
//      process) against `ps -eo pid,ppid,user,rss,vsz,pcpu,nlwp,comm,args`, alternating, medians of several rounds;
//   2. a poll after 10 % of the sleepers were replaced (killed, and as many new ones started and settled), each
//      against a ps run after its own replacement, alternating;
//   3. a cold first snapshot in a fresh process (node's start, the bundle's load, one snapshot: what the app's first
//      paint pays) and `procscope list --json` (the CLI bundled from these sources as CommonJS with koffi, zod and ws
//      left to node_modules, as out/main/cli.js ships), whole-process CPU (user + system from bash's `time`, node's
//      start included) against ps's, alternating;
//   4. CPU used over the same 10 s by our poller at a 1 s interval (in this process, process.cpuUsage()) and by
//      `top -b -d 1` (utime + stime from /proc/<top>/stat), both after a 3.5 s warm-up.
// Goals (issues 6 and 15): steady poll ≤ 0.5 × ps, poller CPU ≤ 0.3 × top, list --json CPU ≤ 1.2 × ps. A benchmark,
// not a test: it prints figures and exits 0 unless something broke.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'rolldown';
import { bundleCli, cliEnv } from './bench-cli.mjs';

const root = join(import.meta.dirname, '..');
/** Where the bench bundles go; BENCH_POLL_CACHE must lie under this checkout's node_modules (so `koffi` resolves). */
const cacheDir = process.env.BENCH_POLL_CACHE ?? join(root, 'node_modules', '.cache', 'procscope-bench');
const SLEEPERS = Number(process.env.BENCH_SLEEPERS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const CPU_WINDOW_MS = 10_000;
const WARM_UP_MS = 3_500;
const PS_ARGS = ['-eo', 'pid,ppid,user,rss,vsz,pcpu,nlwp,comm,args'];
/** Share of the sleepers replaced before each churn poll. */
const CHURN = 0.1;

if (process.platform !== 'linux') {
  console.error('bench:poll measures the Linux backend against ps and top: run it on Linux.');
  process.exit(2);
}

/** Bundle the TypeScript sources this bench needs into node_modules/.cache (so that `koffi` resolves). */
async function loadSources() {
  const outDir = cacheDir;
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
  // A fresh process's first snapshot: node's start, the bundle's load, one snapshot written out as JSON.
  const coldEntry = join(outDir, 'bench-cold.ts');
  writeFileSync(
    coldEntry,
    `import { createLinuxBackend } from ${JSON.stringify(join(root, 'src-main/platform/linux/linux-backend.ts'))};\n` +
      `const b = createLinuxBackend();\nconst s = await b.takeSnapshot({ includeHandleCount: false });\n` +
      `process.stdout.write(JSON.stringify(s.rows));\nb.dispose();\n`,
  );
  await build({ input: coldEntry, platform: 'node', external: ['koffi'], logLevel: 'silent', output: { file: join(outDir, 'bench-cold.mjs'), format: 'esm' } });
  // The CLI as out/main/cli.js is built (CommonJS, lazy command chunks), from the sources as they are now.
  cliScript = await bundleCli(join(outDir, 'cli'));
  return import(pathToFileURL(file).href);
}

/** The bundled CLI (set by loadSources). */
let cliScript = '';

/** Whole-process CPU (user + system) and wall time of a command, from bash's `time` (it waits for the child). */
function timed(command) {
  const r = spawnSync('bash', ['-c', `TIMEFORMAT='%R %U %S'; time ${command} > /dev/null`], { encoding: 'utf8', cwd: root, env: cliEnv });
  const m = /([\d.]+) ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`${command} failed: ${r.status} ${r.stderr}`);
  return { wallMs: Number(m[1]) * 1000, cpuMs: (Number(m[2]) + Number(m[3])) * 1000 };
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
/** The groups of replacement sleepers started by the churn phase (each its own process group, killed at the end). */
const churnGroups = [];
function killGroup() {
  for (const g of [group, ...churnGroups]) {
    try {
      if (g) process.kill(-g.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

const childrenOf = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

/** Kills the oldest CHURN share of the sleepers and starts as many, then waits until all new ones run and the old are reaped. */
async function replaceSleepers() {
  const shells = [group, ...churnGroups];
  const live = shells.flatMap((g) => childrenOf(g.pid));
  const victims = live.slice(0, Math.round(SLEEPERS * CHURN));
  for (const pid of victims) process.kill(pid, 'SIGKILL');
  const shell = spawn('sh', ['-c', `i=0; while [ $i -lt ${victims.length} ]; do sleep 3600 & i=$((i+1)); done; wait`], {
    detached: true,
    stdio: 'ignore',
  });
  churnGroups.push(shell);
  const deadline = Date.now() + 60_000;
  const gone = (pid) => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'latin1').includes(') Z ');
    } catch {
      return true;
    }
  };
  while (childrenOf(shell.pid).length < victims.length || !victims.every(gone)) {
    if (Date.now() > deadline) throw new Error('replacement sleepers did not start in 60 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  // The new sleepers have exec'd sleep (not still the forked shell): their comm says so.
  for (const pid of childrenOf(shell.pid)) {
    while (!readFileSync(`/proc/${pid}/comm`, 'latin1').startsWith('sleep')) await new Promise((r) => setTimeout(r, 5));
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

  // 2. A poll after 10 % of the processes were replaced, against ps after its own replacement.
  const churnPsMs = [];
  const churnOursMs = [];
  const churnRounds = Math.max(3, Math.round(ROUNDS / 3));
  for (let i = 0; i < churnRounds; i++) {
    await replaceSleepers();
    let t = performance.now();
    spawnSync('ps', PS_ARGS, { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
    churnPsMs.push(performance.now() - t);
    await replaceSleepers();
    t = performance.now();
    await backend.takeSnapshot({ includeHandleCount: false });
    churnOursMs.push(performance.now() - t);
  }
  const churnPs1000 = per1000(median(churnPsMs));
  const churnOurs1000 = per1000(median(churnOursMs));
  console.log(`a poll with ${CHURN * 100} % of the sleepers replaced since the last (${Math.round(SLEEPERS * CHURN)} new processes), ${churnRounds} rounds:`);
  console.log(`  ps                                                ${fmt(churnPs1000)} ms`);
  console.log(`  procscope, poll after the replacement             ${fmt(churnOurs1000)} ms   ratio ${fmt(churnOurs1000 / churnPs1000)} × ps`);
  // Settle: the replacements are young (identity re-read at 1 s and 5 s); let them age before the CPU window.
  await new Promise((r) => setTimeout(r, 5_500));
  await backend.takeSnapshot({ includeHandleCount: false });

  // 3. Fresh processes, whole-process CPU (what the user waits for and pays), alternating with ps.
  const psCmd = `ps ${PS_ARGS.join(' ')}`;
  const coldCmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(join(cacheDir, 'bench-cold.mjs'))}`;
  const listCmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(cliScript)} list --json`;
  const nodeCmd = `${JSON.stringify(process.execPath)} -e 0`;
  const fresh = { ps: [], cold: [], list: [], node: [] };
  for (let i = 0; i < Math.max(5, Math.round(ROUNDS / 2)); i++) {
    fresh.ps.push(timed(psCmd));
    fresh.cold.push(timed(coldCmd));
    fresh.ps.push(timed(psCmd));
    fresh.list.push(timed(listCmd));
    fresh.node.push(timed(nodeCmd));
  }
  const med = (xs, k) => median(xs.map((x) => x[k]));
  const line = (label, xs) =>
    `  ${label.padEnd(48)}  CPU ${fmt(med(xs, 'cpuMs'), 0)} ms (${fmt(med(xs, 'cpuMs') / med(fresh.ps, 'cpuMs'))} × ps), wall ${fmt(med(xs, 'wallMs'), 0)} ms (${fmt(med(xs, 'wallMs') / med(fresh.ps, 'wallMs'))} × ps)`;
  console.log(`fresh processes, whole-process CPU (user + system) and wall, medians of ${fresh.ps.length / 2} rounds:`);
  console.log(`  ${'ps -eo pid,ppid,user,rss,vsz,pcpu,nlwp,comm,args'.padEnd(48)}  CPU ${fmt(med(fresh.ps, 'cpuMs'), 0)} ms, wall ${fmt(med(fresh.ps, 'wallMs'), 0)} ms`);
  console.log(line('node -e 0 (the floor under any node CLI)', fresh.node));
  console.log(line('cold first snapshot in a fresh node process', fresh.cold));
  const listRatio = med(fresh.list, 'cpuMs') / med(fresh.ps, 'cpuMs');
  console.log(`${line('procscope list --json', fresh.list)}  (goal CPU ≤ 1.2 × ps: ${listRatio <= 1.2 ? 'met' : 'MISSED'})`);

  // 4. Poller CPU against top over the same 10 s. Both run for a warm-up first, so that the window holds what
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
      `ratio ${fmt(pollerMs / topMs)} × top  (goal ≤ 0.3: ${pollerMs / topMs <= 0.3 ? 'met' : 'MISSED'})`,
  );
  console.log(`load average at the end: ${readFileSync('/proc/loadavg', 'latin1').trim()} (2 cores; other work on the machine shows here)`);

  backend.dispose();
  killGroup();
}

main().catch((err) => {
  console.error(`bench:poll failed: ${err instanceof Error ? err.stack : String(err)}`);
  killGroup();
  process.exit(1);
});
