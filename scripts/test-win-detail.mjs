// The Windows process-detail source under Wine (issue 14): runs scripts/wine/probes/detail-probe.ts, which starts a
// node.exe child (a held file, a TCP listener, an environment marker, a named main thread, a worker thread, a
// heartbeat) and reads every Properties part of it through src-main/detail/win32. While the probe holds the child's
// main thread suspended, this side takes winedbg's `bt` of that thread — the truth our live stack must equal, frame
// for frame (module + return address). Then judges: each part shows what the child holds; suspend stops the
// heartbeat and resume restarts it; a killed worker thread leaves the list; our own process and a wrong identity are
// refused; Find Handle or DLL finds the file and a DLL. Also prints what Wine leaves out. About 25 s.
// scripts/test-win.mjs runs it through runDetailSuite().
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseWinedbg } from './test-win-analysis.mjs';
import { assert, makeJudge } from './wine/judge.mjs';
import { cacheDir, nodeExe, runWine, wine64, wineEnv, winPath } from './wine/wine-env.mjs';

const RUN_KEY = 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run';
const RUN_VALUE = 'ProcscopeDetailProbe';
const reg = (args) => spawnSync(wine64, ['reg', ...args], { env: wineEnv(), encoding: 'utf8', timeout: 60_000 });

const stem = (name) => (name ?? '?').toLowerCase().replace(/\.(dll|exe)$/, '');

