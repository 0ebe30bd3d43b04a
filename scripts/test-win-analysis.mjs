// The minidump analysis under Wine (issue 13, Windows half): builds scripts/wine/fixtures/parked-threads.c with
// Debian's gcc-mingw-w64, starts it (five threads parked in exported functions: Sleep, an event wait, a critical-
// section deadlock pair, a busy loop), takes winedbg's live `bt all` of it — the truth for `cfi` frames, since
// parked threads do not move — then has scripts/wine/probes/analysis-probe.ts dump it Full and Mini with our
// writer, and judges on Linux, with our reader and x64 .pdata unwinder run by Linux Node on the files (the
// analysis is offline): the full dump unwinds from its own in-dump .pdata with no files and equals winedbg frame
// for frame; the mini dump equals it too once the images come from matching files (the fixture's own file and
// Wine's builtin DLLs as a symbol folder); without files the mini dump's frame 0 equals Breakpad's
// minidump_stackwalk and lldb-16, every winedbg frame is among its scanned ones, and the module lists agree; the
// report built on the full dump names the critical-section deadlock. The analysis pack our writer puts beside the
// mini dump (`<dump>.pack`) stands in for the files: with no file reachable (no local files, no folders) every
// module unwinds from it and the frames equal winedbg's and the with-files analysis's; a mini dump of an idle
// node.exe with its pack unwinds every thread by CFI to the end of its stack, frame for frame as with the files.
// About 30 s. scripts/test-win.mjs runs it through runAnalysisSuite().
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'rolldown';
import { fetchPackage } from './fetch-package.mjs';
import { assert, makeJudge } from './wine/judge.mjs';
import { cacheDir, root, runWine, wine64, wineEnv, winPath } from './wine/wine-env.mjs';

const MINGW = 'x86_64-w64-mingw32-gcc';
const BREAKPAD_VERSION = '0.26.0';
/** Wine's builtin PE DLLs (Debian wine64): the files its ntdll, kernel32... are loaded from. */
const WINE_PE_DIR = '/usr/lib/x86_64-linux-gnu/wine/x86_64-windows';
const PARKED = ['park_sleep', 'park_event', 'park_cs_a', 'park_cs_b', 'park_busy'];

/**
 * Our minidump analysis and the report built on it (TypeScript) bundled for the Linux-side runner, as
 * scripts/wine/load-reader.mjs does the reader: { openMinidumpAnalysisInput, analyzeDumpFile }.
 */
export async function loadAnalysis() {
  const dir = join(cacheDir, 'linux-analysis');
  await build({
    input: {
      'minidump-analysis-input': join(root, 'src-main', 'analysis', 'minidump', 'minidump-analysis-input.ts'),
      'analyze-dump': join(root, 'src-main', 'analysis', 'report', 'analyze-dump.ts'),
    },
    platform: 'node',
    logLevel: 'warn',
    output: { dir, format: 'esm', entryFileNames: '[name].mjs' },
  });
  const [a, b] = await Promise.all(['minidump-analysis-input', 'analyze-dump'].map((n) => import(pathToFileURL(join(dir, `${n}.mjs`)).href)));
  return { ...a, ...b };
}

