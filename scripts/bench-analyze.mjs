#!/usr/bin/env node
// `npm run bench:analyze`: what a user waits for when analysing a 1 GiB full core — `procscope analyze CORE --json`
// (the built CLI, out/main/cli.js; node's start included, output to /dev/null) from process start to exit — against
// gdb's `thread apply all bt` on the same core, same run, alternating which goes first. Goal: ours <= 0.5 x gdb.
// Targets: the C program of the core writer's tests (gcc -O2; five threads parked in named functions) with 1 GiB of
// touched heap, and a node process holding 1 GiB of Buffers; each dumped FULL by our own writer (`procscope dump
// --full`). Every run is timed twice: warm (the core still in the page cache, as right after the dump) and, as root,
// cold (page cache dropped before the run). Peak RSS of each run is /usr/bin/time's maximum resident set size (%M,
// from wait4's rusage). Floor: node's own start (`node -e 0`). Before timing, one run of each is checked: both see
// every thread, and both name the fixture's park functions. Needs out/ built (npx electron-vite build), gcc, gdb,
// /usr/bin/time; root for the cold row. Removes its temp folder.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const HEAP_MIB = Number(process.env.BENCH_HEAP_MIB ?? 1024);
const RATIO_GOAL = 0.5;
const root = join(import.meta.dirname, '..');
const cli = join(root, 'out', 'main', 'cli.js');
const work = mkdtempSync(join(tmpdir(), 'procscope-bench-analyze-'));
const isRoot = process.getuid?.() === 0;

const NODE_TARGET = `
const bufs = [];
const pattern = Buffer.alloc(4096);
for (let i = 0; i < pattern.length; i++) pattern[i] = (i * 131 + 7) % 251 + 1;
for (let i = 0; i < ${HEAP_MIB / 16}; i++) { const b = Buffer.allocUnsafeSlow(16 << 20); b.fill(pattern); bufs.push(b); }
console.log('marker 0x0 none');
console.log('ready ' + process.pid);
process.stdin.resume();
`;

function need(ok, message) {
  if (!ok) throw new Error(message);
}

function sh(cmd) {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  return r.stdout;
}

/** Starts a target that prints "marker …" then "ready PID"; resolves once it is ready. */
async function startTarget(argv) {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const pid = await new Promise((resolve, reject) => {
    lines.on('line', (l) => l.startsWith('ready ') && resolve(Number(l.split(' ')[1])));
    child.on('exit', (code) => reject(new Error(`${argv[0]} exited (${code}) before it was ready`)));
  });
  return { pid, stop: () => child.kill('SIGKILL') };
}

function dumpFull(pid) {
  const r = spawnSync(process.execPath, [cli, 'dump', String(pid), '--full', '--out', work, '--json'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`procscope dump failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/**
 * One run of argv under /usr/bin/time: wall from spawn to exit (ms, measured here), peak RSS (KiB, time's %M), exit
 * status. Output goes to /dev/null unless `capture` (then returned).
 */
function timedRun(argv, { cold = false, capture = false } = {}) {
  if (cold) sh('sync; echo 3 > /proc/sys/vm/drop_caches');
  const rssFile = join(work, 'rss.txt');
  const devnull = openSync('/dev/null', 'w');
  try {
    const t0 = process.hrtime.bigint();
    const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', rssFile, ...argv], {
      stdio: ['ignore', capture ? 'pipe' : devnull, capture ? 'pipe' : devnull],
      encoding: 'utf8',
      maxBuffer: 256 << 20,
    });
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr ?? ''}`);
    const rssKiB = Number(readFileSync(rssFile, 'latin1').trim().split('\n').at(-1));
    return { wallMs, rssKiB, stdout: r.stdout, stderr: r.stderr };
  } finally {
    closeSync(devnull);
  }
}

const oursArgv = (core) => [process.execPath, cli, 'analyze', core, '--json'];
const gdbArgv = (exe, core) => ['gdb', '-batch', '-nx', '-ex', 'thread apply all bt', exe, core];

