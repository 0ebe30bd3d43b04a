#!/usr/bin/env node
// `node scripts/test-win-helper.mjs`: the elevated dump helper on Windows, under Wine. Bundles the probe
// (scripts/wine-helper) and the production `procscope helper` entry, runs the probe with the Windows node.exe,
// and judges its report: a minidump written through runas + named pipe and readable by its requester, and five
// refusals that leave no file; then the helper's watch job on one node.exe service (runHelperWatchSuite).
// Reuses the Windows runtime of scripts/wine/wine-env.mjs. scripts/test-win.mjs runs it as part of the Windows suite
// through runHelperSuite(); run on its own, it exits non-zero on any failure.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { build } from 'rolldown';
import { appDir, ensureWinRuntime, prefixDir, runWine, winPath } from './wine/wine-env.mjs';
import { assert, makeJudge } from './wine/judge.mjs';

/** check(ok, name, detail) records one test; skip(name, reason) one skip with its reason. */
export async function runHelperSuite(check, skip) {
  const outDir = join(appDir, 'helper-probe');
  await build({
    input: {
      'helper-probe': join(import.meta.dirname, 'wine-helper', 'helper-probe.ts'),
      'folder-attack-probe': join(import.meta.dirname, 'wine-helper', 'folder-attack-probe.ts'),
      'helper-watch-probe': join(import.meta.dirname, 'wine-helper', 'helper-watch-probe.ts'),
      'helper-entry': join(import.meta.dirname, '..', 'src-main', 'dump', 'helper', '__fixtures__', 'helper-entry.ts'),
    },
    platform: 'node',
    external: ['koffi'],
    logLevel: 'warn',
    output: { dir: outDir, format: 'cjs', entryFileNames: '[name].js' },
  });
  // A folder of another account: Wine reports a folder of another unix user as owned by S-1-5-7 (Anonymous).
  const foreign = join(outDir, 'foreign-owner');
  rmSync(foreign, { recursive: true, force: true });
  mkdirSync(foreign);
  chownSync(foreign, 65534, 65534);
  // A folder of our own below one every account may change: Wine reports mode 0777 as Everyone with Modify rights.
  // It lives on drive C: so that no ancestor of this checkout (/tmp, say) is what gets it refused. The prefix must
  // exist before a folder is added to it: a fresh machine creates it at its first Wine run.
  if (!existsSync(join(prefixDir, 'system.reg'))) await runWine('-e', ['0']);
  const user = userInfo().username;
  const openParent = join(prefixDir, 'drive_c', 'users', user, 'Temp', 'procscope-open-parent');
  const openParentWin = `C:\\users\\${user}\\Temp\\procscope-open-parent`;
  rmSync(openParent, { recursive: true, force: true });
  mkdirSync(join(openParent, 'mine'), { recursive: true });
  chmodSync(openParent, 0o777);
  // Each helper the probe starts logs there (the fixture entry's PROCSCOPE_HELPER_FIXTURE_LOG_DIR): a failing check
  // carries the logs, so that a helper that ended without a word says whether it ran and what it said.
  const logDir = join(outDir, 'helper-logs');
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(logDir);
  const helperLogs = () =>
    readdirSync(logDir).map((f) => `${f}: ${readFileSync(join(logDir, f), 'utf8').trim().replace(/\n/g, ' | ')}`).join(' || ') || 'no helper log: no helper started';
  const run = await runWine(
    join(outDir, 'helper-probe.js'),
    [winPath(join(outDir, 'helper-entry.js')), winPath(foreign), `${openParentWin}\\mine`],
    { timeoutMs: 240_000, env: { PROCSCOPE_HELPER_FIXTURE_LOG_DIR: winPath(logDir) } },
  );
  if (run.code !== 0) {
    check(false, 'helper probe ran', `exit ${run.code}: ${run.stderr.slice(0, 1500)}`);
  } else {
    const r = JSON.parse(run.stdout);
    const checkProbe = (ok, name, detail) => check(ok, name, ok ? detail : `${detail} — probe stderr: ${run.stderr.slice(-800) || '(none)'}; helper logs: ${helperLogs().slice(-2500)}`);
    checkProbe(r.valid.ok && r.valid.format === 'minidump' && r.valid.fileBytes > 0 && r.valid.files.length === 2 && r.valid.analysisPackPath === `${r.valid.path}.pack`, 'helper via runas + named pipe writes a minidump and its analysis pack beside it', JSON.stringify(r.valid));
    checkProbe(typeof r.valid.dacl === 'string' && r.valid.dacl.includes(`;;;${r.ownSid})`), 'the helper\'s dump is readable by the user who started it (the parent\'s SID in its DACL)', r.valid.dacl);
    checkProbe(r.valid.packDacl === r.valid.dacl, 'the helper\'s analysis pack gets the dump\'s DACL (the requester\'s, nobody else\'s)', `${r.valid.packDacl} vs ${r.valid.dacl}`);
    checkProbe(
      !r.foreign.ok && r.foreign.code === 'bad-request' && /does not belong to you/.test(r.foreign.message) && r.foreign.files?.length === 0 && r.foreign.owner !== r.ownSid,
      'a folder another account owns is refused, no file',
      `${r.foreign.message} (owner ${r.foreign.owner}, requester ${r.ownSid})`,
    );
    checkProbe(
      !r.openParent.ok &&
        r.openParent.code === 'bad-request' &&
        r.openParent.message.startsWith(`The folder '${openParentWin}' can be changed by another user`) &&
        r.openParent.files?.length === 0,
      'a folder of our own below one every account may change is refused, no file',
      `${r.openParent.message} (DACL of the parent ${r.openParent.parentDacl})`,
    );
    checkProbe(!r.wrongStart.ok && r.wrongStart.code === 'pid-recycled' && r.wrongStart.files.length === 0, 'wrong start time refused, no file', JSON.stringify(r.wrongStart));
    checkProbe(!r.relative.ok && r.relative.code === 'bad-request' && /absolute folder path/.test(r.relative.message), 'relative folder refused', r.relative.message);
    if (r.junction.unsupported) skip('junction refused', `Wine cannot create a junction: ${r.junction.unsupported}`);
    else checkProbe(!r.junction.ok && /symbolic link or junction/.test(r.junction.message) && r.junction.realFiles.length === 0, 'junction refused, no file', r.junction.message);
  }
  process.stdout.write(`windows helper (wine) took ${(run.ms / 1000).toFixed(1)} s\n`);
  await runFolderAttacks(outDir, check);
  await runHelperWatchSuite(outDir, foreign, check);
}

