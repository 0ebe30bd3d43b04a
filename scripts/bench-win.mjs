#!/usr/bin/env node
// `npm run bench:win`: under Wine, with ~50 Wine processes running, the poll cost per process of our
// NtQuerySystemInformation source against CreateToolhelp32Snapshot + per-process OpenProcess queries (the naive
// approach), as a ratio. The Windows side is scripts/wine/probes/bench-probe.ts; this prints its figures.
import { join } from 'node:path';
import { buildProbes } from './wine/build-probes.mjs';
import { ensureWinRuntime, runWine, WIN_NODE_VERSION } from './wine/wine-env.mjs';

ensureWinRuntime();
const probes = await buildProbes();
const r = await runWine(join(probes, 'bench-probe.js'), [], { timeoutMs: 600_000 });
if (r.code !== 0) {
  process.stderr.write(`bench-probe failed (exit ${r.code}): ${r.stderr}\n`);
  process.exit(1);
}
const b = JSON.parse(r.stdout);
const perProcess = (ms) => ((ms * 1000) / b.processCount).toFixed(1);
const row = (label, ms, extra = '') =>
  `  ${label.padEnd(50)} ${ms.toFixed(3).padStart(9)} ms/poll  ${perProcess(ms).padStart(7)} µs/process${extra}`;
const lines = [
  `bench:win — Wine 8, node.exe ${WIN_NODE_VERSION}, ${b.processCount} Wine processes, median of ${b.rounds} polls`,
  row('ours: NtQuerySystemInformation + parse', b.oursMedianMs),
  row('naive: Toolhelp32 + OpenProcess/Times/Mem/Handles', b.naiveMedianMs, ` (${b.naiveOpened} opened)`),
  `  ${'ratio naive / ours'.padEnd(50)} ${(b.naiveMedianMs / b.oursMedianMs).toFixed(1).padStart(9)}×`,
  row('backend poll, extras cache warm', b.backendWarmMedianMs),
  `  ${'backend poll, cold (extras read for every process)'.padEnd(50)} ${b.backendColdMs.toFixed(1).padStart(9)} ms`,
];
process.stdout.write(`${lines.join('\n')}\n`);
