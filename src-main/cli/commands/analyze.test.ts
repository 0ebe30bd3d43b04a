// `procscope analyze` end to end: the parked-threads fixture (gcc -O2, two threads deadlocked on two mutexes,
// pthread_join, pause, a pipe read, nanosleep, a busy loop) runs from a folder whose name holds "<script>", with
// Calamari's secret on its command line and a secret in its environment; our writer cores it; the bundled CLI
// analyses the core. The JSON must name exactly the two deadlocked tids in one `deadlock` finding, classify every
// thread, agree with gdb on the top frames, and neither the JSON nor the HTML may hold a secret or raw "<script>".
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisReport } from '../../../src-shared/model/analysis-report';
import { createLinuxCoreWriter } from '../../dump/linux/linux-core-writer';
import { bundleFixture, REPO_NODE_MODULES } from '../../dump/helper/__fixtures__/bundle-fixture';
import { readProcessStartTimeMs } from '../../platform/linux/proc-start-time';
import { compileParkedThreadsSync, gdbFrames, startParkedThreads, type ParkedProcess } from '../../analysis/unwind/__fixtures__/parked-threads';
import { CliUsageError } from '../cli-command';
import { parseAnalyzeArgs } from './analyze';

const root = join(import.meta.dirname, '..', '..', '..');
const SECRETS = ['hunter2', 'correct horse', 'envSecretValue42'];

describe('procscope analyze arguments', () => {
  it('parses the file, --json, --html and repeated --symbols', () => {
    expect(parseAnalyzeArgs(['core', '--json', '--html', 'r.html', '--symbols', 'a', '--symbols=/b'], '/w')).toEqual({
      file: '/w/core', json: true, htmlOut: '/w/r.html', symbolFolders: ['/w/a', '/b'], packPath: null,
    });
    expect(parseAnalyzeArgs(['core', '--pack', 'p/core.pack'], '/w').packPath).toBe('/w/p/core.pack');
  });
  it.each([
    [[], /which dump/],
    [['a', 'b'], /one dump file at a time/],
    [['a', '--html'], /--html needs a file/],
    [['a', '--symbols'], /--symbols needs a folder/],
    [['a', '--pack'], /--pack needs a file/],
    [['a', '--pack', 'x', '--pack=y'], /--pack given twice/],
    [['a', '--bogus'], /unknown option '--bogus'/],
  ])('rejects %j', (args, message) => {
    expect(() => parseAnalyzeArgs(args, '/')).toThrow(CliUsageError);
    expect(() => parseAnalyzeArgs(args, '/')).toThrow(message);
  });
});

