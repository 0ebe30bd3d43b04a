#!/usr/bin/env node
// Writer-alone timing for the Linux core writer (no CLI start-up): bundles the writer, starts the C dump target
// with 1 GiB of touched heap (or BENCH_TARGET=node for 1 GiB of Buffers), and runs the writer in this process
// ROUNDS times from a quiet start (no old file, sync, page cache dropped), printing total, copy-end (= target
// released) and hash-finish times per run. Used to compare writer variants; needs root, gcc. Asserts nothing.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const root = process.env.BENCH_ROOT ?? join(import.meta.dirname, '..'); // BENCH_ROOT: another copy of the sources, for A/B
const work = mkdtempSync(join(tmpdir(), 'procscope-bench-writer-'));
const outDir = join(work, 'out');
spawnSync('mkdir', ['-p', outDir]);
const sh = (cmd) => spawnSync('sh', ['-c', cmd], { encoding: 'utf8' }).stdout;

async function buildWriter() {
  const { build } = await import('vite');
  const entry = join(work, 'entry.ts');
  writeFileSync(entry, `export { createLinuxCoreWriter } from '${root}/src-main/dump/linux/linux-core-writer';\n` +
    `export { readProcessStartTimeMs } from '${root}/src-main/platform/linux/proc-start-time';\n`);
  await build({
    configFile: false, logLevel: 'error', root,
    build: {
      ssr: entry, outDir: join(work, 'w'), minify: false, target: 'node20',
      rolldownOptions: { external: ['koffi'], output: { format: 'cjs', entryFileNames: 'writer.cjs' } },
    },
  });
  process.env.NODE_PATH = join(root, 'node_modules');
  const req = createRequire(join(root, 'package.json'));
  req('node:module').Module._initPaths(); // the bundle lives in a temp folder: find koffi through NODE_PATH
  return req(join(work, 'w', 'writer.cjs'));
}

const NODE_TARGET = `
const bufs = []; const pattern = Buffer.alloc(4096);
for (let i = 0; i < pattern.length; i++) pattern[i] = (i * 131 + 7) % 251 + 1;
for (let i = 0; i < 64; i++) { const b = Buffer.allocUnsafeSlow(16 << 20); b.fill(pattern); bufs.push(b); }
console.log('marker'); console.log('ready ' + process.pid); setInterval(() => {}, 1000);
`;

async function main() {
  const { createLinuxCoreWriter, readProcessStartTimeMs } = await buildWriter();
  let argv;
  if (process.env.BENCH_TARGET === 'node') {
    writeFileSync(join(work, 't.cjs'), NODE_TARGET);
    argv = [process.execPath, join(work, 't.cjs')];
  } else {
    sh(`gcc -O2 -pthread -o ${work}/t ${root}/src-main/dump/linux/__fixtures__/dump-target.c`);
    argv = [join(work, 't'), '1024'];
  }
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const pid = await new Promise((r) => lines.on('line', (l) => l.startsWith('ready') && r(Number(l.split(' ')[1]))));
  const startTimeMs = readProcessStartTimeMs(pid);
  const writer = createLinuxCoreWriter();
  try {
    for (let i = 0; i < ROUNDS; i++) {
      sh(`rm -f ${outDir}/*; sync; echo 3 > /proc/sys/vm/drop_caches`);
      let finishingMs = 0;
      let writingMs = -1;
      const t0 = performance.now();
      const r = await writer.write(
        { pid, startTimeMs, kind: 'full', outDir },
        {
          onProgress: (p) => {
            if (p.phase === 'finishing') finishingMs = p.elapsedMs;
            if (p.phase === 'writing' && writingMs < 0) writingMs = p.elapsedMs;
          },
        },
      );
      const ms = performance.now() - t0;
      console.log(`run ${i + 1}: total ${ms.toFixed(0)} ms, copy from ${writingMs} to ${finishingMs} ms, pause ${r.targetPauseMs} ms, disk ${(r.bytesOnDisk / 2 ** 30).toFixed(2)} GiB, sha ${r.sha256.slice(0, 12)} load ${readFileSync('/proc/loadavg', 'latin1').split(' ')[0]}`);
      rmSync(r.path, { force: true });
    }
  } finally {
    child.kill('SIGKILL');
  }
}
main().catch((e) => { console.error(e); process.exitCode = 1; }).finally(() => rmSync(work, { recursive: true, force: true }));