/**
 * The attacks on the folder, in the helper's own order in one Windows process (folder-attack-probe.ts). The Linux
 * side builds what a requester could: a folder of theirs, a unix symlink (which Wine follows like a junction) to a
 * folder of another account, and a folder whose next names are already taken.
 */
export async function runFolderAttacks(outDir, check) {
  const attack = join(outDir, 'folder-attack');
  rmSync(attack, { recursive: true, force: true });
  const [mine, foreign, names] = ['mine', 'foreign', 'names'].map((n) => join(attack, n));
  for (const dir of [mine, foreign, names]) mkdirSync(dir, { recursive: true });
  chownSync(foreign, 65534, 65534);
  chmodSync(foreign, 0o777);
  let swapper;
  try {
    const running = runWine(join(outDir, 'folder-attack-probe.js'), [mine, foreign, names, attack].map(winPath), { timeoutMs: 240_000 });
    // The requester's move, between the helper's check and its write.
    swapper = setInterval(() => {
      // Links planted at the names of the next analysis packs, pointing at a file in the other account's folder.
      if (existsSync(join(attack, 'plant.json')) && !existsSync(join(attack, 'planted'))) {
        const { links, target } = JSON.parse(readFileSync(join(attack, 'plant.json'), 'utf8'));
        for (const l of links) symlinkSync(join(foreign, target), join(names, 'links', l));
        writeFileSync(join(attack, 'planted'), '');
      }
      if (!existsSync(join(attack, 'checked')) || existsSync(join(attack, 'swapped'))) return;
      renameSync(mine, `${mine}-moved`);
      symlinkSync(foreign, mine);
      writeFileSync(join(attack, 'swapped'), '');
    }, 50);
    const run = await running;
    if (run.code !== 0) {
      check(false, 'folder attack probe ran', `exit ${run.code}: ${run.stderr.slice(0, 1500)}`);
      return;
    }
    const r = JSON.parse(run.stdout);
    check(
      r.swap.ok && r.swap.swapped && Array.isArray(r.swap.inForeign) && r.swap.inForeign.length === 0 && r.swap.inChecked.length === 2 && r.swap.inChecked.includes(`${r.swap.path.split('\\').pop()}.pack`),
      'a folder swapped for a link to another account\'s folder after the check: the dump and its pack land in the folder that was checked, none in the other',
      JSON.stringify(r.swap),
    );
    const { first, second, taken, planted, plantedIntact, takenIntact, files } = r.sameSecond;
    check(
      first.ok && second.ok && first.path !== second.path && takenIntact && files.filter((f) => f.endsWith('.dmp')).length === taken.length + 2 && ![first, second].some((d) => taken.some((t) => d.path.endsWith(`\\${t}`))),
      'two dumps whose first names are taken land under two new names and replace no file',
      JSON.stringify({ first: first.path ?? first.message, second: second.path ?? second.message, takenIntact, files: files.length }),
    );
    check(
      first.ok && first.path.endsWith('_mini_2.dmp') && first.analysisPackPath === null && plantedIntact && planted.length === 5,
      'a dump whose analysis pack name is taken by a file gets no pack, and the file is untouched',
      JSON.stringify({ first: first.path, pack: first.analysisPackPath, plantedIntact }),
    );
    const { dump, links, resolving, linkTargetIntact, dumps } = r.packLink;
    check(
      resolving === links && dump.ok && dump.analysisPackPath === null && linkTargetIntact && dumps.length === 1,
      'a dump whose analysis pack name is a link to a file in another account\'s folder gets no pack, and the link\'s target is untouched',
      JSON.stringify({ dump: dump.path ?? dump.message, pack: dump.analysisPackPath, links, resolving, linkTargetIntact }),
    );
    check(
      !r.cancel.ok && r.cancel.code === 'cancelled' && r.cancel.sawWriting && Array.isArray(r.cancel.left) && r.cancel.left.length === 0,
      'a dump cancelled while writing into the opened folder leaves no file (removed through its handle)',
      JSON.stringify(r.cancel),
    );
  } finally {
    clearInterval(swapper);
    rmSync(attack, { recursive: true, force: true });
  }
}

