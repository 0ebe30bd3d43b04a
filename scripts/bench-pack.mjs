#!/usr/bin/env node
// `npm run bench:pack` (issue 15, upload package): `procscope pack` (Node's built-in zstd, level 3 and level 1)
// against `gzip -1` and `zstd -3` on real full cores made by our writer, in the same run, alternating the order
// each round: ratio (dump bytes / compressed bytes) and MB/s (dump MB / wall s). Two targets:
//   - the dense C target of bench:dump with 1 GiB of xorshift heap: random bytes, the worst case (ratio ~1);
//   - a node process holding ~300 MiB of ordinary JS objects and strings: a realistic heap.
// `procscope pack` is a whole CLI run: node's start, SHA-256 of the dump and of the .zst, and the manifest;
// gzip and zstd only compress (zstd -T1: one thread, as ours). Every input is in the page cache (read once before
// the first round) so no tool pays the disk. A peer that is not installed is skipped with the reason printed.
// Linux only; prints figures, asserts nothing.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { bundleCli, cliEnv } from './bench-cli.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const HEAP_MIB = Number(process.env.BENCH_HEAP_MIB ?? 1024);
const root = join(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'procscope-bench-pack-'));

const NODE_TARGET = `
// ~300 MiB of the kind of heap a service has: records with strings, numbers, nested arrays, some JSON text.
const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];
const keep = [];
let seed = 12345;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
for (let i = 0; keep.length < 1_400_000; i++) {
  const r = { id: i, name: words[i % 10] + '-' + Math.floor(rnd() * 1e9).toString(36), score: rnd() * 1000,
    tags: [words[Math.floor(rnd() * 10)], words[Math.floor(rnd() * 10)]], at: new Date(1.7e12 + i * 1000).toISOString() };
  if (i % 8 === 0) r.json = JSON.stringify(r);
  keep.push(r);
}
globalThis.keep = keep;
console.log('marker 0x0 none');
console.log('ready ' + process.pid);
setInterval(() => {}, 1000);
`;

function sh(cmd) {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  return r.stdout;
}

const has = (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;


function startTarget(argv) {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    lines.on('line', (l) => {
      if (l.startsWith('ready ')) resolve({ pid: Number(l.split(' ')[1]), stop: () => child.kill('SIGKILL') });
    });
  });
}

const env = cliEnv;

function dumpFull(cli, pid, outDir) {
  const r = spawnSync(process.execPath, [cli, 'dump', String(pid), '--full', '--no-pack', '--no-hash', '--out', outDir, '--json'], { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`procscope dump failed: ${r.stderr}`);
  return JSON.parse(r.stdout).path;
}

/** Runs one tool on the core; returns wall ms and the compressed size, leaving no output behind. */
function runTool(tool, cli, core) {
  const out = join(work, 'peer.out');
  let argv;
  let outputPath = out;
  if (tool.startsWith('procscope')) {
    argv = [process.execPath, cli, 'pack', core, '--json', '--level', tool.endsWith('-1') ? '1' : '3'];
    outputPath = `${core}.zst`;
  }
  const t0 = process.hrtime.bigint();
  let r;
  if (argv) r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  else {
    const fd = openSync(out, 'w', 0o600);
    try {
      const [cmd, ...args] = tool === 'gzip -1' ? ['gzip', '-1', '-c', core] : ['zstd', '-3', '-T1', '-q', '-c', core];
      r = spawnSync(cmd, args, { stdio: ['ignore', fd, 'pipe'] });
    } finally {
      closeSync(fd);
    }
  }
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${tool} failed: ${r.stderr}`);
  const bytes = statSync(outputPath).size;
  rmSync(outputPath, { force: true });
  rmSync(`${core}.manifest.json`, { force: true });
  return { wallMs, bytes };
}

const fmt = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length > 1 ? `${s[s.length - 1].toFixed(0)} (spread ${s[0].toFixed(0)}-${s[s.length - 1].toFixed(0)})` : s[0].toFixed(0);
};

async function benchTarget(label, argv, cli, tools) {
  const outDir = join(work, 'cores');
  sh(`mkdir -p ${outDir}`);
  const target = await startTarget(argv);
  let core;
  try {
    core = dumpFull(cli, target.pid, outDir);
  } finally {
    target.stop();
  }
  const size = statSync(core).size;
  sh(`cat ${core} > /dev/null`);
  console.log(`\n${label}: full core of ${(size / 2 ** 20).toFixed(0)} MiB (${ROUNDS} rounds, order rotated each round)`);
  const runs = Object.fromEntries(tools.map((t) => [t, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = tools.map((_, i) => tools[(i + round) % tools.length]);
    for (const tool of order) runs[tool].push(runTool(tool, cli, core));
  }
  // A floor, not a peer: one SHA-256 of the dump (ours computes it, and one of the .zst, on top of compressing).
  const hashMs = [];
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = process.hrtime.bigint();
    sh(`sha256sum ${core} > /dev/null`);
    hashMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  console.log(`  (sha256sum of the dump alone: best ${Math.min(...hashMs).toFixed(0)} ms)`);
  for (const tool of tools) {
    const r = runs[tool];
    const ratio = size / r[0].bytes;
    const mbs = r.map((x) => size / 1e6 / (x.wallMs / 1000));
    console.log(`  ${tool.padEnd(14)} ratio ${ratio.toFixed(2).padStart(7)}  ${fmt(mbs).padStart(22)} MB/s   best wall ${Math.min(...r.map((x) => x.wallMs)).toFixed(0)} ms`);
  }
  rmSync(core, { force: true });
}

async function main() {
  if (process.platform !== 'linux') throw new Error('bench:pack runs on Linux (it makes cores with our writer).');
  if (!has('gcc')) throw new Error('bench:pack needs gcc for the dense target.');
  const tools = ['procscope -3', 'procscope -1'];
  for (const [tool, bin] of [['gzip -1', 'gzip'], ['zstd -3', 'zstd']]) {
    if (has(bin)) tools.push(tool);
    else console.log(`${tool}: skipped, ${bin} is not installed (apt-get install ${bin}).`);
  }
  const cli = await bundleCli(join(work, 'cli'));
  const exe = join(work, 'dump-target');
  sh(`gcc -O2 -pthread -o ${exe} ${join(root, 'src-main/dump/linux/__fixtures__/dump-target.c')}`);
  const nodeTarget = join(work, 'node-target.cjs');
  writeFileSync(nodeTarget, NODE_TARGET);
  console.log(`bench:pack — ${new Date().toISOString()}, ${process.version}, zstd CLI ${has('zstd') ? sh('zstd -V').trim() : 'absent'}`);
  console.log(`load average at start: ${readFileSync('/proc/loadavg', 'latin1').trim()}`);
  console.log('MB/s = dump bytes / wall time of the whole command (ours includes node\'s start and two SHA-256s); the highest run first, then the spread.');
  await benchTarget(`node, ~300 MiB of JS objects and strings`, [process.execPath, '--max-old-space-size=2048', nodeTarget], cli, tools);
  await benchTarget(`C program, ${HEAP_MIB} MiB of random heap (worst case)`, [exe, String(HEAP_MIB)], cli, tools);
  console.log(`\nload average at end: ${readFileSync('/proc/loadavg', 'latin1').trim()}`);
}

main()
  .catch((err) => {
    console.error(`bench:pack: ${err.message}`);
    process.exitCode = 1;
  })
  .finally(() => rmSync(work, { recursive: true, force: true }));
