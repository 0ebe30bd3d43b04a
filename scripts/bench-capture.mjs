#!/usr/bin/env node
// `npm run bench:capture`: does `procscope watch` miss short-lived children, against a 1 s /proc poller written to
// ProcDump for Linux's `-w` loop, on the same workload in the same run. A C parent (scripts/__fixtures__/bench-capture)
// posix_spawns children from a secondary pthread; each lives 1, 10, 100 or 1000 ms from its spawn (CLOCK_REALTIME,
// exec included) and logs its real lifetime. Part 1: children caught / spawned by ours (`seen`, tracing only; then
// with an exit mini core each, counting cores written) and by the poller running beside it, then the poller alone on
// an untraced run; latency spawn → seen / polled (percentiles). Part 2: the parent's back-to-back spawn-and-wait loop,
// untraced against under our watch (trace only, and one mini core at every exit), alternating order, medians; goal
// traced (trace only) ≤ 1.2 × untraced for 1 ms to 1 s children. The watch writes its --json lines to a file (a live
// Node reader on the same 2 cores is its own column), and a bare C ptrace loop shows the floor. For the 1 ms children it
// prints when main() started (fork → main: exec, the loader and every tracer stop before it): a child's life only grows
// once that eats its slack. Linux, root, gcc. Prints figures only; asserts nothing; removes its temp folder.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { bundleCli, cliEnv } from './bench-cli.mjs';

