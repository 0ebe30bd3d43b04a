#!/usr/bin/env node
// `node scripts/test-win-capture.mjs`: the Windows capture engine (job object + completion port, held as a
// debugger) under Wine. Runs scripts/wine/probes/capture-probe.ts with the Windows node.exe and judges its report:
// an already-running service's 20 hostname.exe children all seen and exited, start dumps that lldb-16 opens with
// hostname.exe among their modules, an exception dump of a child that raises an access violation, and the exit
// trigger ending with Wine's clear "memory already gone" error and no file; first, the sampled triggers
// (scripts/test-win-capture-sampled.mjs). scripts/test-win.mjs runs it as part of the Windows suite through
// runCaptureSuite(); run on its own, it exits non-zero on any failure.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildProbes } from './wine/build-probes.mjs';
import { cacheDir, ensureWinRuntime, runWine, winPath } from './wine/wine-env.mjs';
import { assert, makeJudge } from './wine/judge.mjs';
import { runSampledCaptureSuite } from './test-win-capture-sampled.mjs';

const MEMORY_GONE = "the process's memory was already gone at exit";
const LLDB_SAMPLES = 3;

function lldbImages(file) {
  const r = spawnSync('lldb-16', ['-b', '-c', file, '-o', 'thread list', '-o', 'image list'], { encoding: 'utf8', timeout: 120_000 });
  const text = `${r.stdout}\n${r.stderr}`;
  const threads = [...text.matchAll(/thread #\d+: tid = /g)].length;
  const images = [...text.matchAll(/^\[\s*\d+\]\s+\S+\s+(?:0x[0-9a-f]+\s+)?(.+)$/gim)].map((m) => m[1].trim().split(/[\\/]/).pop().toLowerCase());
  return { threads, images, text };
}

/** check(ok, name, detail) records one test; skip(name, reason) one skip. `probes` is the built probes folder. */
export async function runCaptureSuite(check, skip, probes) {
  // The sampled triggers (cpu, memory, series) first: their probe is independent of the one below.
  await runSampledCaptureSuite(check, probes);
  const outDir = join(cacheDir, 'capture-dumps');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  try {
    const run = await runWine(join(probes, 'capture-probe.js'), [winPath(outDir)], { timeoutMs: 240_000 });
    let report = null;
    try {
      if (run.code !== 0) throw new Error(`exited ${run.code ?? 'on timeout'}: ${run.stderr.slice(0, 800)}`);
      report = JSON.parse(run.stdout);
      if (report.startError) throw new Error(`the watch did not arm: ${report.startError}`);
      check(true, 'capture probe ran under Wine and armed a watch on a running node.exe service', `${(run.ms / 1000).toFixed(1)} s`);
    } catch (err) {
      check(false, 'capture probe ran under Wine and armed a watch on a running node.exe service', err.message);
      return;
    }
    const events = report.events;
    const kids = report.service?.children ?? [];
    const av = report.service?.av ?? null;
    const linuxPath = (p) => join(outDir, p.split('\\').pop());
    const byPid = (kind, pid) => events.filter((e) => e.event === kind && e.pid === pid);
    const judge = makeJudge(check);

    judge('events come in order: armed first, done last (target-exited), one of each; no error but the Wine exit ones', () => {
      assert(events[0]?.event === 'armed', `first event ${events[0]?.event}`);
      assert(events.at(-1)?.event === 'done' && events.at(-1).reason === 'target-exited', `last ${JSON.stringify(events.at(-1))}`);
      assert(events.filter((e) => e.event === 'armed').length === 1 && events.filter((e) => e.event === 'done').length === 1, 'armed/done not exactly once');
      const others = events.filter((e) => e.event === 'error' && !(e.trigger === 'exit' && e.error.message.includes(MEMORY_GONE)));
      assert(others.length === 0, `unexpected errors: ${JSON.stringify(others).slice(0, 600)}`);
      return `${events.length} events, mechanism ${events[0].mechanism}`;
    });
    judge('20 of 20 hostname.exe children (each under ~50 ms) seen and exited, and each still ran to exit code 0', () => {
      assert(kids.length === 20, `the service ran ${kids.length} children`);
      const seen = kids.filter((k) => byPid('seen', k.pid).some((e) => /^hostname\.exe$/i.test(e.name)));
      const exited = kids.filter((k) => byPid('exited', k.pid).length === 1);
      const ok = kids.filter((k) => k.status === 0);
      assert(seen.length === 20 && exited.length === 20, `seen ${seen.length}/20, exited ${exited.length}/20`);
      assert(ok.length === 20, `exit codes ${kids.map((k) => k.status).join(',')} (a watch must never kill)`);
      assert(kids.every((k) => byPid('exited', k.pid)[0].exitCode === 0), 'an exited event does not carry exit code 0');
      const ms = kids.map((k) => k.ms).sort((a, b) => a - b);
      return `lifetimes under the hold ${ms[0]}–${ms.at(-1)} ms`;
    });
    judge('a grandchild (cmd /c hostname) is held and dumped at start too, with cmd.exe as its parent', () => {
      const cmd = report.service?.cmd;
      assert(cmd?.pid && cmd.status === 0, `cmd ${JSON.stringify(cmd)}`);
      assert(byPid('seen', cmd.pid).length === 1, 'cmd.exe not seen');
      const grand = events.filter((e) => e.event === 'seen' && e.ppid === cmd.pid && /^hostname\.exe$/i.test(e.name));
      assert(grand.length === 1, `${grand.length} hostname.exe seen under cmd.exe ${cmd.pid}`);
      assert(byPid('dump', grand[0].pid).some((e) => e.trigger === 'start') && byPid('exited', grand[0].pid)[0]?.exitCode === 0, 'grandchild not start-dumped or not exited 0');
      return `grandchild ${grand[0].pid}`;
    });
    const startDumps = kids.flatMap((k) => byPid('dump', k.pid).filter((e) => e.trigger === 'start'));
    judge('a start dump per hostname.exe child, named -at-start, size and SHA-256 as reported', () => {
      const undumped = kids.filter((k) => !startDumps.some((d) => d.pid === k.pid));
      assert(startDumps.length === 20, `${startDumps.length} start dumps; not dumped: ${JSON.stringify(undumped.map((k) => ({
        ...k, hold: report.holds.find((h) => h.pid === k.pid),
        events: events.filter((e) => e.pid === k.pid).map((e) => (e.event === 'error' ? `error: ${e.error.message}` : e.event)) })))}`);
      for (const d of startDumps) {
        const file = linuxPath(d.path);
        assert(existsSync(file) && statSync(file).size === d.fileBytes, `${file} missing or of another size`);
        assert(/hostname-at-start_\d+_/.test(d.path), `name ${d.path}`);
      }
      const sha = spawnSync('sha256sum', [linuxPath(startDumps[0].path)], { encoding: 'utf8' }).stdout.split(' ')[0];
      assert(sha === startDumps[0].sha256, 'SHA-256 differs');
      return `${startDumps[0].fileBytes} bytes, held ${Math.min(...startDumps.map((d) => d.targetPauseMs))}–${Math.max(...startDumps.map((d) => d.targetPauseMs))} ms`;
    });
    for (const d of startDumps.slice(0, LLDB_SAMPLES)) {
      judge(`lldb-16 opens the start dump of hostname.exe ${d.pid}: a thread, hostname.exe and ntdll.dll among its modules`, () => {
        const l = lldbImages(linuxPath(d.path));
        assert(l.threads >= 1, `no thread: ${l.text.slice(0, 300)}`);
        assert(l.images.includes('hostname.exe') && l.images.includes('ntdll.dll'), `modules ${l.images.join(', ')}`);
        return `${l.threads} thread(s), ${l.images.length} modules`;
      });
    }
    judge('a child raising an access violation gives a crash dump, and then ends with 0xC0000005 as it would unwatched', () => {
      assert(av && av.pid, 'the service did not run the access-violation child');
      const crash = byPid('dump', av.pid).filter((e) => e.trigger === 'crash');
      assert(crash.length === 1, `${crash.length} crash dumps; events for it: ${JSON.stringify(events.filter((e) => e.pid === av.pid)).slice(0, 600)}`);
      const file = linuxPath(crash[0].path);
      assert(existsSync(file) && /node-at-crash_/.test(crash[0].path), `file ${crash[0].path}`);
      const l = lldbImages(file);
      assert(l.threads >= 1 && l.images.includes('node.exe'), `lldb: ${l.threads} threads, ${l.images.join(', ')}`);
      // The exception stream: lldb stops the faulting thread on it.
      assert(/stop reason = Exception 0xc0000005/i.test(l.text), `no exception stop reason in lldb: ${l.text.slice(0, 600)}`);
      assert(av.status === 0xc0000005, `exit status ${av.status}`);
      return `${crash[0].fileBytes} bytes, ${l.threads} threads`;
    });
    judge(`the exit trigger ends with "${MEMORY_GONE}" (process-gone) under Wine, and leaves no file`, () => {
      const gone = kids.filter((k) => byPid('error', k.pid).some((e) => e.trigger === 'exit' && e.error.code === 'process-gone' && e.error.message.includes(MEMORY_GONE)));
      assert(gone.length === 20, `${gone.length}/20 hostname.exe children got the exit error`);
      const exitFiles = readdirSync(outDir).filter((f) => f.includes('-at-exit'));
      assert(exitFiles.length === 0, `files left: ${exitFiles.join(', ')}`);
      assert(!events.some((e) => e.event === 'dump' && e.trigger === 'exit'), 'an exit dump was reported');
      return gone.length ? byPid('error', gone[0].pid).find((e) => e.trigger === 'exit').error.message : '';
    });
    judge('the watched service itself was neither dumped nor disturbed (scope: descendants) and exited 0', () => {
      assert(!events.some((e) => e.pid === report.servicePid && (e.event === 'dump' || e.event === 'seen')), 'the service was treated as a match');
      assert(report.serviceExit === 0, `service exit ${report.serviceExit}`);
    });

    const self = report.self;
    judge("scope 'self' on a running node.exe: attached live, no start dump, a crash dump with the exception, the Wine exit error, exit 0xC0000005", () => {
      assert(self && !self.startError, `the watch did not arm: ${self?.startError}`);
      const ev = self.events;
      assert(ev[0]?.event === 'armed' && ev.at(-1)?.event === 'done' && self.doneReason === 'target-exited', `events ${ev.map((e) => e.event).join(',')}, done ${self.doneReason}`);
      const seen = ev.filter((e) => e.event === 'seen');
      assert(seen.length === 1 && seen[0].pid === self.pid && /^node\.exe$/i.test(seen[0].name), `seen ${JSON.stringify(seen)}`);
      const dumps = ev.filter((e) => e.event === 'dump');
      assert(dumps.length === 1 && dumps[0].trigger === 'crash', `dumps ${dumps.map((d) => d.trigger).join(',') || 'none'}`);
      const l = lldbImages(linuxPath(dumps[0].path));
      assert(/stop reason = Exception 0xc0000005/i.test(l.text), `no exception in lldb: ${l.text.slice(0, 400)}`);
      assert(ev.some((e) => e.event === 'error' && e.trigger === 'exit' && e.error.message.includes(MEMORY_GONE)), 'no Wine exit error');
      assert(ev.some((e) => e.event === 'exited' && e.exitCode === 0xc0000005), 'no exited event with 0xC0000005');
      assert(self.exitCode === 0xc0000005, `exit code ${self.exitCode}`);
      return `${dumps[0].fileBytes} bytes`;
    });
    const rec = report.reconcile;
    judge('with every NEW_PROCESS message dropped, the 1 s reconcile pass (BasicProcessIdList) still finds and holds both ping.exe children', () => {
      assert(rec && !rec.startError, `the watch did not arm: ${rec?.startError}`);
      const kids = rec.children ?? [];
      assert(kids.length === 2, `the parent ran ${kids.length} children`);
      for (const k of kids) {
        assert(rec.late.includes(k.pid), `ping ${k.pid} was not attached by reconcile (late: ${rec.late.join(',')})`);
        assert(rec.events.some((e) => e.event === 'seen' && e.pid === k.pid), `ping ${k.pid} not seen`);
        assert(rec.events.some((e) => e.event === 'exited' && e.pid === k.pid && e.exitCode === 0), `ping ${k.pid} no exited event with 0`);
        assert(k.status === 0, `ping ${k.pid} exited ${k.status}`);
      }
      assert(rec.doneReason === 'target-exited' && rec.exitCode === 0, `done ${rec.doneReason}, parent exit ${rec.exitCode}`);
      return `late ${rec.late.join(', ')}`;
    });
    const dl = report.deadline;
    judge('a 20 ms hold deadline cuts a crash dump (~150 ms under Wine) short: released with a sentence, the child still dies of its AV, no partial file', () => {
      assert(dl && !dl.startError, `the watch did not arm: ${dl?.startError}`);
      const cut = dl.events.find((e) => e.event === 'error' && e.trigger === 'crash');
      assert(cut && cut.error.code === 'cancelled' && /hold deadline/.test(cut.error.message), `no deadline error: ${JSON.stringify(dl.events).slice(0, 600)}`);
      assert(!dl.events.some((e) => e.event === 'dump'), 'a dump was reported');
      assert(dl.exitCode === 0xc0000005, `exit code ${dl.exitCode}`);
      assert(dl.leftovers.length === 0, `left ${dl.leftovers.join(', ')}`);
      return cut.error.message;
    });
    judge('start() refuses a gone pid, a reused pid, its own process, a bad rule and a missing folder, each in a sentence and before any event', () => {
      const want = { gone: 'process-gone', recycled: 'pid-recycled', ownProcess: 'bad-request', badRule: 'bad-request', missingFolder: 'bad-request' };
      for (const [k, code] of Object.entries(want)) {
        const r = report.refusals?.[k];
        assert(r && r.code === code && r.events === 0, `${k}: ${JSON.stringify(r)}, want ${code}`);
        assert(/[a-z].*\.$/.test(r.message) && !/\n\s+at /.test(r.message), `${k}: message ${JSON.stringify(r.message)}`);
      }
      return report.refusals.gone.message;
    });
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  ensureWinRuntime();
  const probes = await buildProbes();
  await runCaptureSuite(
    (ok, name, detail) => {
      counts[ok ? 'passed' : 'failed']++;
      process.stdout.write(`${ok ? 'ok     ' : 'FAILED '} ${name}${detail ? ` — ${detail}` : ''}\n`);
    },
    (name, reason) => {
      counts.skipped++;
      process.stdout.write(`skipped ${name} — ${reason}\n`);
    },
    probes,
  );
  process.stdout.write(`windows capture (wine): ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  process.exit(counts.failed ? 1 : 0);
}