/** winedbg `bt all`: per thread (hex tid) of process `pid`, frames as { module, offset } with inlined copies dropped. */
export function parseWinedbg(text, pid) {
  const threads = new Map();
  let current = null;
  for (const line of text.split(/\r?\n/)) {
    const head = /^Backtracing for thread ([0-9a-f]+) in process ([0-9a-f]+)/i.exec(line);
    if (head) {
      current = parseInt(head[2], 16) === pid ? [] : null;
      if (current) threads.set(parseInt(head[1], 16), current);
      continue;
    }
    const f = /^\s*(?:=>)?\s*\d+ 0x([0-9a-f]+)(?:.*)? in (\S+) \(/i.exec(line);
    if (!current || !f) continue;
    const pc = BigInt(`0x${f[1]}`);
    if (current.at(-1)?.pc === pc) continue; // an inlined frame shares its caller's pc
    current.push({ pc, module: f[2].toLowerCase() });
  }
  return threads;
}

/** minidump_stackwalk -m: { modules: [name], threads: Map(index → [{ module, offset }]) }. */
function parseBreakpad(text) {
  const modules = [];
  const threads = new Map();
  for (const line of text.split('\n')) {
    const p = line.split('|');
    if (p[0] === 'Module') modules.push(p[1].toLowerCase());
    else if (/^\d+$/.test(p[0]) && p.length >= 7) {
      const list = threads.get(Number(p[0])) ?? [];
      list.push({ module: p[2].toLowerCase(), offset: BigInt(p[6] || '0') });
      threads.set(Number(p[0]), list);
    }
  }
  return { modules, threads };
}

function lldbFacts(file) {
  const r = spawnSync('lldb-16', ['-b', '-c', file, '-o', 'thread list', '-o', 'image list'], { encoding: 'utf8', timeout: 120_000 });
  const text = `${r.stdout}\n${r.stderr}`;
  const threads = new Map([...text.matchAll(/thread #\d+: tid = (0x[0-9a-f]+), (0x[0-9a-f]+)/gi)].map((m) => [Number(m[1]), BigInt(m[2])]));
  const images = [...text.matchAll(/^\[\s*\d+\]\s+(?:\S+\s+)?0x[0-9a-f]+\s+(.+?)\s*$/gim)].map((m) => m[1].split(/[\\/]/).pop().toLowerCase());
  return { text, threads, images };
}

/** winedbg names modules without their extension. */
const stem = (name) => (name ?? '?').toLowerCase().replace(/\.(dll|exe)$/, '');
const key = (module, offset) => `${(module ?? '?').toLowerCase()}+0x${offset?.toString(16) ?? '?'}`;

/**
 * Compares our frames with winedbg's thread by thread: the busy thread's frame 0 moves, so it is matched by its
 * function only. Returns { threads, frames, equal, differing: [sentences] }.
 */
function compareWithWinedbg(input, truth, ids) {
  const out = { threads: 0, frames: 0, equal: 0, differing: [] };
  for (const t of input.threads) {
    const theirs = truth.get(t.tid);
    if (!theirs) {
      out.differing.push(`thread ${t.tid}: not in winedbg's bt all`);
      continue;
    }
    out.threads++;
    const n = Math.max(t.frames.length, theirs.length);
    for (let i = 0; i < n; i++) {
      out.frames++;
      const ours = t.frames[i];
      const want = theirs[i];
      const ok = ours && want && (t.tid === ids.busy && i === 0 ? ours.function === 'park_busy' : stem(ours.module) === stem(want.module) && ours.pc === want.pc);
      if (ok) out.equal++;
      else out.differing.push(`thread ${t.tid} frame ${i}: ours ${ours ? `${key(ours.module, ours.moduleOffset)} (${ours.trust})` : 'none'}, winedbg ${want ? `${want.module} 0x${want.pc.toString(16)}` : 'none'}`);
    }
  }
  return out;
}

const figures = (c) => `${c.threads} threads, ${c.equal}/${c.frames} frames equal`;

/** Frame-for-frame differences (module, pc, function, trust) between two analyses of the same dump. */
function frameDiff(a, b) {
  const out = [];
  for (const t of a.threads) {
    const u = b.threads.find((x) => x.tid === t.tid);
    const n = Math.max(t.frames.length, u?.frames.length ?? 0);
    for (let i = 0; i < n; i++) {
      const f = t.frames[i];
      const g = u?.frames[i];
      const same = f && g && f.module === g.module && f.pc === g.pc && f.function === g.function && f.trust === g.trust;
      if (!same) out.push(`thread ${t.tid} frame ${i}: ${f ? `${key(f.module, f.moduleOffset)} ${f.function} (${f.trust})` : 'none'} vs ${g ? `${key(g.module, g.moduleOffset)} ${g.function} (${g.trust})` : 'none'}`);
    }
  }
  return out;
}

/** check(ok, name, detail) records one test. */
export async function runAnalysisSuite(check, probes) {
  const judge = makeJudge(check);
  const work = join(cacheDir, 'analysis');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const exe = join(work, 'parked-threads.exe');
  const cc = spawnSync(MINGW, ['-O2', '-Wall', '-o', exe, join(root, 'scripts', 'wine', 'fixtures', 'parked-threads.c')], { encoding: 'utf8' });
  if (cc.error || cc.status !== 0) {
    check(false, 'the analysis fixture builds with gcc-mingw-w64', cc.error ? `${MINGW} is missing: apt-get install gcc-mingw-w64-x86-64` : cc.stderr.slice(0, 500));
    return;
  }
  const breakpadDir = fetchPackage(`minidump@${BREAKPAD_VERSION}`, join(cacheDir, `minidump-${BREAKPAD_VERSION}`), join(cacheDir, 'dl'));
  const stackwalk = join(breakpadDir, 'package', 'bin', 'linux-x64', 'minidump_stackwalk');

  const ready = join(work, 'ready.txt');
  const outFile = join(work, 'parked.out');
  const out = openSync(outFile, 'w');
  const child = spawn(wine64, [exe, winPath(ready)], { env: wineEnv(), stdio: ['ignore', out, out] });
  closeSync(out);
  const started = Date.now();
  try {
    while (!existsSync(ready) && Date.now() - started < 60_000 && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    let ids = null;
    judge('the parked fixture starts under Wine and parks its five threads', () => {
      assert(existsSync(ready), `no ready file after ${Date.now() - started} ms: ${readFileSync(outFile, 'utf8').slice(0, 300)}`);
      ids = JSON.parse(readFileSync(outFile, 'utf8').split('\n')[0]);
      return `pid ${ids.pid}, ${((Date.now() - started) / 1000).toFixed(1)} s`;
    });
    if (!ids) return;
    const bt = spawnSync(wine64, ['winedbg', '--command', 'bt all'], { env: wineEnv(), encoding: 'utf8', timeout: 60_000 });
    const truth = parseWinedbg(`${bt.stdout}`, ids.pid);
    const truth0 = truth;
    const dumpRun = await runWine(join(probes, 'analysis-probe.js'), [String(ids.pid), winPath(work)], { timeoutMs: 120_000 });
    let dumps = null;
    judge('winedbg bt all sees the fixture threads; our writer dumps it full and mini', () => {
      assert(truth.size === 6, `winedbg gave ${truth.size} threads of pid ${ids.pid}: ${bt.stdout.slice(0, 300)}`);
      assert(dumpRun.code === 0, `analysis-probe exited ${dumpRun.code}: ${dumpRun.stderr.slice(0, 500)}`);
      dumps = JSON.parse(dumpRun.stdout);
      for (const kind of ['full', 'mini']) {
        assert(dumps[kind]?.path, `${kind}: ${dumps[kind]?.error}`);
        assert(dumps[kind].analysisPackPath === `${dumps[kind].path}.pack`, `${kind}: analysis pack ${dumps[kind].analysisPackPath}`);
        assert(existsSync(join(work, dumps[kind].analysisPackPath.split('\\').pop())), `${kind}: no ${dumps[kind].analysisPackPath} on disk`);
      }
      const packBytes = statSync(join(work, dumps.mini.analysisPackPath.split('\\').pop())).size;
      return `${[...truth.values()].reduce((n, f) => n + f.length, 0)} winedbg frames; full ${dumps.full.fileBytes} B, mini ${dumps.mini.fileBytes} B + pack ${packBytes} B`;
    });
    if (!dumps) return;
    child.kill('SIGKILL');
    const file = (kind) => join(work, dumps[kind].path.split('\\').pop());
    const { openMinidumpAnalysisInput, analyzeDumpFile } = await loadAnalysis();
    const namedIn = (input, tid, fn) => input.threads.find((t) => t.tid === tid)?.frames.some((f) => f.function === fn);

    const full = await openMinidumpAnalysisInput(file('full'), { localFiles: false });
    try {
      const cmp = compareWithWinedbg(full, truth, ids);
      judge('full dump, no files: every module unwinds from its in-dump .pdata, no frame is scanned', () => {
        const noTable = full.modules.filter((m) => m.unwindSource !== 'dump');
        assert(noTable.length === 0, `no in-dump table for ${noTable.map((m) => m.name).join(', ')}`);
        const scanned = full.threads.flatMap((t) => t.frames).filter((f) => f.trust === 'scan');
        assert(scanned.length === 0, `${scanned.length} scanned frames`);
        return `${full.modules.length} modules, ${full.threads.reduce((n, t) => n + t.frames.length, 0)} frames (context + cfi)`;
      });
      judge('full dump, no files: frames equal winedbg bt all (module + return address), thread by thread', () => {
        assert(cmp.threads === 6 && cmp.differing.length === 0, `${figures(cmp)}; ${cmp.differing.slice(0, 4).join('; ')}`);
        return figures(cmp);
      });
      judge('full dump: each parked function names its thread through the exports that start its .pdata function', () => {
        for (const [k, fn] of [['sleep', 'park_sleep'], ['event', 'park_event'], ['cs_a', 'park_cs_a'], ['cs_b', 'park_cs_b'], ['busy', 'park_busy']]) {
          assert(namedIn(full, ids[k], fn), `thread ${ids[k]} (${k}) has no ${fn} frame`);
        }
        for (const [k, fn] of [['sleep', 'Sleep'], ['event', 'WaitForSingleObject'], ['cs_a', 'RtlEnterCriticalSection'], ['cs_b', 'RtlEnterCriticalSection']]) {
          assert(namedIn(full, ids[k], fn), `thread ${ids[k]} (${k}) has no ${fn} frame`);
        }
        return PARKED.join(', ');
      });
      judge('full dump: process, OS and command line read from the dump (MiscInfo, SystemInfo, PEB)', () => {
        assert(full.process.pid === ids.pid, `pid ${full.process.pid}`);
        assert(full.process.name === 'parked-threads.exe', `name ${full.process.name}`);
        assert(full.process.commandLine?.includes(winPath(ready)), `command line ${full.process.commandLine}`);
        assert(full.os.family === 'windows' && full.os.cpuCount > 0 && full.dumpKind === 'full', `${JSON.stringify(full.os)} ${full.dumpKind}`);
        return `${full.os.version}, ${full.process.commandLine}`;
      });
      const bp = parseBreakpad(spawnSync(stackwalk, ['-m', file('full')], { encoding: 'utf8' }).stdout);
      const ll = lldbFacts(file('full'));
      judge('full dump: frame 0 and the module list equal Breakpad minidump_stackwalk and lldb-16', () => {
        const ours = full.modules.map((m) => m.name.toLowerCase()).sort();
        assert(JSON.stringify(ours) === JSON.stringify([...bp.modules].sort()), `modules ${ours} vs Breakpad ${bp.modules}`);
        assert(JSON.stringify(ours) === JSON.stringify([...ll.images].sort()), `modules ${ours} vs lldb ${ll.images}`);
        full.threads.forEach((t, i) => {
          const f = t.frames[0];
          const b = bp.threads.get(i)?.[0];
          assert(b && key(f.module, f.moduleOffset) === key(b.module, b.offset), `thread ${t.tid}: ${key(f.module, f.moduleOffset)} vs Breakpad ${b && key(b.module, b.offset)}`);
          assert(ll.threads.get(t.tid) === f.pc, `thread ${t.tid}: 0x${f.pc.toString(16)} vs lldb ${ll.threads.get(t.tid)?.toString(16)}`);
        });
        return `${full.threads.length} threads, ${ours.length} modules`;
      });
    } finally {
      await full.close();
    }

    const report = await analyzeDumpFile(file('full'));
    judge('the report of the full dump has one deadlock finding naming exactly the two critical-section threads', () => {
      const dead = report.findings.filter((f) => f.kind === 'deadlock');
      assert(dead.length === 1, `${dead.length} deadlock findings: ${report.findings.map((f) => f.kind).join(', ')}`);
      const tids = [...dead[0].threads].sort((a, b) => a - b);
      assert(JSON.stringify(tids) === JSON.stringify([ids.cs_a, ids.cs_b].sort((a, b) => a - b)), `threads ${tids}, want ${ids.cs_a}, ${ids.cs_b}`);
      return dead[0].title;
    });

    const mini = await openMinidumpAnalysisInput(file('mini'), { localFiles: false, packPath: false });
    try {
      const bp = parseBreakpad(spawnSync(stackwalk, ['-m', file('mini')], { encoding: 'utf8' }).stdout);
      const ll = lldbFacts(file('mini'));
      judge('mini dump, no files: frame 0 (context) equals Breakpad and lldb-16; winedbg\'s frames are a subsequence of our scan', () => {
        let scanned = 0;
        let inBreakpad = 0;
        let truthFrames = 0;
        mini.threads.forEach((t, i) => {
          const f = t.frames[0];
          const theirs = bp.threads.get(i) ?? [];
          assert(f.trust === 'context' && theirs[0] && key(f.module, f.moduleOffset) === key(theirs[0].module, theirs[0].offset), `thread ${t.tid}: frame 0 ${key(f.module, f.moduleOffset)} vs Breakpad ${theirs[0] && key(theirs[0].module, theirs[0].offset)}`);
          assert(ll.threads.get(t.tid) === f.pc, `thread ${t.tid}: lldb ${ll.threads.get(t.tid)?.toString(16)}`);
          const set = new Set(theirs.map((x) => key(x.module, x.offset)));
          for (const g of t.frames.filter((x) => x.trust === 'scan')) {
            scanned++;
            if (set.has(key(g.module, g.moduleOffset))) inBreakpad++;
          }
          // Without unwind tables a scan keeps every code address that follows the stack: the true frames must all
          // be among them, in order (extra ones are the scan's noise, greyed out in the report as 'scan').
          const truth = (truth0.get(t.tid) ?? []).slice(t.tid === ids.busy ? 1 : 0);
          let j = 0;
          for (const g of t.frames) if (j < truth.length && g.pc === truth[j].pc && stem(g.module) === stem(truth[j].module)) j++;
          assert(j === truth.length, `thread ${t.tid}: winedbg frame ${j} (${truth[j]?.module} 0x${truth[j]?.pc.toString(16)}) is not in our scanned stack`);
          truthFrames += truth.length;
        });
        const ours = mini.modules.map((m) => m.name.toLowerCase()).sort();
        assert(JSON.stringify(ours) === JSON.stringify([...bp.modules].sort()) && JSON.stringify(ours) === JSON.stringify([...ll.images].sort()), `modules ${ours} vs ${bp.modules} / ${ll.images}`);
        assert(mini.modules.every((m) => m.unwindSource === null), 'a mini dump held a module image');
        const bpFrames = [...bp.threads.values()].reduce((n, l) => n + l.length, 0);
        return `${mini.threads.length} threads; all ${truthFrames} winedbg frames found among our ${scanned + mini.threads.length} (Breakpad: ${bpFrames}); ${inBreakpad}/${scanned} scanned frames also in Breakpad's; ${ours.length} modules`;
      });
    } finally {
      await mini.close();
    }

    // The fixture's own file through Wine's Z: drive, the system DLLs from Wine's builtin folder as a symbol folder.
    const matched = await openMinidumpAnalysisInput(file('mini'), { symbolFolders: [WINE_PE_DIR], packPath: false });
    try {
      const cmp = compareWithWinedbg(matched, truth, ids);
      judge('mini dump + files whose TimeDateStamp and SizeOfImage match: frames equal winedbg bt all', () => {
        const sources = matched.modules.map((m) => `${m.name}:${m.unwindSource}`);
        assert(matched.modules.every((m) => (m.name === 'parked-threads.exe' ? m.unwindSource === 'file' : m.unwindSource === 'folder')), sources.join(', '));
        assert(cmp.differing.length === 0, `${figures(cmp)}; ${cmp.differing.slice(0, 4).join('; ')}`);
        return `${figures(cmp)} (${sources.join(', ')})`;
      });
      // No file can be found (no local files, no folders): only the pack beside the dump gives the tables.
      const packed = await openMinidumpAnalysisInput(file('mini'), { localFiles: false });
      try {
        const cmpPack = compareWithWinedbg(packed, truth, ids);
        judge('mini dump + its analysis pack, no files reachable: every module from the pack, frames equal winedbg and the with-files analysis', () => {
          const notPack = packed.modules.filter((m) => m.unwindSource !== 'pack' || m.symbolSource !== 'pack');
          assert(notPack.length === 0, `not from the pack: ${notPack.map((m) => `${m.name}:${m.unwindSource}/${m.symbolSource} ${m.notes.join(' ')}`).join(', ')}`);
          assert(cmpPack.differing.length === 0, `${figures(cmpPack)}; ${cmpPack.differing.slice(0, 4).join('; ')}`);
          const diff = frameDiff(packed, matched);
          assert(diff.length === 0, `${diff.length} frames differ from the with-files analysis: ${diff.slice(0, 4).join('; ')}`);
          for (const [k, fn] of [['sleep', 'park_sleep'], ['event', 'park_event'], ['cs_a', 'park_cs_a'], ['cs_b', 'park_cs_b'], ['busy', 'park_busy'], ['sleep', 'Sleep']]) {
            assert(namedIn(packed, ids[k], fn), `thread ${ids[k]} (${k}) has no ${fn} frame`);
          }
          return `${figures(cmpPack)}, ${packed.modules.length} modules from the pack`;
        });
      } finally {
        await packed.close();
      }
    } finally {
      await matched.close();
    }

    // A mini dump of an idle node.exe with its pack, analysed with no file reachable, against the same dump with files.
    const nodeRun = await runWine(join(probes, 'analysis-probe.js'), ['node-mini', winPath(work)], { timeoutMs: 120_000 });
    let nodeDump = null;
    judge('our writer dumps an idle node.exe mini with its analysis pack', () => {
      assert(nodeRun.code === 0, `analysis-probe node-mini exited ${nodeRun.code}: ${nodeRun.stderr.slice(0, 500)}`);
      const r = JSON.parse(nodeRun.stdout).mini;
      assert(r?.path && r.analysisPackPath === `${r.path}.pack`, `${r?.error ?? JSON.stringify(r)}`);
      nodeDump = { file: join(work, r.path.split('\\').pop()), pack: join(work, r.analysisPackPath.split('\\').pop()) };
      assert(existsSync(nodeDump.pack), `no ${nodeDump.pack}`);
      return `mini ${r.fileBytes} B + pack ${statSync(nodeDump.pack).size} B`;
    });
    if (nodeDump) {
      const withFiles = await openMinidumpAnalysisInput(nodeDump.file, { symbolFolders: [WINE_PE_DIR], packPath: false });
      const withPack = await openMinidumpAnalysisInput(nodeDump.file, { localFiles: false });
      try {
        judge('node.exe mini dump + pack, no files reachable: every thread unwinds by CFI to the end of its stack, frame for frame as with the files', () => {
          const notPack = withPack.modules.filter((m) => m.unwindSource !== 'pack');
          assert(notPack.length === 0, `not from the pack: ${notPack.map((m) => `${m.name}:${m.unwindSource} ${m.notes.join(' ')}`).join(', ')}`);
          const fileSources = withFiles.modules.filter((m) => m.unwindSource !== 'file' && m.unwindSource !== 'folder');
          assert(fileSources.length === 0, `the with-files analysis lacks ${fileSources.map((m) => m.name).join(', ')}`);
          for (const t of withPack.threads) {
            const bad = t.frames.find((f) => f.trust !== 'context' && f.trust !== 'cfi');
            assert(!bad && /return address 0x0 is below 4096/.test(t.stopReason), `thread ${t.tid}: ${t.frames.map((f) => `${key(f.module, f.moduleOffset)}(${f.trust})`).join(' ')}, ${t.stopReason}`);
          }
          const diff = frameDiff(withPack, withFiles);
          assert(diff.length === 0 && withPack.threads.length === withFiles.threads.length, `${diff.length} frames differ: ${diff.slice(0, 4).join('; ')}`);
          assert(withPack.threads.some((t) => t.frames.some((f) => f.module === 'node.exe')), 'no node.exe frame');
          const frames = withPack.threads.reduce((n, t) => n + t.frames.length, 0);
          const named = withPack.threads.reduce((n, t) => n + t.frames.filter((f) => f.function && !f.function.startsWith('<')).length, 0);
          return `${withPack.threads.length} threads, ${frames} frames (${named} named by exports), ${withPack.modules.length} modules from the pack`;
        });
      } finally {
        await withFiles.close();
        await withPack.close();
      }
    }
  } finally {
    child.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
}
