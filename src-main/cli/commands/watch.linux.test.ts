// `procscope watch` end to end on Linux: the CLI is bundled (rolldown, ~0.5 s) and run as a real process with the
// real capture engine against a real parent (/bin/sh) that starts its children only after the watch printed
// `armed`: true (exit 0), false (exit 1) and sh -c 'exit 3'. With --exit-code-nonzero exactly the two failing
// children are dumped, each core is an ELF file gdb opens with the child's pid; Ctrl+C releases the parent, which
// is no longer traced and finishes; as `nobody`, root's process needs elevation. --wait catches a process started
// after the watch began and dumps it at exit; --launch holds its program before the first instruction (a start
// dump of it), dumps its short child at start and exit, shares stdout and reports exit code 3 in done; bad input
// exits 2 with a sentence. Needs root and gdb.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureEvent } from '../../../src-shared/model/capture';
import { bundleFixture, REPO_NODE_MODULES } from '../../dump/helper/__fixtures__/bundle-fixture';
import { startWatchCli, type RunningCli } from './__fixtures__/watch-cli';

const root = join(import.meta.dirname, '..', '..', '..');
const AS_NOBODY = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'];
const PARENT_SCRIPT = "read go; /bin/true; /bin/false; /bin/sh -c 'exit 3'; read end";

let cliPath = '';
let outDir = '';
const started: ChildProcess[] = [];

/** The bundled CLI's `watch` as a process, its children killed by afterEach. */
const startCli = (args: string[], wrapper: string[] = []): RunningCli => startWatchCli(cliPath, args, started, wrapper);

function startParent(script: string): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn('/bin/sh', ['-c', script], { stdio: ['pipe', 'ignore', 'ignore'] });
  started.push(child);
  return { child, exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
}

const tracerOf = (pid: number): number => Number(/^TracerPid:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? -1);

