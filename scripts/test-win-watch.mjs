// `procscope watch` under Wine: runs scripts/wine/probes/watch-cli-probe.ts (the CLI's dispatcher on the real win32
// backend and capture engine, watching an already-running node.exe service that starts three hostname.exe children
// once the watch prints `armed`) and judges its JSON lines on Linux: armed first, done last (target-exited), three
// hostname.exe seen and three start dumps whose files exist, begin with MDMP and have the size the line says; with
// --on exit, Wine's missing memory gives one clear error line per child and no file.
// scripts/test-win.mjs runs it as part of the Windows suite through runWatchCliSuite().
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, runWine, winPath } from './wine/wine-env.mjs';

const CHILDREN = 3;
const MEMORY_GONE = /memory was already gone at exit/;
const linuxPath = (p) => p.replace(/^Z:/i, '').replaceAll('\\', '/');

/** check(ok, name, detail) records one test. `probes` is the built probes folder. */
export async function runWatchCliSuite(check, probes) {
  const outDir = join(cacheDir, 'watch-cli-dumps');
  const run = async (trigger) => {
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    const r = await runWine(join(probes, 'watch-cli-probe.js'), [winPath(outDir), trigger], { timeoutMs: 240_000 });
    if (r.code !== 0) throw new Error(`probe exited ${r.code ?? 'on timeout'}: ${r.stderr.slice(0, 800)}`);
    const report = JSON.parse(r.stdout);
    const events = report.lines.map((l) => JSON.parse(l));
    const files = readdirSync(outDir).filter((f) => f.endsWith('.dmp'));
    const detail = `exit ${report.code}, ${events.length} lines, ${files.length} files, ${(report.ms / 1000).toFixed(1)} s; stderr: ${report.stderr.slice(0, 300)}`;
    return { report, events, files, detail };
  };
  try {
    let start;
    try {
      start = await run('start');
    } catch (err) {
      check(false, 'procscope watch --json under Wine runs to its done line', err.message);
      return;
    }
    const kinds = start.events.map((e) => e.event);
    check(
      start.report.code === 0 && kinds[0] === 'armed' && kinds.at(-1) === 'done' && start.events.at(-1).reason === 'target-exited',
      'procscope watch --json under Wine: armed first, done (target-exited) last, exit 0',
      start.detail,
    );
    const seen = start.events.filter((e) => e.event === 'seen' && /^hostname/i.test(e.name));
    const dumps = start.events.filter((e) => e.event === 'dump' && e.trigger === 'start');
    const bad = dumps.filter((d) => {
      const p = linuxPath(d.path);
      return !existsSync(p) || readFileSync(p).subarray(0, 4).toString('latin1') !== 'MDMP' || readFileSync(p).length !== d.fileBytes;
    });
    check(
      seen.length === CHILDREN && dumps.length === CHILDREN && bad.length === 0 && start.files.length === CHILDREN && start.events.at(-1).dumpCount === CHILDREN,
      `procscope watch --children --name 'hostname*' --on start under Wine: ${CHILDREN} of ${CHILDREN} children seen and start-dumped (MDMP, sizes as printed)`,
      `${seen.length} seen, ${dumps.length} dumps, ${bad.length} bad files; errors: ${JSON.stringify(start.events.filter((e) => e.event === 'error')).slice(0, 400)}`,
    );

    // Wine 8 frees a process's memory before the debugger hears of its exit: the CLI must say so per child, in an
    // error line, and leave no file — never a broken dump. The watch itself still ends normally (exit 0).
    let exit;
    try {
      exit = await run('exit');
    } catch (err) {
      check(false, "procscope watch --on exit under Wine: one 'memory already gone' error per child, no file", err.message);
      return;
    }
    const errors = exit.events.filter((e) => e.event === 'error' && e.trigger === 'exit' && MEMORY_GONE.test(e.error.message));
    check(
      exit.report.code === 0 && errors.length === CHILDREN && exit.files.length === 0 && !exit.events.some((e) => e.event === 'dump'),
      `procscope watch --on exit under Wine: ${CHILDREN} of ${CHILDREN} children end in the 'memory already gone at exit' error line, no file, exit 0`,
      `${errors.length} such errors; ${exit.detail}; lines: ${exit.report.lines.filter((l) => !l.includes('"seen"')).join(' ').slice(0, 500)}`,
    );
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