describe('procscope analyze on a core of parked threads', () => {
  let dir: string;
  let cliPath: string;
  let exe: string;
  let target: ParkedProcess;
  let core: string;
  let startTimeMs: number;

  const runCli = (args: string[]): { status: number | null; stdout: string; stderr: string } => {
    const r = spawnSync(process.execPath, [cliPath, 'analyze', ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 2 ** 20, env: { ...process.env, NODE_PATH: REPO_NODE_MODULES } });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'procscope-analyze-'));
    const exeDir = join(dir, '<script>alert(1)');
    mkdirSync(exeDir);
    [cliPath, exe] = await Promise.all([bundleFixture(join(root, 'src-main/cli/cli-entry.ts')), Promise.resolve(compileParkedThreadsSync(exeDir))]);
    process.env.PROCSCOPE_TEST_SECRET = SECRETS[2];
    try {
      target = await startParkedThreads(exe, ['deploy-package', '--sensitiveVariablesPassword=hunter2', '--password', SECRETS[1]!]);
    } finally {
      delete process.env.PROCSCOPE_TEST_SECRET;
    }
    startTimeMs = readProcessStartTimeMs(target.pid)!;
    core = (await createLinuxCoreWriter().write({ pid: target.pid, startTimeMs, kind: 'mini', outDir: dir })).path;
  });
  afterAll(() => {
    target?.stop();
    if (cliPath) rmSync(dirname(cliPath), { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reports the deadlock, classifies every thread, agrees with gdb and leaks no secret', () => {
    const html = join(dir, 'report.html');
    const started = Date.now();
    const r = runCli([core, '--json', '--html', html]);
    console.log(`analyze --json --html of a ${(readFileSync(core).length / 2 ** 20).toFixed(1)} MiB mini core: ${Date.now() - started} ms`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as AnalysisReport;
    const tidOf = (name: string): number => [...target.names].find(([, n]) => n === name)![0];
    const byName = (name: string) => report.threads.find((t) => t.tid === tidOf(name))!;

    const deadlocks = report.findings.filter((f) => f.kind === 'deadlock');
    expect(deadlocks).toHaveLength(1);
    expect(deadlocks[0]!.severity).toBe('error');
    expect(deadlocks[0]!.threads).toEqual([tidOf('deadlock-a'), tidOf('deadlock-b')].sort((a, b) => a - b));
    expect(report.findings[0]!.kind).toBe('deadlock');
    expect(report.waitChains).toContainEqual({ tids: deadlocks[0]!.threads, deadlock: true });

    const states = Object.fromEntries([...target.names.values()].map((n) => [n, byName(n).classification.state]));
    expect(states).toEqual({
      'parked-threads': 'io-wait', 'deadlock-a': 'lock-wait', 'deadlock-b': 'lock-wait', pauser: 'sleeping', joiner: 'join-wait',
      reader: 'io-wait', sleeper: 'sleeping', busy: 'busy', sighandler: 'sleeping',
    });
    expect(byName('deadlock-a').classification.waitsForTid).toBe(tidOf('deadlock-b'));
    expect(byName('deadlock-b').classification.waitsForTid).toBe(tidOf('deadlock-a'));
    expect(byName('joiner').classification.waitsForTid).toBe(tidOf('pauser'));
    expect(byName('reader').classification.severity).toBe('warning');
    expect(byName('parked-threads').classification.summary).toMatch(/standard input/);
    expect(report.findings.map((f) => f.kind)).toEqual(expect.arrayContaining(['busy', 'io-wait', 'join-wait', 'sleeping']));
    expect(report.topCpuThreads[0]!.tid).toBe(tidOf('busy'));
    // Names and the uptime come from our PROCSCOPE note.
    expect(Object.fromEntries(report.threads.map((t) => [t.tid, t.name]))).toEqual(Object.fromEntries(target.names));
    expect(report.header.processStartTimeMs).toBe(startTimeMs);
    expect(report.header.uptimeMs).toBeGreaterThan(0);
    expect(report.qualityNotes.join('\n')).not.toMatch(/Thread names are not recorded/);

    // The top three frames of every thread: the same pc as gdb's, and module + offset + trust present.
    const gdb = gdbFrames(exe, core);
    let compared = 0;
    let named = 0;
    for (const t of report.threads) {
      const judge = gdb.get(t.tid)!;
      for (const [i, f] of t.frames.slice(0, 3).entries()) {
        expect(f.pc, `thread ${target.names.get(t.tid)} frame ${i}`).toBe(`0x${judge[i]!.pc.toString(16)}`);
        // gdb names glibc's functions from libc6-dbg (__GI___libc_read), we from .dynsym (read): compare names
        // in the fixture's own module.
        if (f.module === 'parked-threads') {
          expect(f.function).toBe(judge[i]!.name);
          named++;
        }
        expect(f.module).not.toBeNull();
        expect(f.offset).toMatch(/^0x[0-9a-f]+$/);
        expect(['context', 'cfi']).toContain(f.trust);
        compared++;
      }
    }
    console.log(`top frames equal to gdb's: ${compared} by pc, ${named} of them in the fixture also by name`);
    expect(named).toBeGreaterThanOrEqual(target.names.size - 1);
    expect(byName('deadlock-a').frames.map((f) => f.function)).toContain('lock_second_while_holding_first');

    const page = readFileSync(html, 'utf8');
    for (const text of [r.stdout, page]) for (const s of SECRETS) expect(text).not.toContain(s);
    expect(report.modules.find((m) => m.name === 'parked-threads')!.path).toContain('<script>alert(1)'); // JSON keeps it as it is
    expect(page).toContain('&lt;script&gt;alert(1)');
    expect(page).toMatch(/>parked-threads!lock_second_while_holding_first\+0x[0-9a-f]+</);
    expect(page).toMatch(/^<!DOCTYPE html>/);
    expect(page).not.toMatch(/<script|https?:\/\/|<link /i);
    expect(report.header.commandLine).toContain('--sensitiveVariablesPassword=<redacted>');
    expect(report.header.commandLine).toContain('--password <redacted>');
    expect(report.redactions.filter((x) => x.kind === 'option-value').map((x) => x.key).sort()).toEqual(['--password', '--sensitiveVariablesPassword']);
    expect(page).toMatch(new RegExp(`${report.redactions.length} value\\(s\\) masked`));
  });

  it('prints a text summary by default', () => {
    const r = runCli([core]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\[error\] Deadlock: 2 threads wait for each other/);
    // module!function+offset-in-function where the function is known, thread names from the PROCSCOPE note
    expect(r.stdout).toMatch(/^ {6}#\d+ parked-threads!lock_second_while_holding_first\+0x[0-9a-f]+ \[cfi\]$/m);
    expect(r.stdout).toMatch(new RegExp(`^  ${[...target.names].find(([, n]) => n === 'deadlock-a')![0]} deadlock-a: `, 'm'));
    expect(r.stdout).not.toContain('hunter2');
  });

  it('refuses a missing file, a file that is not a dump and a truncated core with one sentence', () => {
    const notDump = join(dir, 'notes.txt');
    writeFileSync(notDump, 'hello world\n');
    const truncated = join(dir, 'truncated.core');
    writeFileSync(truncated, readFileSync(core).subarray(0, 4096));
    for (const [file, message] of [
      [join(dir, 'missing.core'), /does not exist/],
      [notDump, /is not a dump: it starts with neither an ELF header/],
      [truncated, /truncated|past the end|outside/],
    ] as const) {
      const r = runCli([file]);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
    const usage = runCli([]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/Usage: procscope analyze FILE/);
  });
});
