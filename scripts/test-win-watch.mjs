// `procscope watch` under Wine: runs scripts/wine/probes/watch-cli-probe.ts (the CLI's dispatcher on the real win32
// backend and capture engine, watching an already-running node.exe service that starts three hostname.exe children
// once the watch prints `armed`) and judges its JSON lines on Linux: armed first, done last (target-exited), three
// hostname.exe seen and three start dumps whose files exist, begin with MDMP and have the size the line says; with
// --on exit, Wine's missing memory gives one clear error line per child and no file.
// scripts/test-win.mjs runs it as part of the Windows suite through runWatchCliSuite().
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, nodeExe, runWine, winPath } from './wine/wine-env.mjs';

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

// `procscope watch --launch` under Wine (scripts/wine/probes/watch-launch-probe.ts): the CLI creates the program
// suspended, arms, then resumes it. Judged: a launched `cmd /c "hostname & exit 3"` has its hostname.exe child seen
// and start-dumped (MDMP, lldb-16 lists hostname.exe and ntdll.dll) and done says exit 3; without --children cmd.exe
// itself is start-dumped at its loader's breakpoint and still exits 3; node.exe gets six awkward arguments back
// whole (the MSVCRT quoting through Wine's CRT); a watch that cannot arm leaves the program never run.
function lldbImageNames(file) {
  const r = spawnSync('lldb-16', ['-b', '-c', file, '-o', 'thread list', '-o', 'image list'], { encoding: 'utf8', timeout: 120_000 });
  const text = `${r.stdout}\n${r.stderr}`;
  const threads = [...text.matchAll(/thread #\d+: tid = /g)].length;
  const images = [...text.matchAll(/^\[\s*\d+\]\s+\S+\s+(?:0x[0-9a-f]+\s+)?(.+)$/gim)].map((m) => m[1].trim().split(/[\\/]/).pop().toLowerCase());
  return { threads, images };
}

export async function runWatchLaunchSuite(check, probes) {
  const outDir = join(cacheDir, 'watch-launch-dumps');
  const run = async (args) => {
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    const reportFile = join(outDir, 'report.json');
    const r = await runWine(join(probes, 'watch-launch-probe.js'), [winPath(reportFile), JSON.stringify(args)], { timeoutMs: 180_000 });
    if (r.code !== 0 || !existsSync(reportFile)) {
      // Everything the run left, so that a rare failure (once: exit 1, empty stderr) can be told apart next time.
      const report = existsSync(reportFile) ? readFileSync(reportFile, 'utf8').slice(0, 600) : 'none';
      throw new Error(`probe exited ${r.code ?? 'on timeout'} (signal ${r.signal}, ${r.ms} ms): stderr ${JSON.stringify(r.stderr.slice(0, 800))}; stdout ${JSON.stringify(r.stdout.slice(-400))}; report ${report}`);
    }
    const report = JSON.parse(readFileSync(reportFile, 'utf8'));
    const events = report.lines.map((l) => JSON.parse(l));
    const files = readdirSync(outDir).filter((f) => f.endsWith('.dmp'));
    return { report, events, files, programOut: r.stdout, detail: `exit ${report.code}, ${report.lines.join(' ').slice(0, 700)}; stderr: ${report.stderr.slice(0, 200)}` };
  };
  const goodDump = (d, name) => {
    const p = linuxPath(d.path);
    if (!existsSync(p) || readFileSync(p).subarray(0, 4).toString('latin1') !== 'MDMP' || readFileSync(p).length !== d.fileBytes) return `bad file ${p}`;
    const l = lldbImageNames(p);
    return l.threads >= 1 && l.images.includes(name) && l.images.includes('ntdll.dll') ? null : `lldb: ${l.threads} threads, ${l.images.join(', ')}`;
  };
  const attempt = async (name, fn) => {
    try {
      await fn();
    } catch (err) {
      check(false, name, err.message);
    }
  };
  const cmd = ['--launch', '--', 'cmd', '/c', 'hostname & exit 3'];
  try {
    await attempt('procscope watch --children --launch -- cmd /c "hostname & exit 3" under Wine', async () => {
      const r = await run(['--children', '--name', 'hostname*', '--on', 'start', '--mini', '--out', winPath(outDir), '--timeout', '120', '--json', ...cmd]);
      const kinds = r.events.map((e) => e.event);
      const seen = r.events.filter((e) => e.event === 'seen' && /^hostname\.exe$/i.test(e.name));
      const dumps = r.events.filter((e) => e.event === 'dump' && e.trigger === 'start' && /^hostname/i.test(e.name));
      const bad = dumps.map((d) => goodDump(d, 'hostname.exe')).filter((b) => b !== null);
      const done = r.events.at(-1);
      check(
        r.report.code === 0 && kinds[0] === 'armed' && seen.length === 1 && dumps.length === 1 && bad.length === 0 && r.files.length === 1 &&
          done.event === 'done' && done.reason === 'target-exited' && done.launched?.state === 'exited' && done.launched.exitCode === 3 &&
          r.programOut.trim() !== '',
        'procscope watch --children --launch -- cmd /c "hostname & exit 3" under Wine: armed first, its hostname.exe child seen and start-dumped (MDMP, lldb-16 lists hostname.exe and ntdll.dll), done says exit 3, the program wrote to our stdout',
        `${bad.join('; ')} program stdout ${JSON.stringify(r.programOut.trim().slice(0, 40))}; ${r.detail}`,
      );
    });
    await attempt('procscope watch --launch (the program itself) under Wine', async () => {
      const r = await run(['--on', 'start', '--mini', '--out', winPath(outDir), '--timeout', '120', '--json', ...cmd]);
      const dumps = r.events.filter((e) => e.event === 'dump' && e.trigger === 'start' && /^cmd\.exe$/i.test(e.name));
      const bad = dumps.map((d) => goodDump(d, 'cmd.exe')).filter((b) => b !== null);
      const done = r.events.at(-1);
      check(
        r.report.code === 0 && dumps.length === 1 && bad.length === 0 && done.launched?.exitCode === 3 &&
          r.events.some((e) => e.event === 'exited' && e.exitCode === 3) && !r.events.some((e) => e.event === 'error'),
        'procscope watch --launch -- cmd /c … under Wine: cmd.exe, created suspended, is start-dumped at its loader breakpoint (lldb-16 lists cmd.exe and ntdll.dll) and still exits 3',
        `${bad.join('; ')} ${r.detail}`,
      );
    });
    await attempt('procscope watch --launch passes awkward arguments whole under Wine', async () => {
      const args = ['a b', 'say "hi"', 'C:\\dir x\\', '', 'back\\\\"slash', '&|^%'];
      const script = 'console.log("ARGV=" + JSON.stringify(process.argv.slice(1)))';
      const r = await run(['--on', 'crash', '--out', winPath(outDir), '--timeout', '120', '--json', '--launch', '--', winPath(nodeExe), '-e', script, ...args]);
      const line = r.programOut.split(/\r?\n/).find((l) => l.startsWith('ARGV='));
      check(
        r.report.code === 0 && line === `ARGV=${JSON.stringify(args)}` && r.events.at(-1).launched?.exitCode === 0,
        'procscope watch --launch under Wine: node.exe gets six arguments with spaces, quotes, trailing and doubled backslashes, an empty one and &|^% back whole (MSVCRT quoting), exit 0',
        `program printed ${JSON.stringify(line ?? r.programOut.slice(0, 200))}; ${r.detail}`,
      );
    });
    await attempt('procscope watch --launch that cannot arm under Wine', async () => {
      const r = await run(['--on', 'start', '--out', 'C:\\procscope-no-such-folder', '--json', ...cmd]);
      const done = r.events.at(-1);
      check(
        r.report.code === 2 && done?.launched?.state === 'not-started' && r.programOut.trim() === '' && r.files.length === 0,
        'procscope watch --launch under Wine with a missing --out: exit 2, the program reported not-started and never ran (no hostname output), no file',
        `program stdout ${JSON.stringify(r.programOut.slice(0, 80))}; ${r.detail}`,
      );
    });
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
