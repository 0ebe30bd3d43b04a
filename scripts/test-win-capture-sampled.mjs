// The Windows capture engine's sampled triggers (ProcDump -c, -m, -n/-s) under Wine: runs
// scripts/wine/probes/capture-sampled-probe.ts with the Windows node.exe and judges its report — a busy node.exe gets
// one --cpu 50 -s 2 dump no sooner than ~1.8 s after arming, an idle one none, a series -n 3 -s 1 three dumps about
// a second apart (each S after the last one ended), a node.exe holding 200 MB one --memory 150 dump; lldb-16 opens
// every file and lists threads; no target is held, killed or disturbed. runCaptureSuite (test-win-capture.mjs) runs it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, runWine, winPath } from './wine/wine-env.mjs';
import { assert, makeJudge } from './wine/judge.mjs';

function lldb(file) {
  const r = spawnSync('lldb-16', ['-b', '-c', file, '-o', 'thread list', '-o', 'image list'], { encoding: 'utf8', timeout: 60_000 });
  const text = `${r.stdout}\n${r.stderr}`;
  const threads = [...text.matchAll(/thread #\d+: tid = /g)].length;
  const images = [...text.matchAll(/^\[\s*\d+\]\s+\S+\s+(?:0x[0-9a-f]+\s+)?(.+)$/gim)].map((m) => m[1].trim().split(/[\\/]/).pop().toLowerCase());
  return { threads, images, text };
}

/** check(ok, name, detail) records one test; `probes` is the built probes folder. */
export async function runSampledCaptureSuite(check, probes) {
  const outDir = join(cacheDir, 'capture-sampled-dumps');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const judge = makeJudge(check);
  try {
    const run = await runWine(join(probes, 'capture-sampled-probe.js'), [winPath(outDir)], { timeoutMs: 60_000 });
    let report = null;
    judge('sampled-trigger probe ran under Wine and armed its four watches (cpu, idle, series, memory)', () => {
      assert(run.code === 0, `exited ${run.code ?? 'on timeout'}: ${run.stderr.slice(0, 800)}`);
      report = JSON.parse(run.stdout);
      for (const k of ['cpu', 'idle', 'series', 'memory']) assert(!report[k]?.startError, `${k}: the watch did not arm: ${report[k]?.startError}`);
      return `${(run.ms / 1000).toFixed(1)} s`;
    });
    if (!report) return;
    const file = (d) => join(outDir, d.path.split('\\').pop());
    const dumpsOf = (k) => report[k].events.filter((e) => e.event === 'dump');
    /** The dump's file is there with the size reported, and lldb-16 opens it with its threads and node.exe. */
    const opens = (d) => {
      const f = file(d);
      assert(existsSync(f) && statSync(f).size === d.fileBytes, `${f} missing or of another size`);
      const l = lldb(f);
      assert(l.threads >= 1 && l.images.includes('node.exe'), `lldb-16: ${l.threads} threads, modules ${l.images.join(', ')}: ${l.text.slice(0, 300)}`);
      return l;
    };

    judge('no sampled watch held a process, reported an error, or left its target anything but running', () => {
      for (const k of ['cpu', 'idle', 'series', 'memory']) {
        const ev = report[k].events;
        assert(ev[0]?.event === 'armed' && ev.at(-1)?.event === 'done', `${k}: events ${ev.map((e) => e.event).join(',')}`);
        assert(!ev.some((e) => e.event === 'held'), `${k}: a held event (a sampled dump is of the running process)`);
        const errors = ev.filter((e) => e.event === 'error');
        assert(errors.length === 0, `${k}: ${JSON.stringify(errors).slice(0, 400)}`);
        assert(report[k].aliveAfter === true, `${k}: its target had ended by the time the watch did`);
      }
    });
    judge('--cpu 50 -s 2 on a busy node.exe: one cpu dump, no sooner than 1.8 s after arming; the watch ends at -n 1; lldb-16 lists its threads', () => {
      const d = dumpsOf('cpu');
      assert(d.length === 1 && d[0].trigger === 'cpu', `dumps ${JSON.stringify(d).slice(0, 300)}`);
      assert(d[0].sinceArmedMs >= 1800, `dumped ${d[0].sinceArmedMs} ms after arming`);
      assert(/node-at-cpu_\d+_/.test(d[0].path), `name ${d[0].path}`);
      assert(report.cpu.doneReason === 'max-dumps', `done ${report.cpu.doneReason}`);
      const l = opens(d[0]);
      return `at ${d[0].sinceArmedMs} ms, paused ${d[0].targetPauseMs} ms, ${d[0].fileBytes} bytes, ${l.threads} threads`;
    });
    judge('--cpu 50 -s 2 on an idle node.exe: no dump in 3.5 s, the watch ends at its timeout', () => {
      assert(dumpsOf('idle').length === 0, `dumps ${JSON.stringify(dumpsOf('idle')).slice(0, 300)}`);
      assert(report.idle.doneReason === 'timeout', `done ${report.idle.doneReason}`);
      assert(!readdirSync(outDir).some((f) => f.includes(`_${report.idle.pid}_`)), 'a file of the idle target');
    });
    judge('a series -n 3 -s 1: three series dumps, the first at once, each next 1 s after the last one ended; lldb-16 opens each', () => {
      const d = dumpsOf('series');
      assert(d.length === 3 && d.every((x) => x.trigger === 'series' && /node-at-series_\d+_/.test(x.path)), `dumps ${JSON.stringify(d).slice(0, 400)}`);
      assert(d[0].sinceArmedMs < 1000, `first dump ${d[0].sinceArmedMs} ms after arming`);
      // From the end of one dump (its event) to the start of the next (its event less its write): the -s 1 pause, not
      // rounded up to the next once-a-second tick (which would add up to 1 s less the write, ~250 ms under Wine).
      const pauses = d.slice(1).map((x, i) => x.sinceArmedMs - x.targetPauseMs - d[i].sinceArmedMs);
      assert(pauses.every((g) => g >= 900 && g < 1600), `pauses between dumps ${pauses.join(', ')} ms`);
      assert(new Set(d.map((x) => x.path)).size === 3, 'two dumps share a file');
      for (const x of d) opens(x);
      assert(report.series.doneReason === 'max-dumps', `done ${report.series.doneReason}`);
      return `at ${d.map((x) => x.sinceArmedMs).join(', ')} ms, pauses ${pauses.join(', ')} ms`;
    });
    judge('--memory 150 on a node.exe holding 200 MB (commit): one memory dump; lldb-16 opens it', () => {
      const d = dumpsOf('memory');
      assert(d.length === 1 && d[0].trigger === 'memory' && /node-at-memory_\d+_/.test(d[0].path), `dumps ${JSON.stringify(d).slice(0, 300)}`);
      const l = opens(d[0]);
      return `at ${d[0].sinceArmedMs} ms, ${d[0].fileBytes} bytes, ${l.threads} threads`;
    });
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