describe.runIf(process.platform === 'linux' && process.getuid?.() === 0)('procscope watch as a process (Linux, real engine)', () => {
  beforeAll(async () => {
    cliPath = await bundleFixture(join(root, 'src-main/cli/cli-entry.ts'));
  });
  afterEach(() => {
    for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (outDir) rmSync(outDir, { recursive: true, force: true });
    outDir = '';
  });
  afterAll(() => {
    if (cliPath) rmSync(dirname(cliPath), { recursive: true, force: true });
  });

  it('--children --on exit --exit-code-nonzero: the exit-1 and exit-3 children are dumped, the exit-0 one is not', async () => {
    outDir = mkdtempSync(join(tmpdir(), 'procscope-watch-cli-'));
    const parent = startParent(PARENT_SCRIPT);
    const cli = startCli([String(parent.child.pid), '--children', '--on', 'exit', '--exit-code-nonzero', '--mini', '--out', outDir, '--timeout', '60', '--json']);
    const armed = await cli.next('armed');
    expect(armed).toMatchObject({ event: 'armed', pid: parent.child.pid });
    expect(tracerOf(parent.child.pid!)).toBe(cli.child.pid);
    parent.child.stdin!.write('go\n');
    while (cli.events.filter((e) => e.event === 'exited').length < 3) {
      if (cli.child.exitCode !== null) throw new Error(`watch ended early: ${cli.stderr()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    parent.child.stdin!.end('end\n');
    expect(await parent.exited).toBe(0);
    const done = await cli.next('done');
    expect(await cli.exited).toBe(0);
    expect(done).toMatchObject({ reason: 'target-exited', dumpCount: 2 });

    const exited = cli.events.filter((e): e is Extract<CaptureEvent, { event: 'exited' }> => e.event === 'exited');
    expect(exited.map((e) => [e.name, e.exitCode]).sort()).toEqual([['false', 1], ['sh', 3], ['true', 0]]);
    const dumps = cli.events.filter((e): e is Extract<CaptureEvent, { event: 'dump' }> => e.event === 'dump');
    const failing = exited.filter((e) => e.exitCode !== 0).map((e) => e.pid).sort();
    expect(dumps.map((d) => d.pid).sort()).toEqual(failing);
    expect(readdirSync(outDir).sort()).toEqual(dumps.map((d) => d.path.slice(outDir.length + 1)).sort());
    for (const d of dumps) {
      expect(d.trigger).toBe('exit');
      expect(d.path).toMatch(/-at-exit_\d+_\d{8}_\d{6}_mini\.core$/);
      const bytes = readFileSync(d.path);
      expect(bytes.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
      expect(bytes.length).toBe(d.fileBytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(d.sha256);
      const exe = d.name === 'false' ? '/bin/false' : '/bin/sh';
      const gdb = spawnSync('gdb', ['-batch', '-nx', exe, d.path], { encoding: 'utf8', timeout: 60_000 });
      expect(gdb.stdout + gdb.stderr).toMatch(new RegExp(`LWP ${d.pid}\\b`));
    }
    expect(cli.events.filter((e) => e.event === 'error')).toEqual([]);
  });

  it('-e (ProcDump spelling of --on crash), readable lines: a SIGSEGV child gives one crash dump line, then the secrets warning', async () => {
    outDir = mkdtempSync(join(tmpdir(), 'procscope-watch-cli-'));
    const parent = startParent("read go; /bin/sh -c 'kill -SEGV $$'; /bin/false; read end");
    const argv = [process.execPath, cliPath, 'watch', String(parent.child.pid), '--children', '-e', '--out', outDir];
    const cli = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, NODE_PATH: REPO_NODE_MODULES }, stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(cli);
    let stdout = '';
    let stderr = '';
    cli.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    cli.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => cli.on('exit', (code) => resolve(code)));
    while (!stdout.startsWith('armed')) await new Promise((r) => setTimeout(r, 20));
    parent.child.stdin!.write('go\n');
    while (!/^exited .* false, exit code 1/m.test(stdout)) await new Promise((r) => setTimeout(r, 20));
    parent.child.stdin!.end('end\n');
    expect(await exited).toBe(0);
    const lines = stdout.trim().split('\n').filter((l) => !l.startsWith('        limit:'));
    expect(lines.filter((l) => l.startsWith('dump'))).toEqual([
      expect.stringMatching(new RegExp(`^dump {4}pid \\d+ sh at crash → ${outDir}/sh-at-crash_\\d+_\\d{8}_\\d{6}_mini\\.core \\(\\d+\\.\\d (KiB|MiB)\\)$`)),
    ]);
    expect(lines).toContainEqual(expect.stringMatching(/^exited {2}pid \d+ sh, killed by SIGSEGV, after \d+ ms$/));
    expect(lines.at(-1)).toMatch(/^done {4}target-exited: \d+ process(es)? seen, 1 dump$/);
    expect(readdirSync(outDir)).toHaveLength(1);
    expect(stderr).toMatch(/passwords, tokens, keys/);
  });

  it('Ctrl+C: done "stopped", exit 0, the parent is no longer traced and finishes normally', async () => {
    const parent = startParent('read go; /bin/true; read end');
    const cli = startCli([String(parent.child.pid), '--children', '-t', '--json']);
    await cli.next('armed');
    expect(tracerOf(parent.child.pid!)).toBe(cli.child.pid);
    cli.child.kill('SIGINT');
    expect(await cli.next('done')).toMatchObject({ reason: 'stopped', dumpCount: 0 });
    expect(await cli.exited).toBe(0);
    expect(cli.stderr()).toMatch(/releasing every held process/);
    expect(tracerOf(parent.child.pid!)).toBe(0);
    parent.child.stdin!.end('go\nend\n');
    expect(await parent.exited).toBe(0);
  });

  it('a reader that goes away (`| head -1`): the watch stops and releases instead of dying on EPIPE', async () => {
    outDir = mkdtempSync(join(tmpdir(), 'procscope-watch-cli-'));
    const parent = startParent(PARENT_SCRIPT);
    const cli = startCli([String(parent.child.pid), '--children', '-t', '--exit-code-nonzero', '--out', outDir, '--json']);
    await cli.next('armed');
    cli.child.stdout!.destroy();
    parent.child.stdin!.write('go\n');
    expect(await cli.exited).toBe(0);
    expect(cli.stderr()).toMatch(/releasing every held process/);
    expect(cli.stderr()).not.toMatch(/Unhandled|EPIPE/);
    expect(tracerOf(parent.child.pid!)).toBe(0);
    parent.child.stdin!.end('end\n');
    expect(await parent.exited).toBe(0);
  });

  it('-n 1 ends the watch after the first dump, --timeout ends an idle one; both release the parent, which finishes', async () => {
    outDir = mkdtempSync(join(tmpdir(), 'procscope-watch-cli-'));
    const parent = startParent(PARENT_SCRIPT);
    const cli = startCli([String(parent.child.pid), '--children', '-t', '--exit-code-nonzero', '-n', '1', '--out', outDir, '--json']);
    await cli.next('armed');
    parent.child.stdin!.write('go\n');
    expect(await cli.next('done')).toMatchObject({ reason: 'max-dumps', dumpCount: 1 });
    expect(await cli.exited).toBe(0);
    expect(readdirSync(outDir)).toHaveLength(1);
    expect(tracerOf(parent.child.pid!)).toBe(0);
    parent.child.stdin!.end('end\n');
    expect(await parent.exited).toBe(0);

    const idle = startParent('read end');
    const timed = startCli([String(idle.child.pid), '--children', '-t', '--timeout', '0.5', '--json']);
    await timed.next('armed');
    expect(await timed.next('done')).toMatchObject({ reason: 'timeout', dumpCount: 0 });
    expect(await timed.exited).toBe(0);
    expect(tracerOf(idle.child.pid!)).toBe(0);
    idle.child.stdin!.end('end\n');
    expect(await idle.exited).toBe(0);
  });

  it('--wait NAME polls until the process appears, then watches it (armed on its pid) until it ends', async () => {
    outDir = mkdtempSync(join(tmpdir(), 'procscope-watch-cli-'));
    // A name nothing else on the machine has (comm keeps 15 characters).
    const exe = join(outDir, 'pswaittgt');
    copyFileSync('/bin/sleep', exe);
    const cli = startCli(['--wait', 'pswait*', '--children', '-t', '--timeout', '60', '--json']);
    await new Promise((r) => setTimeout(r, 600));
    expect(cli.events).toEqual([]);
    const target = spawn(exe, ['30'], { stdio: 'ignore' });
    started.push(target);
    expect(await cli.next('armed')).toMatchObject({ pid: target.pid });
    expect(cli.stderr()).toMatch(new RegExp(`waiting for a process named 'pswait\\*'.*\\n.*found pswaittgt, pid ${target.pid}`, 's'));
    target.kill('SIGTERM');
    expect(await cli.next('done')).toMatchObject({ reason: 'target-exited' });
    expect(await cli.exited).toBe(0);
  });

  it('--wait NAME -t: a process started 300 ms after the watch began is caught, armed on, and dumped at its exit', async () => {
    outDir = mkdtempSync(join(tmpdir(), 'procscope-watch-cli-'));
    const exe = join(outDir, 'pswaitexit');
    copyFileSync('/bin/sleep', exe);
    const dumps = join(outDir, 'dumps');
    mkdirSync(dumps);
    const cli = startCli(['--wait', 'pswaitex*', '-t', '--out', dumps, '--timeout', '60', '--json']);
    await new Promise((r) => setTimeout(r, 300));
    const spawnedAt = performance.now();
    const target = spawn(exe, ['0.5'], { stdio: 'ignore' });
    started.push(target);
    expect(await cli.next('armed')).toMatchObject({ pid: target.pid });
    const armedAfterMs = performance.now() - spawnedAt;
    const dump = (await cli.next('dump')) as Extract<CaptureEvent, { event: 'dump' }>;
    expect(dump).toMatchObject({ pid: target.pid, trigger: 'exit', name: 'pswaitexit' });
    expect(await cli.next('done')).toMatchObject({ reason: 'target-exited', dumpCount: 1 });
    expect(await cli.exited).toBe(0);
    const gdb = spawnSync('gdb', ['-batch', '-nx', exe, dump.path], { encoding: 'utf8', timeout: 60_000 });
    expect(gdb.stdout + gdb.stderr).toMatch(new RegExp(`LWP ${target.pid}\\b`));
    expect(gdb.stdout + gdb.stderr).toMatch(/Core was generated by `.*pswaitexit 0\.5'/);
    console.log(`--wait: armed ${armedAfterMs.toFixed(1)} ms after the spawn (node spawn + /proc scan + seize)`);
  });

  it('--launch --children --on start,exit: the program is held before it runs, its short child is dumped at start and exit, exit 3 is reported', async () => {
    outDir = mkdtempSync(join(tmpdir(), 'procscope-watch-cli-'));
    const script = "echo launched-says-hello; /bin/sleep 0.05; exit 3";
    const cli = startCli(['--children', '--on', 'start,exit', '--mini', '--out', outDir, '--json', '--launch', '--', '/bin/sh', '-c', script]);
    const armed = (await cli.next('armed')) as Extract<CaptureEvent, { event: 'armed' }>;
    const done = await cli.next('done');
    expect(await cli.exited).toBe(0);
    // The launched process is the launcher shell's child, never the tracer's own (the engine refuses its own child).
    expect(cli.stderr()).toMatch(new RegExp(`launching /bin/sh as pid ${armed.pid}, held until the watch is armed`));
    expect(done).toMatchObject({ reason: 'target-exited', dumpCount: 2, launched: { pid: armed.pid, state: 'exited', exitCode: 3, signal: null } });
    // Its stdout is the CLI's: the program's line arrives, after 'armed' (it ran only once the watch held it).
    expect(cli.otherLines).toEqual(['launched-says-hello']);
    const dumps = cli.events.filter((e): e is Extract<CaptureEvent, { event: 'dump' }> => e.event === 'dump');
    expect(dumps.map((d) => [d.name, d.trigger])).toEqual([['sleep', 'start'], ['sleep', 'exit']]);
    const child = dumps[0]!.pid;
    expect(dumps[1]!.pid).toBe(child);
    expect(cli.events).toContainEqual(expect.objectContaining({ event: 'exited', pid: child, name: 'sleep', exitCode: 0 }));
    for (const d of dumps) {
      expect(readFileSync(d.path).subarray(0, 4).toString('latin1')).toBe('\x7fELF');
      const gdb = spawnSync('gdb', ['-batch', '-nx', '/bin/sleep', d.path], { encoding: 'utf8', timeout: 60_000 });
      expect(gdb.stdout + gdb.stderr).toMatch(new RegExp(`LWP ${child}\\b`));
      expect(gdb.stdout + gdb.stderr).toMatch(/Core was generated by `\/bin\/sleep 0\.05'/);
    }
    expect(readdirSync(outDir)).toHaveLength(2);
    expect(cli.events.filter((e) => e.event === 'error')).toEqual([]);
  });

  it('--launch --on start (the program itself): dumped at its exec, before its first instruction; readable done line', async () => {
    outDir = mkdtempSync(join(tmpdir(), 'procscope-watch-cli-'));
    const argv = [process.execPath, cliPath, 'watch', '--on', 'start', '--out', outDir, '--launch', '--', 'sleep', '0.1'];
    const r = spawnSync(argv[0]!, argv.slice(1), { env: { ...process.env, NODE_PATH: REPO_NODE_MODULES }, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const dump = lines.find((l) => l.startsWith('dump'));
    expect(dump).toMatch(new RegExp(`^dump {4}pid (\\d+) sleep at start → ${outDir}/sleep-at-start_\\d+_\\d{8}_\\d{6}_mini\\.core`));
    const pid = /pid (\d+)/.exec(dump!)![1];
    expect(lines).toContain(`seen    pid ${pid} sleep (parent ${/\(parent (\d+)\)/.exec(lines.find((l) => l.startsWith('seen'))!)![1]}): sleep 0.1`);
    expect(lines.at(-1)).toBe(`done    target-exited: 1 process seen, 1 dump; the launched program (pid ${pid}) exited with code 0`);
    const core = join(outDir, readdirSync(outDir)[0]!);
    const gdb = spawnSync('gdb', ['-batch', '-nx', '-ex', 'info auxv', '-ex', 'info registers rip', '/bin/sleep', core], { encoding: 'utf8', timeout: 60_000 });
    const text = gdb.stdout + gdb.stderr;
    expect(text).toMatch(/Core was generated by `sleep 0\.1'/);
    // Held at exec, before its first instruction: the program counter is the dynamic loader's entry point
    // (AT_BASE + ld.so's e_entry), where the kernel starts every dynamically linked program.
    expect(process.arch).toBe('x64');
    const base = BigInt(/AT_BASE\s.*?(0x[0-9a-f]+)/.exec(text)![1]!);
    const rip = BigInt(/^rip\s+(0x[0-9a-f]+)/m.exec(text)![1]!);
    const ldEntry = readFileSync('/lib64/ld-linux-x86-64.so.2').readBigUInt64LE(24);
    expect(rip).toBe(base + ldEntry);
  });

  it('--launch when the watch cannot arm (its folder is missing): the program is never run, done says so', async () => {
    outDir = mkdtempSync(join(tmpdir(), 'procscope-watch-cli-'));
    const marker = join(outDir, 'ran');
    const cli = startCli(['-t', '--out', join(outDir, 'missing'), '--json', '--launch', '--', '/usr/bin/touch', marker]);
    const error = await cli.next('error');
    const done = await cli.next('done');
    expect([1, 2]).toContain(await cli.exited);
    expect(error).toMatchObject({ event: 'error', error: { message: expect.stringMatching(/missing/) } });
    expect(done).toMatchObject({ reason: 'error', launched: { state: 'not-started', exitCode: null } });
    expect(readdirSync(outDir)).toEqual([]);
  });

  it.each([
    [['-t', '--launch', '--'], /^procscope watch: --launch needs the command to launch/],
    [['-t', '--launch', '--', '/no/such/program'], /^procscope watch: --launch: '\/no\/such\/program' is not an executable file\./],
    [['-t', '--launch', '--', 'procscope-no-such-program'], /^procscope watch: --launch: no program named 'procscope-no-such-program' on the PATH\./],
    [['-t', '--wait', '/usr/sbin/sshd'], /^procscope watch: --wait takes a process name, not a path .* such as 'sshd'\./],
    [['-t', '--wait', '4242'], /^procscope watch: --wait waits for a process by name; to watch process 4242, give its pid without --wait\./],
  ])('bad input %j: exit 2 with one sentence, nothing started', (args, message) => {
    const argv = [process.execPath, cliPath, 'watch', ...args];
    const r = spawnSync(argv[0]!, argv.slice(1), { env: { ...process.env, NODE_PATH: REPO_NODE_MODULES }, encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it("as nobody: root's process needs elevation (exit 1), nothing is held", async () => {
    const parent = startParent('read end');
    const cli = startCli([String(parent.child.pid), '--children', '-t', '--out', '/tmp', '--json'], AS_NOBODY);
    const error = await cli.next('error');
    expect(error).toMatchObject({ event: 'error', pid: parent.child.pid, error: { code: 'needs-elevation' } });
    expect(await cli.exited).toBe(1);
    expect(cli.events.at(-1)).toMatchObject({ event: 'done', reason: 'error' });
    expect(tracerOf(parent.child.pid!)).toBe(0);
    parent.child.stdin!.end('end\n');
    expect(await parent.exited).toBe(0);
  });
});