const MEMORY_GONE = "the process's memory was already gone at exit";

/**
 * The helper's watch job through runas + named pipe, judged on one service run (wine-helper/helper-watch-probe.ts):
 * refusals, start dumps in the checked folder with the requester's DACL, Wine's exit error, stop() and a closed
 * channel each letting the helper release and exit, the service undisturbed; lldb-16 opens one start dump.
 */
export async function runHelperWatchSuite(outDir, foreign, check) {
  const work = join(outDir, 'helper-watch');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const judge = makeJudge(check);
  // The requester's move once the watch is armed (the probe says when): the checked folder renamed away and a unix
  // symlink, which Wine follows as Windows does a junction, to the foreign folder in its place.
  const swapper = setInterval(() => {
    if (!existsSync(join(work, 'armed-flag')) || existsSync(join(work, 'swapped'))) return;
    renameSync(join(work, 'dumps'), join(work, 'dumps-moved'));
    symlinkSync(foreign, join(work, 'dumps'));
    writeFileSync(join(work, 'swapped'), '');
  }, 50);
  try {
    const running = runWine(join(outDir, 'helper-watch-probe.js'), [winPath(join(outDir, 'helper-entry.js')), winPath(foreign), winPath(work)], {
      timeoutMs: 240_000,
      env: { UV_THREADPOOL_SIZE: '1' },
    });
    const run = await running.finally(() => clearInterval(swapper));
    let r;
    try {
      if (run.code !== 0) throw new Error(`exited ${run.code ?? 'on timeout'}: ${run.stderr.slice(0, 1500)}`);
      r = JSON.parse(run.stdout);
      if (r.startError) throw new Error(`the watch did not arm: ${r.startError}`);
      check(true, 'helper watch: createHelperCaptureEngine arms a watch through runas + named pipe on a running node.exe service', `armed in ${r.armedMs} ms, probe ${(run.ms / 1000).toFixed(1)} s`);
    } catch (err) {
      check(false, 'helper watch: createHelperCaptureEngine arms a watch through runas + named pipe on a running node.exe service', err.message);
      return;
    }
    const events = r.events;
    const kids = r.children ?? [];
    const linuxPath = (p) => join(work, 'dumps-moved', p.split('\\').pop());
    const of = (kind, pid) => events.filter((e) => e.event === kind && e.pid === pid);
    const starts = events.filter((e) => e.event === 'dump' && e.trigger === 'start');
    judge('helper watch: armed arrives first over the pipe, on the service\'s pid; every hostname.exe child seen and exited 0', () => {
      assert(events[0]?.event === 'armed' && events[0].pid === r.servicePid, `first event ${JSON.stringify(events[0])}`);
      assert(kids.length === 3 && kids.every((k) => k.status === 0), `children ${JSON.stringify(kids)}`);
      for (const k of kids) {
        assert(of('seen', k.pid).some((e) => /^hostname\.exe$/i.test(e.name)), `${k.pid} not seen`);
        assert(of('exited', k.pid)[0]?.exitCode === 0, `${k.pid} no exited event with 0`);
      }
      return `mechanism ${events[0].mechanism}`;
    });
    judge('helper watch: one start dump per child lands in the checked folder, MDMP, size and SHA-256 as reported, although it was swapped for a link to another account\'s folder after arming', () => {
      assert(r.swapped === true, 'the folder was not swapped');
      assert(Array.isArray(r.foreignFiles) && r.foreignFiles.length === 0, `the foreign folder holds ${JSON.stringify(r.foreignFiles)}`);
      assert(starts.length === kids.length && kids.every((k) => of('dump', k.pid).some((e) => e.trigger === 'start')), `${starts.length} start dumps for ${kids.length} children`);
      for (const d of starts) {
        const file = linuxPath(d.path);
        assert(existsSync(file) && statSync(file).size === d.fileBytes, `${file} missing or not ${d.fileBytes} bytes`);
        const head = spawnSync('head', ['-c', '4', file], { encoding: 'latin1' }).stdout;
        assert(head === 'MDMP', `${file} starts with ${JSON.stringify(head)}`);
        assert(/hostname-at-start_\d+_/.test(d.path), `name ${d.path}`);
      }
      const sha = spawnSync('sha256sum', [linuxPath(starts[0].path)], { encoding: 'utf8' }).stdout.split(' ')[0];
      assert(sha === starts[0].sha256, 'SHA-256 differs');
      const files = r.files;
      assert(Array.isArray(files) && files.length === starts.length, `folder holds ${JSON.stringify(files)}`);
      return `${starts.map((d) => d.fileBytes).join(', ')} bytes`;
    });
    // Under Wine the helper and its requester are one account, so this cannot tell the requester's ACE from the
    // helper's own (dropping readerSid still passes here); real Windows can.
    judge('helper watch: each dump\'s DACL grants the user who started the helper and nobody else (Wine: one account for both)', () => {
      for (const d of starts) {
        const dacl = r.dacls?.[d.path];
        assert(typeof dacl === 'string' && dacl.includes(`;;;${r.ownSid})`), `${d.path}: ${dacl}`);
        assert(!/;(WD|BU|AU|S-1-1-0)\)/.test(dacl), `${d.path} is open to everyone: ${dacl}`);
      }
      return r.dacls?.[starts[0]?.path];
    });
    if (starts[0]) {
      judge('helper watch: lldb-16 opens a start dump from the helper, hostname.exe and ntdll.dll among its modules', () => {
        const l = spawnSync('lldb-16', ['-b', '-c', linuxPath(starts[0].path), '-o', 'thread list', '-o', 'image list'], { encoding: 'utf8', timeout: 120_000 });
        const text = `${l.stdout}\n${l.stderr}`;
        const images = [...text.matchAll(/^\[\s*\d+\]\s+\S+\s+(?:0x[0-9a-f]+\s+)?(.+)$/gim)].map((m) => m[1].trim().split(/[\\/]/).pop().toLowerCase());
        assert(/thread #\d+: tid = /.test(text), `no thread: ${text.slice(0, 300)}`);
        assert(images.includes('hostname.exe') && images.includes('ntdll.dll'), `modules ${images.join(', ')}`);
        return `${images.length} modules`;
      });
    }
    judge(`helper watch: the exit trigger ends in "${MEMORY_GONE}" for every child, no exit file, no other error`, () => {
      for (const k of kids) assert(of('error', k.pid).some((e) => e.trigger === 'exit' && e.error.code === 'process-gone' && e.error.message.includes(MEMORY_GONE)), `${k.pid}: ${JSON.stringify(of('error', k.pid))}`);
      const others = events.filter((e) => e.event === 'error' && !(e.trigger === 'exit' && e.error.message.includes(MEMORY_GONE)));
      assert(others.length === 0, `other errors ${JSON.stringify(others).slice(0, 600)}`);
      assert(!events.some((e) => e.event === 'dump' && e.trigger === 'exit') && !r.files.some((f) => f.includes('-at-exit')), 'an exit dump was reported or left');
      return of('error', kids[0]?.pid)[0]?.error.message;
    });
    judge('helper watch: an armed watch leaves the app\'s libuv pool free (one thread, UV_THREADPOOL_SIZE=1: fs.promises.stat answers)', () => {
      assert(typeof r.poolWhileArmedMs === 'number' && r.poolWhileArmedMs < 1000, `stat took ${r.poolWhileArmedMs} ms`);
      return `${r.poolWhileArmedMs} ms`;
    });
    judge('helper watch: stop() ends it with done(stopped), the helper exits 0, and the service runs on and later exits 0', () => {
      assert(r.doneReason === 'stopped' && events.at(-1)?.event === 'done' && events.at(-1).reason === 'stopped', `done ${r.doneReason}, last ${JSON.stringify(events.at(-1))}`);
      assert(r.helperExit === 0, `helper exit ${r.helperExit}`);
      assert(r.serviceRunningAfterStop === true && r.serviceExit === 0, `service running after stop ${r.serviceRunningAfterStop}, exit ${r.serviceExit}`);
      return `stop took ${r.stopMs} ms`;
    });
    judge('helper watch: a wrong start time and a folder another account owns reject start() with their sentence, no event, no file, helper exits', () => {
      const w = r.wrongStart;
      assert(!w.ok && w.code === 'pid-recycled' && /[a-z].*\.$/.test(w.message) && w.events === 0 && Array.isArray(w.files) && w.files.length === 0, `wrong start ${JSON.stringify(w)}`);
      const f = r.foreign;
      assert(!f.ok && f.code === 'bad-request' && /does not belong to you/.test(f.message) && f.events === 0, `foreign ${JSON.stringify(f)}`);
      assert(readdirSync(foreign).length === 0, `foreign folder holds ${readdirSync(foreign).join(', ')}`);
      assert(typeof w.helperExit === 'number' && w.helperExit !== 0 && typeof f.helperExit === 'number' && f.helperExit !== 0, `helper exits ${w.helperExit}, ${f.helperExit}`);
      return `${w.message} / ${f.message}`;
    });
    judge('helper watch: closing the channel after armed makes the helper release and exit; the service\'s next child runs unheld and undumped', () => {
      const c = r.closed;
      assert(c?.armed && c.failure === null, `closed watch ${JSON.stringify(c)}`);
      assert(typeof c.helperExit === 'number', `helper exit ${c.helperExit} after the channel closed`);
      assert(Array.isArray(c.after) && c.after.length === 1 && c.after[0].status === 0, `next child ${JSON.stringify(c.after)}`);
      assert(Array.isArray(c.files) && c.files.length === 0, `files ${JSON.stringify(c.files)} (the helper still watched)`);
      return `helper exited ${c.helperExit} ${c.exitMs} ms after the close`;
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === import.meta.filename) {
  ensureWinRuntime();
  let failed = 0;
  await runHelperSuite(
    (ok, name, detail) => {
      if (!ok) failed++;
      process.stdout.write(`${ok ? 'ok     ' : 'FAILED '} ${name}${detail ? ` — ${detail}` : ''}\n`);
    },
    (name, reason) => process.stdout.write(`skipped ${name} — ${reason}\n`),
  );
  process.exit(failed ? 1 : 0);
}