/** One checked run of each: same threads, and (for the C target) every park function named by both. */
function check(exe, core, names) {
  const ours = JSON.parse(timedRun(oursArgv(core), { capture: true }).stdout);
  const gdb = timedRun(gdbArgv(exe, core), { capture: true }).stdout;
  const gdbThreads = (gdb.match(/^Thread \d+ /gm) ?? []).length;
  need(ours.threads.length === gdbThreads, `thread count differs: procscope ${ours.threads.length}, gdb ${gdbThreads}`);
  for (const name of names) {
    need(ours.threads.some((t) => t.frames.some((f) => f.function === name)), `procscope names no frame ${name}`);
    need(new RegExp(` in ${name} `).test(gdb), `gdb names no frame ${name}`);
  }
  const frames = ours.threads.reduce((n, t) => n + t.frames.length, 0);
  const gdbFrames = (gdb.match(/^#\d+ /gm) ?? []).length;
  return `${ours.threads.length} threads in both; frames: procscope ${frames}, gdb ${gdbFrames}` +
    (names.length ? `; both name ${names.join(', ')}` : '');
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmtMs = (ms) => `${ms.toFixed(0).padStart(5)} ms`;
const fmtMiB = (kib) => `${(kib / 1024).toFixed(0).padStart(4)} MiB`;
const results = [];

async function benchTarget(label, argv, exe, names) {
  const target = await startTarget(argv);
  let core;
  try {
    core = dumpFull(target.pid).path;
  } finally {
    target.stop();
  }
  const size = statSync(core).size;
  console.log(`\n## ${label}: full core by procscope dump, ${(size / 2 ** 30).toFixed(2)} GiB`);
  console.log(`check: ${check(exe, core, names)}`);
  for (const cold of isRoot ? [false, true] : [false]) {
    const runs = { ours: [], gdb: [] };
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 ? ['ours', 'gdb'] : ['gdb', 'ours'];
      for (const who of order) runs[who].push(timedRun(who === 'ours' ? oursArgv(core) : gdbArgv(exe, core), { cold }));
      console.log(
        `${cold ? 'cold' : 'warm'} round ${round}: procscope ${fmtMs(runs.ours.at(-1).wallMs)} (peak ${fmtMiB(runs.ours.at(-1).rssKiB)}), ` +
          `gdb ${fmtMs(runs.gdb.at(-1).wallMs)} (peak ${fmtMiB(runs.gdb.at(-1).rssKiB)})`,
      );
    }
    const m = (who, k) => median(runs[who].map((r) => r[k]));
    const best = (who) => Math.min(...runs[who].map((r) => r.wallMs));
    const ratio = m('ours', 'wallMs') / m('gdb', 'wallMs');
    const row = `${label}, ${cold ? 'cold cache' : 'warm cache'}`;
    console.log(
      `  median wall: procscope ${fmtMs(m('ours', 'wallMs'))} (best ${best('ours').toFixed(0)}), gdb ${fmtMs(m('gdb', 'wallMs'))} ` +
        `(best ${best('gdb').toFixed(0)}) -> ratio ${ratio.toFixed(2)} x`,
    );
    console.log(`  median peak RSS: procscope ${fmtMiB(m('ours', 'rssKiB'))}, gdb ${fmtMiB(m('gdb', 'rssKiB'))}`);
    results.push({ row, ratio });
  }
  rmSync(core, { force: true });
}

async function main() {
  for (const tool of ['gcc', 'gdb']) need(spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0, `bench:analyze needs ${tool}`);
  need(spawnSync('/usr/bin/time', ['true']).status === 0, 'bench:analyze needs /usr/bin/time (Debian: apt-get install time)');
  try {
    statSync(cli);
  } catch {
    throw new Error(`${cli} is missing: run npx electron-vite build first`);
  }
  const exe = join(work, 'dump-target');
  sh(`gcc -O2 -pthread -o ${exe} ${join(root, 'src-main/dump/linux/__fixtures__/dump-target.c')}`);
  const nodeTarget = join(work, 'node-target.cjs');
  writeFileSync(nodeTarget, NODE_TARGET);
  console.log(
    `bench:analyze — ${ROUNDS} rounds per row, alternating order, medians; wall = spawn to exit measured here, ` +
      `peak RSS = /usr/bin/time %M; ${new Date().toISOString()}`,
  );
  if (!isRoot) console.log('not root: the cold-cache rows are skipped (they drop the page cache)');
  console.log(`load average at start: ${readFileSync('/proc/loadavg', 'latin1').trim()}`);
  const floor = [];
  for (let i = 0; i < ROUNDS; i++) floor.push(timedRun([process.execPath, '-e', '0']));
  console.log(
    `floor: node -e 0 median ${median(floor.map((r) => r.wallMs)).toFixed(0)} ms, peak ${fmtMiB(median(floor.map((r) => r.rssKiB)))}`,
  );
  await benchTarget(`C program, ${HEAP_MIB} MiB touched heap`, [exe, String(HEAP_MIB)], exe, [
    'park_alpha',
    'park_bravo',
    'park_charlie',
    'park_delta',
    'heartbeat_loop',
  ]);
  await benchTarget(`node, ${HEAP_MIB} MiB of Buffers`, [process.execPath, nodeTarget], process.execPath, []);
  console.log(`\nload average at end: ${readFileSync('/proc/loadavg', 'latin1').trim()}`);
  console.log(`goal: procscope analyze <= ${RATIO_GOAL} x gdb "thread apply all bt", median wall, same core, same run`);
  for (const { row, ratio } of results) console.log(`${ratio <= RATIO_GOAL ? 'PASS' : 'MISS'} ${row}: ${ratio.toFixed(2)} x`);
}

main()
  .catch((err) => {
    console.error(`bench:analyze: ${err.message}`);
    process.exitCode = 1;
  })
  .finally(() => rmSync(work, { recursive: true, force: true }));