const fixtures = join(import.meta.dirname, '__fixtures__', 'bench-capture');
const PER_CLASS = Number(process.env.BENCH_PER_CLASS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Which parts run (BENCH_PARTS=2: the spawn loop only); both by default. */
const PARTS = (process.env.BENCH_PARTS ?? '1,2').split(',').map(Number);
const LIFETIMES_MS = [1, 10, 100, 1000];
// Part 1 spacing: a spawn every 10–110 ms (uniform), so the poller's phase against each child is independent.
const GAP_MIN_MS = 10;
const GAP_MAX_MS = 110;
// Part 2 loop sizes per lifetime (0 ms: exec and exit only, the worst case for tracing overhead).
const LOOP_COUNTS = { 0: 100, 1: 100, 10: 50, 100: 10, 1000: 3 };
const RATIO_GOAL = 1.2;
/** Part 2's extra columns (no goal): the watch read live by a Node line reader, and the C ptrace floor. */
const LIVE_MODE = 'watched, read live';
const FLOOR_MODE = 'C ptrace floor';
const FLOOR = Symbol('ptrace-floor');
/** The lifetimes issue 12's spawn-loop goal names (LIFETIMES_MS); LOOP_COUNTS adds 0 ms. */
const GOAL_LIFETIMES_MS = LIFETIMES_MS;
const work = mkdtempSync(join(tmpdir(), 'procscope-bench-capture-'));
const env = cliEnv;

function gcc(name) {
  const exe = join(work, name);
  const r = spawnSync('gcc', ['-O2', '-Wall', '-pthread', '-o', exe, join(fixtures, `${name}.c`)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc ${name}.c failed: ${r.stderr}`);
  return exe;
}


/** A child process read line by line: `next(prefix)` resolves with the first unread line starting with it. */
function lineProcess(argv, opts = {}) {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env, ...opts });
  const lines = [];
  const waiters = [];
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const closed = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  createInterface({ input: child.stdout }).on('line', (l) => {
    lines.push(l);
    for (const w of waiters.splice(0)) w();
  });
  const next = async (prefix) => {
    for (;;) {
      const found = lines.find((l) => l.startsWith(prefix));
      if (found) return found;
      const ended = await Promise.race([new Promise((r) => waiters.push(() => r(false))), closed.then(() => true)]);
      if (ended && !lines.some((l) => l.startsWith(prefix))) throw new Error(`${argv[0]} ended before '${prefix}': ${stderr.trim()}`);
    }
  };
  return { child, lines, next, closed, stderr: () => stderr };
}

/**
 * The watch, its stdout written to a file rather than read line by line as it comes: on this 2-core machine a
 * reader parsing each of its two JSON lines per child would take CPU from the parent being measured, and that cost
 * is this harness's, not the watch's (it still makes every write). `next(prefix)` looks in the file every 2 ms.
 */
function fileProcess(argv, path) {
  const out = openSync(path, 'wx', 0o600);
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', out, 'pipe'], env });
  closeSync(out);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const closed = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  let ended = false;
  void closed.then(() => (ended = true));
  const lines = () => readFileSync(path, 'utf8').split('\n').filter(Boolean);
  const next = async (prefix) => {
    for (;;) {
      const wasEnded = ended;
      const found = lines().find((l) => l.startsWith(prefix));
      if (found) return found;
      if (wasEnded) throw new Error(`${argv[0]} ended before '${prefix}': ${stderr.trim()}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  return { child, lines, next, closed, stderr: () => stderr };
}

/**
 * One run of the parent: optionally under our watch (extra CLI arguments) and beside the poller. The watch is armed
 * before "go" (what `armed` promises), the poller has made its first scan. Returns every line each side printed.
 */
async function runParent({ exes, mode, args, watchArgs, withPoller, cli, outDir, live = false }) {
  const log = join(work, `life-${Date.now()}-${Math.random().toString(36).slice(2)}.log`);
  const procs = [];
  try {
    const poller = withPoller ? lineProcess([exes.pollwait, 'bchild']) : null;
    if (poller) {
      procs.push(poller);
      await poller.next('polling');
    }
    const parent = lineProcess([exes.bparent, exes.bchild, log, mode, ...args]);
    procs.push(parent);
    const pid = Number((await parent.next('ready ')).split(' ')[1]);
    let watch = null;
    if (watchArgs) {
      const argv = watchArgs === FLOOR ? [exes.floor, String(pid)] : [process.execPath, cli, 'watch', String(pid), ...watchArgs, '--out', outDir, '--json', '--timeout', '900'];
      watch = live ? lineProcess(argv) : fileProcess(argv, `${log}.watch`);
      procs.push(watch);
      await watch.next('{"event":"armed"');
    }
    parent.child.stdin.end('go\n');
    await parent.next('done');
    await parent.closed;
    let events = [];
    if (watch) {
      await watch.next('{"event":"done"');
      await watch.closed;
      events = (live ? watch.lines : watch.lines()).map((l) => JSON.parse(l));
    }
    let polled = [];
    let scans = null;
    if (poller) {
      // Let the poller finish the pass it may be in, as ProcDump would keep running.
      poller.child.kill('SIGTERM');
      await poller.closed;
      polled = poller.lines.filter((l) => l.startsWith('seen ')).map((l) => l.split(' ').map(Number));
      const s = poller.lines.find((l) => l.startsWith('scans '))?.split(' ').map(Number);
      scans = s ? { count: s[1], meanMs: s[2], maxMs: s[3] } : null;
    }
    const children = parent.lines.filter((l) => l.startsWith('child ')).map((l) => {
      const [, p, life, forkMs] = l.split(' ');
      return { pid: Number(p), lifeClass: Number(life), forkMs: Number(forkMs) };
    });
    const statusOf = new Map(parent.lines.filter((l) => l.startsWith('exit ')).map((l) => l.split(' ').slice(1).map(Number)));
    const lived = new Map(readFileSync(log, 'latin1').trim().split('\n').filter(Boolean).map((l) => l.split(' ')).map(([, p, , ms, mainMs]) => [Number(p), { ms: Number(ms), mainMs: Number(mainMs) }]));
    for (const c of children) Object.assign(c, { status: statusOf.get(c.pid), livedMs: lived.get(c.pid)?.ms ?? null, mainMs: lived.get(c.pid)?.mainMs ?? null });
    const loops = parent.lines.filter((l) => l.startsWith('loop ')).map((l) => l.split(' ').slice(1).map(Number));
    return { children, events, polled, scans, loops };
  } finally {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    rmSync(log, { force: true });
    rmSync(`${log}.watch`, { force: true });
  }
}

function percentile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
const fmt = (ms) => (Number.isNaN(ms) ? '—' : ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const pct = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return `${fmt(percentile(s, 0.5))} / ${fmt(percentile(s, 0.95))} / ${fmt(percentile(s, 0.99))} / ${fmt(s.at(-1) ?? NaN)}`;
};
const median = (xs) => percentile([...xs].sort((a, b) => a - b), 0.5);
const pad = (s, n) => String(s).padEnd(n);

/** Matches a detection (pid, time) to the child of that pid spawned before it (pids may be reused across runs). */
function detections(children, hits) {
  const byPid = new Map(children.map((c) => [c.pid, c]));
  const found = new Map();
  for (const [pid, atMs] of hits) {
    const c = byPid.get(pid);
    if (c && atMs >= c.forkMs - 1 && !found.has(pid)) found.set(pid, atMs - c.forkMs);
  }
  return found;
}

async function partOne(exes, cli) {
  const outDir = join(work, 'cores');
  mkdirSync(outDir);
  const args = [String(GAP_MIN_MS), String(GAP_MAX_MS), ...LIFETIMES_MS.map((l) => `${l}:${PER_CLASS}`)];
  const pollerHits = (r) => detections(r.children, r.polled.map(([, pid, , atMs]) => [pid, atMs])); // "seen PID STARTTIME MS"
  const oursHits = (r) => detections(r.children, r.events.filter((e) => e.event === 'seen').map((e) => [e.pid, e.atMs]));
  console.log(`\n## 1. Children caught: ${PER_CLASS} per lifetime, one spawn every ${GAP_MIN_MS}–${GAP_MAX_MS} ms from a pthread of the parent`);
  const traceOnly = ['--children', '--name', 'bchild', '--on', 'crash'];
  const atExit = ['--children', '--name', 'bchild', '--on', 'exit', '--mini'];
  console.log(`run A: procscope watch ${traceOnly.join(' ')} (no dump fires, nothing is held) and the 1 s poller beside it`);
  const a = await runParent({ exes, mode: 'spread', args, watchArgs: traceOnly, withPoller: true, cli, outDir });
  console.log(`run B: procscope watch ${atExit.join(' ')} and the poller beside it`);
  const b = await runParent({ exes, mode: 'spread', args, watchArgs: atExit, withPoller: true, cli, outDir });
  const coreFiles = readdirSync(outDir).length;
  rmSync(outDir, { recursive: true, force: true });
  console.log('run C: the poller alone, untraced');
  const c = await runParent({ exes, mode: 'spread', args, watchArgs: null, withPoller: true, cli, outDir });

  const seenA = oursHits(a);
  const seenB = oursHits(b);
  const pollA = pollerHits(a);
  const pollB = pollerHits(b);
  const pollC = pollerHits(c);
  const dumps = new Set(b.events.filter((e) => e.event === 'dump' && e.trigger === 'exit').map((e) => e.pid));
  const of = (r, life) => r.children.filter((ch) => ch.lifeClass === life);
  const count = (cs, hits) => `${cs.filter((ch) => hits.has(ch.pid)).length}/${cs.length}`;
  const lived = (cs) => fmt(median(cs.map((ch) => ch.livedMs).filter((x) => x !== null)));
  const latency = (cs, hits) => pct(cs.filter((ch) => hits.has(ch.pid)).map((ch) => hits.get(ch.pid)));

  console.log('\nlifetime | lived p50 A / B / C | caught: ours A | poller A (same run) | poller C (alone) | ours B, its exit cores | poller B*');
  for (const life of LIFETIMES_MS) {
    const [ca, cb, cc] = [of(a, life), of(b, life), of(c, life)];
    console.log(
      `${pad(`${life} ms`, 8)} | ${pad(`${lived(ca)} / ${lived(cb)} / ${lived(cc)} ms`, 19)} | ${pad(count(ca, seenA), 14)} | ${pad(count(ca, pollA), 19)} | ` +
        `${pad(count(cc, pollC), 16)} | ${pad(`${count(cb, seenB)}, ${count(cb, dumps)}`, 22)} | ${count(cb, pollB)}`,
    );
  }
  console.log('\nlifetime | latency spawn → seen, ms p50 / p95 / p99 / max: ours A | ours B | poller A + C (caught ones)');
  for (const life of LIFETIMES_MS) {
    const pollLat = [...of(a, life), ...of(c, life)].map((ch) => pollA.get(ch.pid) ?? pollC.get(ch.pid)).filter((x) => x !== undefined);
    const pollCell = pollLat.length ? pct(pollLat) : '—';
    console.log(`${pad(`${life} ms`, 8)} | ${pad(latency(of(a, life), seenA), 58)} | ${pad(latency(of(b, life), seenB), 25)} | ${pollCell}`);
  }
  const errors = [...a.events, ...b.events].filter((e) => e.event === 'error');
  const exitedB = b.events.filter((e) => e.event === 'exited').length;
  console.log(
    `totals: A ${a.children.length} spawned, ours ${seenA.size}, poller ${pollA.size}; B ${b.children.length} spawned, ours ${seenB.size}, exited events ${exitedB}, ` +
      `exit cores ${dumps.size} (files in the folder ${coreFiles}), poller ${pollB.size}; C ${c.children.length} spawned, poller ${pollC.size}; watch errors ${errors.length}`,
  );
  const dumpEvents = b.events.filter((e) => e.event === 'dump');
  if (dumpEvents.length) {
    console.log(
      `B's exit cores: ${fmt(median(dumpEvents.map((e) => e.fileBytes)) / 1024)} KiB each (median); each child held at its exit (queue + write) for ` +
        `${pct(dumpEvents.map((e) => e.targetPauseMs))} ms (p50 / p95 / p99 / max), which its parent's waitpid waits out`,
    );
  }
  for (const e of errors.slice(0, 5)) console.log(`  error: pid ${e.pid} ${e.error.code}: ${e.error.message}`);
  const bad = [a, b, c].flatMap((r) => r.children).filter((ch) => ch.status !== 0).length;
  if (bad) console.log(`  ${bad} children did not exit 0 (the watch must never change how they end)`);
  console.log(`poller: a /proc pass takes ${a.scans?.meanMs.toFixed(2)} ms mean (max ${a.scans?.maxMs.toFixed(2)}), then sleep(1), so its period is over 1000 ms`);
  console.log('* poller B is inflated: our exit holds keep each child in /proc until its core is written. The peer on its own is column C.');
  console.log('ours "seen" = the watch reported the child (at its exec, where its name matches --name; the kernel stops it from birth);');
  console.log('its atMs is Date.now(), so our latencies have 1 ms resolution. Poller "caught" = found alive by a pass: an upper bound on what ProcDump -w could dump.');
}

async function partTwo(exes, cli) {
  const args = Object.entries(LOOP_COUNTS).map(([l, k]) => `${l}:${k}`);
  const modes = {
    untraced: null,
    'watched, no dump fires': ['--children', '--name', 'bchild', '--on', 'crash'],
    'watched, exit mini core each': ['--children', '--name', 'bchild', '--on', 'exit', '--mini'],
    // The same trace-only watch with a Node reader parsing each JSON line as it comes, on the same cores.
    [LIVE_MODE]: ['--children', '--name', 'bchild', '--on', 'crash'],
    // The kernel's floor: a C loop that only resumes stops (ptrace-floor.c).
    [FLOOR_MODE]: FLOOR,
  };
  const names = Object.keys(modes);
  const walls = Object.fromEntries(names.map((n) => [n, Object.fromEntries(Object.keys(LOOP_COUNTS).map((l) => [l, []]))]));
  /** Per mode, the 1 ms children's fork → main() and fork → exit times (every round). */
  const starts = Object.fromEntries(names.map((n) => [n, { mainMs: [], livedMs: [] }]));
  console.log(`\n## 2. The parent's spawn loop (posix_spawn, then waitpid, back to back), ${ROUNDS} rounds, order rotated each round`);
  for (let round = 0; round < ROUNDS; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]);
    for (const mode of order) {
      const outDir = join(work, `loop-cores-${round}`);
      mkdirSync(outDir, { recursive: true });
      try {
        const r = await runParent({ exes, mode: 'loop', args, watchArgs: modes[mode], withPoller: false, cli, outDir, live: mode === LIVE_MODE });
        for (const [life, , wallMs] of r.loops) walls[mode][life].push(wallMs);
        for (const c of r.children.filter((ch) => ch.lifeClass === 1 && ch.mainMs !== null)) {
          starts[mode].mainMs.push(c.mainMs);
          starts[mode].livedMs.push(c.livedMs);
        }
        const cores = readdirSync(outDir).length;
        const pauses = r.events.filter((e) => e.event === 'dump').map((e) => e.targetPauseMs);
        const dumped = modes[mode] !== FLOOR && modes[mode]?.includes('exit') ? `; ${cores} cores, held at exit p50 ${fmt(median(pauses))} ms` : '';
        console.log(`round ${round + 1} ${pad(mode, 28)} ${r.loops.map(([l, k, w]) => `${l} ms×${k}: ${fmt(w)} ms`).join(', ')}${dumped}`);
      } finally {
        rmSync(outDir, { recursive: true, force: true });
      }
    }
  }
  console.log(`\nlifetime × count | untraced median | ${names.slice(1).map((n) => `${n}: median, ratio`).join(' | ')}`);
  for (const [life, k] of Object.entries(LOOP_COUNTS)) {
    const base = median(walls.untraced[life]);
    const cells = names.slice(1).map((n, i) => {
      const m = median(walls[n][life]);
      const ratio = m / base;
      // The goal is the traced loop's (the first watched mode) for the issue's lifetimes; 0 ms is our extra row.
      const verdict = i > 0 ? '' : !GOAL_LIFETIMES_MS.includes(Number(life)) ? ' (no goal)' : ratio <= RATIO_GOAL ? ' met' : ' MISSED';
      return `${fmt(m)} ms, ${ratio.toFixed(2)} ×${verdict} (+${fmt((m - base) / k)} ms/child)`;
    });
    console.log(`${pad(`${life} ms × ${k}`, 16)} | ${pad(`${fmt(base)} ms (${fmt(base / k)}/child)`, 15)} | ${cells.join(' | ')}`);
  }
  // What the 1 ms row is made of: a child lives to its deadline only if exec, the loader and the tracer's stops on
  // the way leave it time to; past that, every microsecond of them is added to its life, and to the loop.
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)];
  console.log('\n1 ms children, fork → start of main() (exec, the loader, every stop on the way) and fork → exit, all rounds:');
  for (const n of names) {
    const s = starts[n];
    if (s.mainMs.length === 0) continue;
    console.log(`  ${pad(n, 28)} main() at mean ${mean(s.mainMs).toFixed(3)} ms (p90 ${p90(s.mainMs).toFixed(3)}), exit at mean ${mean(s.livedMs).toFixed(3)} ms`);
  }
  console.log(
    `goal (issue 12): the traced loop ("${names[1]}") ≤ ${RATIO_GOAL} × untraced for children of ${GOAL_LIFETIMES_MS.join(', ')} ms; ` +
      '0 ms (exec and exit only) is the worst case, shown without a goal. With an exit core each, every child waits for its core ' +
      'to be written before its parent sees it exit: that column shows the cost, and has no goal.',
  );
  console.log(
    `The watch's --json output goes to a file, as \`procscope watch … > log\` would; "${LIVE_MODE}" has a Node reader parse each line ` +
      `as it comes on the same cores (what a live consumer costs, no goal). "${FLOOR_MODE}" only resumes each stop, in C: the least ` +
      'any ptrace watch can cost here (no goal).',
  );
  console.log('The machine may be shared: compare the rounds above (order rotated) and the load averages before trusting one median.');
}