/** check(ok, name, detail) records one test. */
export async function runDetailSuite(check, probes) {
  const judge = makeJudge(check);
  const work = join(cacheDir, 'detail');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  let run = null;
  // A Run value that starts node.exe, so the child's Image tab has an autostart location to find. Its command is
  // `node.exe --version`: should it outlive the suite, a prefix boot that runs it only prints a version.
  const runAdded = reg(['add', RUN_KEY, '/v', RUN_VALUE, '/t', 'REG_SZ', '/d', `"${winPath(nodeExe)}" --version`, '/f']).status === 0;
  try {
    run = runWine(join(probes, 'detail-probe.js'), [winPath(work)], { timeoutMs: 150_000 });
    // While the probe holds the child's main thread: winedbg's bt of every thread of the child.
    let truth = null;
    let held = null;
    let btText = '';
    let btAttempts = 0;
    const stageFile = join(work, 'stage-held.json');
    const waitStarted = Date.now();
    let done = false;
    run.then(() => (done = true));
    // The probe may be writing the file when it first appears: read until it parses.
    const readStage = () => {
      try {
        return JSON.parse(readFileSync(stageFile, 'utf8'));
      } catch {
        return null;
      }
    };
    while (!done && !(held = readStage()) && Date.now() - waitStarted < 100_000) await new Promise((r) => setTimeout(r, 100));
    if (held) {
      // On a loaded machine winedbg sometimes leaves a process out of `bt all`: asked again (the thread stays held).
      for (let attempt = 0; attempt < 3 && !truth?.has(held.tid); attempt++) {
        const bt = spawnSync(wine64, ['winedbg', '--command', 'bt all'], { env: wineEnv(), encoding: 'utf8', timeout: 60_000 });
        btText = `${bt.stdout}`;
        truth = parseWinedbg(btText, held.pid);
        btAttempts = attempt + 1;
      }
      writeFileSync(join(work, 'go'), 'go');
    }
    const result = await run;
    let r = null;
    judge('detail probe ran under Wine and read every part of a node.exe child', () => {
      assert(result.code === 0, `detail-probe exited ${result.code ?? 'on timeout'}: ${result.stderr.slice(-1500)}`);
      r = JSON.parse(result.stdout);
      return `${(result.ms / 1000).toFixed(1)} s; reads ${JSON.stringify(r.ms)}`;
    });
    if (!r) return;
    const part = (name) => {
      const p = r.parts[name];
      assert(p, `${name} missing`);
      assert(p.ok, `${name}: ${p.error?.code} — ${p.error?.message}`);
      return p.value;
    };
    judge('Image: path, command line, current directory, parent, user, version resource, bitness, Run-key autostart', () => {
      const v = part('image');
      assert(/node\.exe$/i.test(v.exePath ?? ''), `exePath ${v.exePath}`);
      assert((v.commandLine ?? '').includes('--jitless') && (v.commandLine ?? '').includes('SetThreadDescription'), `commandLine ${v.commandLine?.slice(0, 120)}`);
      assert(/app\\?$/i.test(v.currentDirectory ?? ''), `currentDirectory ${v.currentDirectory}`);
      assert(v.parentPid === r.probePid && v.parentName === 'node.exe' && v.parentExited === false, `parent ${v.parentPid} ${v.parentName} ${v.parentExited}`);
      assert(v.description === 'Node.js JavaScript Runtime' && v.companyName === 'Node.js' && /^22\./.test(v.version ?? ''), `${v.description} / ${v.companyName} / ${v.version}`);
      assert(v.is32Bit === false && v.elevated === true && v.integrityLevel === 'high' && /\\/.test(v.user ?? ''), `${v.is32Bit} ${v.elevated} ${v.integrityLevel} ${v.user}`);
      assert(runAdded, 'reg add of the Run value failed');
      assert(v.autostartLocation === `HKCU\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\${RUN_VALUE}`, `autostart ${v.autostartLocation}`);
      return `${v.currentDirectory}, ${v.user}, ${v.version}, autostart ${v.autostartLocation}`;
    });
    judge('Performance: working set, private bytes, handles and threads; CPU % on the second read', () => {
      const v = part('performance');
      assert(v.workingSetBytes > 1e6 && v.privateBytes > 0 && v.threadCount >= 3 && v.handleCount > 0, JSON.stringify(v));
      const again = r.again.performance;
      assert(again.ok && again.value.cpuPercent !== null && again.value.timestampMs > v.timestampMs, JSON.stringify(again).slice(0, 300));
      return `${(v.workingSetBytes / 2 ** 20).toFixed(1)} MiB, ${v.threadCount} threads, ${v.handleCount} handles; I/O ${v.ioReadBytes === null ? 'null (Wine leaves IO_COUNTERS 0)' : v.ioReadBytes}`;
    });
    judge('Threads: the main and worker tids, start addresses named module+offset, the main thread\'s description', () => {
      const v = part('threads');
      const tids = v.map((t) => t.tid);
      assert(tids.includes(r.child.tid) && tids.includes(r.child.workerTid), `tids ${tids}, main ${r.child.tid}, worker ${r.child.workerTid}`);
      const named = v.filter((t) => t.startSymbol);
      assert(named.length >= v.length - 1, `${named.length}/${v.length} start symbols: ${JSON.stringify(v.map((t) => t.startSymbol))}`);
      const main = v.find((t) => t.tid === r.child.tid);
      if (r.child.named) assert(main.name === 'procscope-main', `main thread name ${main.name}`);
      const second = r.again.threads.value;
      assert(second.every((t) => t.cpuPercent !== null), 'CPU % null on the second read');
      return `${v.length} threads; start ${[...new Set(v.map((t) => t.startSymbol))].slice(0, 4).join(', ')}; GetThreadDescription ${r.hasThreadDescription ? `present (main: ${main.name})` : 'absent'}; state ${main.state}`;
    });
    judge('Modules: node.exe, ntdll.dll, kernel32.dll with base, size and version', () => {
      const v = part('modules');
      const names = v.map((m) => m.name.toLowerCase());
      for (const n of ['node.exe', 'ntdll.dll', 'kernel32.dll']) assert(names.includes(n), `${n} not in ${names.join(', ')}`);
      const node = v.find((m) => m.name.toLowerCase() === 'node.exe');
      assert(/^0x[0-9a-f]+$/.test(node.baseAddress) && node.sizeBytes > 1e6 && node.description === 'Node.js JavaScript Runtime', JSON.stringify(node));
      return `${v.length} modules`;
    });
    judge('Handles: the held file by its path, with types and access', () => {
      const v = part('handles');
      const want = r.openFile.toLowerCase();
      const file = v.find((h) => (h.name ?? '').toLowerCase() === want);
      assert(file && file.kind === 'file' && file.type === 'File', `no File handle named ${r.openFile}: ${JSON.stringify(v.filter((h) => h.type === 'File').slice(0, 6))}`);
      const types = [...new Set(v.map((h) => h.type))];
      assert(types.length >= 3, `types ${types}`);
      const keys = v.filter((h) => h.kind === 'key').map((h) => h.name ?? '');
      assert(keys.some((k) => /^HKCU(\\|$)/.test(k)) && keys.some((k) => /^HKLM(\\|$)/.test(k)), `key names ${keys.slice(0, 6)}`);
      const pipe = v.find((h) => h.handle === r.child.pipeHandle);
      assert(pipe && pipe.kind === 'pipe' && pipe.name === null, `the pipe with a read pending (${r.child.pipeHandle}): ${JSON.stringify(pipe)}`);
      return `${v.length} handles (SystemInformationClass ${r.handleClass}) in ${r.ms.handles} ms, ${v.filter((h) => h.name).length} named; the blocked pipe listed unnamed; types ${types.join(', ')}`;
    });
    judge('TCP/IP: the child\'s listening port (by owner pid where the OS fills it; Wine 8 leaves it 0)', () => {
      const v = part('sockets');
      const rows = r.portRows;
      assert(rows.length === 1 && rows[0].protocol === 'tcp' && rows[0].state === 'LISTEN' && rows[0].localAddress === '127.0.0.1', `table rows for port ${r.child.port}: ${JSON.stringify(rows)}`);
      if (rows[0].pid === r.childPid) {
        assert(v.some((s) => s.localPort === r.child.port && s.state === 'LISTEN'), JSON.stringify(v));
        return `${v.length} sockets; 127.0.0.1:${r.child.port} LISTEN`;
      }
      assert(rows[0].pid === 0 && v.length === 0, `owner ${rows[0].pid}, tab ${JSON.stringify(v)}`);
      return `127.0.0.1:${r.child.port} LISTEN is in the table with owner pid 0 (Wine): the tab's per-process rows are real-Windows only`;
    });
    judge('Services: answered (an empty list for a process that hosts none)', () => {
      const v = part('services');
      assert(Array.isArray(v) && v.length === 0, JSON.stringify(v));
      return 'SCM listed, none for the child';
    });
    judge('Services: a service host of Wine\'s SCM lists its service, and Image names it as the autostart location', () => {
      const h = r.serviceHost;
      assert(h, 'no running SERVICE_WIN32_SHARE_PROCESS service found');
      assert(h.services.ok && h.services.value.some((s) => s.name === h.service && s.state === 'running'), JSON.stringify(h.services));
      assert(typeof h.autostart === 'string' && h.autostart.includes(`\\Services\\${h.service}`), JSON.stringify(h.autostart));
      return `${h.services.value.map((s) => s.name).join(', ')}; ${h.autostart}`;
    });
    judge('Environment: the marker variable', () => {
      const v = part('environment');
      const m = v.find((e) => e.name === 'PROCSCOPE_DETAIL_MARKER');
      assert(m && m.value === r.marker, `marker ${JSON.stringify(m)} among ${v.length}`);
      return `${v.length} variables`;
    });
    judge('thread suspend stops the heartbeat, resume restarts it', () => {
      const b = r.beats;
      assert(r.suspend === 'ok' && r.resume === 'ok', `${r.suspend} / ${r.resume}`);
      assert(b.whileSuspended[0] > 0 && b.whileSuspended[0] === b.whileSuspended[1], `moved while suspended: ${b.whileSuspended}`);
      assert(b.afterResume > b.whileSuspended[1], `did not restart: ${b.whileSuspended[1]} → ${b.afterResume}`);
      return JSON.stringify(b);
    });
    judge('the held main thread\'s stack names ntdll/kernel32 frames and equals winedbg\'s bt, frame for frame', () => {
      assert(truth && held, `winedbg bt not taken (stage file missing): ${result.stderr.slice(-400)}`);
      const s = r.stack;
      assert(!s.error, s.error);
      const theirs = truth.get(held.tid);
      const seen = [...btText.matchAll(/in process ([0-9a-f]+)/gi)].map((m) => parseInt(m[1], 16));
      assert(theirs, `winedbg's bt all (${btAttempts} tries) has no thread ${held.tid} of pid ${held.pid}; processes ${[...new Set(seen)]}; ${btText.length} chars`);
      const ours = s.frames;
      const differing = [];
      const n = Math.max(ours.length, theirs.length);
      for (let i = 0; i < n; i++) {
        const a = ours[i];
        const b = theirs[i];
        if (!a || !b || BigInt(a.pc) !== b.pc || stem(a.module) !== stem(b.module)) differing.push(`frame ${i}: ours ${a ? `${a.module}!${a.function} ${a.pc} (${a.trust})` : 'none'}, winedbg ${b ? `${b.module} 0x${b.pc.toString(16)}` : 'none'}`);
      }
      assert(differing.length === 0, `${differing.length} of ${n} differ: ${differing.slice(0, 4).join('; ')}`);
      const mods = new Set(ours.map((f) => (f.module ?? '').toLowerCase()));
      assert(mods.has('ntdll.dll') && mods.has('kernel32.dll'), `modules ${[...mods]}`);
      assert(ours.every((f) => f.trust === 'context' || f.trust === 'cfi'), `trusts ${ours.map((f) => f.trust)}`);
      return `${ours.length} frames equal (winedbg try ${btAttempts}); held ${s.pausedMs} ms; ${ours.slice(0, 3).map((f) => `${f.module}!${f.function}`).join(' ← ')} … ${ours.at(-1).module}!${ours.at(-1).function}`;
    });
    judge('a running worker thread\'s stack is read briefly and unwinds to its start', () => {
      const s = r.workerStack;
      assert(!s.error, s.error);
      assert(s.frames.length >= 3 && s.pausedMs < 200, `${s.frames.length} frames, held ${s.pausedMs} ms`);
      return `${s.frames.length} frames, held ${s.pausedMs} ms, ends ${s.frames.at(-1).module}!${s.frames.at(-1).function}; note ${s.note}`;
    });
    judge('kill of one thread: the worker leaves the list, the main thread beats on', () => {
      assert(r.kill === 'ok', r.kill);
      assert(Array.isArray(r.threadsAfterKill) && !r.threadsAfterKill.includes(r.child.workerTid) && r.threadsAfterKill.includes(r.child.tid), JSON.stringify(r.threadsAfterKill));
      assert(r.beatAfterKill[1] > r.beatAfterKill[0], `heartbeat ${r.beatAfterKill}`);
      return `${r.threadsAfterKill.length} threads left`;
    });
    judge('refusals: our own process, a wrong identity, a tid of another process', () => {
      const f = r.refusals;
      assert(f.ownStack === 'unsupported' && f.ownAction === 'unsupported', `own: ${f.ownStack} / ${f.ownAction}`);
      assert(f.recycled === 'pid-recycled', `recycled ${f.recycled}`);
      assert(f.foreignTid === 'process-gone', `foreign tid ${f.foreignTid}`);
      return JSON.stringify({ ownStack: f.ownStack, recycled: f.recycled, foreignTid: f.foreignTid });
    });
    judge('a wrong identity refuses the whole read of parts, never another process\'s data', () => {
      assert(r.refusals.recycledParts === 'pid-recycled', r.refusals.recycledParts);
    });
    judge('the host\'s detail service answers from this source (image, performance)', () => {
      assert(/node\.exe$/i.test(r.viaService.image ?? '') && r.viaService.performance >= 3, JSON.stringify(r.viaService));
    });
    judge('Find Handle or DLL: the held file in the child, kernelbase.dll in every readable process', () => {
      const f = r.findFile.matches.filter((m) => m.pid === r.childPid);
      assert(f.length === 1 && f[0].kind === 'file' && f[0].handle, JSON.stringify(r.findFile).slice(0, 400));
      const d = r.findDll.matches.filter((m) => m.kind === 'module');
      assert(d.some((m) => m.pid === r.childPid) && d.length >= 2, `${d.length} module matches`);
      return `file in ${r.findFile.durationMs} ms; kernelbase.dll in ${d.length} processes (${r.findDll.durationMs} ms, ${r.findDll.unreadableProcesses} unreadable)`;
    });
  } finally {
    // Whatever failed here, the probe is let go and waited for (it ends its child), so no child of this run writes
    // into the next run's folder.
    if (run) {
      try {
        writeFileSync(join(work, 'go'), 'go');
      } catch {
        // the folder is gone: the probe times out on its own
      }
      await run;
    }
    if (runAdded) reg(['delete', RUN_KEY, '/v', RUN_VALUE, '/f']);
    rmSync(work, { recursive: true, force: true });
  }
}