async function main() {
  if (process.platform !== 'linux') throw new Error('bench:capture measures the Linux ptrace engine: run it on Linux.');
  if (process.getuid?.() !== 0) throw new Error('bench:capture needs root (it traces processes and compares with a /proc poller run as root).');
  if (spawnSync('sh', ['-c', 'command -v gcc']).status !== 0) throw new Error('bench:capture needs gcc (apt-get install gcc).');
  const exes = { bchild: gcc('bchild'), bparent: gcc('bparent'), pollwait: gcc('pollwait'), floor: gcc('ptrace-floor') };
  const cli = await bundleCli(join(work, 'cli'));
  console.log(`bench:capture — ${new Date().toISOString()}, node ${process.version}, ${readFileSync('/proc/sys/kernel/osrelease', 'latin1').trim()}`);
  console.log(`load average at start: ${readFileSync('/proc/loadavg', 'latin1').trim()}`);
  if (PARTS.includes(1)) await partOne(exes, cli);
  if (PARTS.includes(2)) await partTwo(exes, cli);
  console.log(`\nload average at end: ${readFileSync('/proc/loadavg', 'latin1').trim()}`);
}

main()
  .catch((err) => {
    console.error(`bench:capture: ${err.message}`);
    process.exitCode = 1;
  })
  .finally(() => rmSync(work, { recursive: true, force: true }));
