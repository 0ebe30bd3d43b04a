// The Linux detail source against real processes: a C target (compiled here) holding a known file, a listening
// TCP socket, an environment marker, a dlopen()ed library and a thread parked in detail_park_here(); its stack
// judged by gdb on the same live process; the stack worker killed while it holds the thread; recycled and gone pids.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readProcessStartTimeMs } from '../../platform/linux/proc-start-time';
import { statStateOf } from '../../platform/linux/proc-stat';
import { DETAIL_PARTS } from '../../../src-shared/model/process-detail';
import { DetailFailure } from '../detail-source';
import { compileDetailFixture, startDetailTarget, type DetailFixture, type RunningDetailTarget } from './__fixtures__/detail-target';
import { createLinuxDetailSource } from './linux-detail-source';
import { readThreadStackInWorker, startStackWorker } from './thread-stack';

const MARKER = `procscope-detail-marker-${process.pid}`;
const noRows = { rows: () => null };
let fixture: DetailFixture;
let target: RunningDetailTarget;
let startTimeMs: number;

function threadState(pid: number, tid: number): string {
  return statStateOf(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'latin1'));
}

beforeAll(async () => {
  fixture = compileDetailFixture();
  target = await startDetailTarget(fixture, { PROCSCOPE_DETAIL_MARKER: MARKER });
  startTimeMs = readProcessStartTimeMs(target.pid)!;
}, 60_000);

afterAll(async () => {
  await target?.stop();
  fixture?.cleanup();
});

describe('Linux detail source on a live process', () => {
  it('answers every part of the target, each on its own', async () => {
    const source = createLinuxDetailSource();
    const t0 = performance.now();
    const d = await source.readParts({ pid: target.pid, startTimeMs }, DETAIL_PARTS, noRows);
    const ms = performance.now() - t0;
    console.log(`all parts of the C target: ${ms.toFixed(1)} ms`);
    expect(d.image).toMatchObject({ ok: true });
    const image = d.image!.ok ? d.image!.value : null;
    expect(image!.exePath).toBe(fixture.exe);
    expect(image!.commandLine).toContain(fixture.openFile);
    // Its parent is the sh that started it (a child of this process), alive and named.
    expect(image!.parentPid).toBe(target.child.pid);
    expect(image!.parentExited).toBe(false);
    expect(image!.parentName).toBe('sh');
    expect(image!.user).toBe('root');
    expect(image!.startTimeMs).toBe(startTimeMs);
    expect(image!.packageOwner).toBeNull(); // built in a temp folder: no package owns it
    expect(image!.is32Bit).toBe(false);

    const modules = d.modules!.ok ? d.modules!.value : [];
    const lib = modules.find((m) => m.path === fixture.lib);
    expect(lib, 'the dlopen()ed library is a module').toBeDefined();
    const readelf = execFileSync('readelf', ['-n', fixture.lib], { encoding: 'utf8' });
    expect(lib!.buildId).toBe(/Build ID: ([0-9a-f]+)/.exec(readelf)![1]);
    expect(parseInt(lib!.baseAddress, 16)).toBeGreaterThan(0);
    expect(lib!.sizeBytes).toBeGreaterThan(0);
    const maps = readFileSync(`/proc/${target.pid}/maps`, 'latin1');
    expect(maps).toContain(lib!.baseAddress.slice(2).padStart(8, '0'));
    expect(modules.some((m) => m.name.startsWith('libc.so'))).toBe(true);

    const handles = d.handles!.ok ? d.handles!.value : [];
    expect(handles.find((h) => h.name === fixture.openFile)).toMatchObject({ kind: 'file', type: 'REG', access: '0100000' });
    expect(handles.find((h) => h.kind === 'socket' && h.name === `TCP 127.0.0.1:${target.port} (LISTEN)`)).toBeDefined();
    // Its own pipe (its stdin / stdout are sockets: Node's 'pipe' stdio is a socketpair, and stderr is the runner's).
    // Its two ends are two handles naming the same pipe inode.
    const pipeNames = handles.filter((h) => h.kind === 'pipe' && h.type === 'FIFO').map((h) => h.name ?? '');
    expect(pipeNames.filter((n, i) => /^pipe:\[\d+\]$/.test(n) && pipeNames.indexOf(n) !== i), pipeNames.join(', ')).toHaveLength(1);

    const sockets = d.sockets!.ok ? d.sockets!.value : [];
    expect(sockets).toContainEqual({ protocol: 'tcp', localAddress: '127.0.0.1', localPort: target.port, remoteAddress: '0.0.0.0', remotePort: 0, state: 'LISTEN' });

    const env = d.environment!.ok ? d.environment!.value : [];
    expect(env).toContainEqual({ name: 'PROCSCOPE_DETAIL_MARKER', value: MARKER });

    const threads = d.threads!.ok ? d.threads!.value : [];
    expect(threads.map((t) => t.tid)).toContain(target.parkedTid);
    expect(threads.find((t) => t.tid === target.parkedTid)).toMatchObject({ name: 'parked', state: 'sleeping', startAddress: null, cpuPercent: null });
    const again = await source.readParts({ pid: target.pid, startTimeMs }, ['threads'], noRows);
    expect((again.threads!.ok ? again.threads!.value : []).find((t) => t.tid === target.parkedTid)!.cpuPercent).toBe(0);

    expect(d.performance).toMatchObject({ ok: true });
    const perf = d.performance!.ok ? d.performance!.value : null;
    expect(perf!.threadCount).toBe(2);
    expect(perf!.ioReadBytes).toBeGreaterThan(0);
    expect(perf!.handleCount).toBe(handles.length);
    expect(d.services).toMatchObject({ ok: true });
  });

  it('reads the parked thread\'s stack: it names detail_park_here, as gdb does, and the thread runs on', async () => {
    const stack = await readThreadStackInWorker(target.pid, target.parkedTid);
    const names = stack.frames.map((f) => f.function);
    console.log(`parked thread: ${stack.frames.length} frames in ${stack.pausedMs} ms held: ${stack.frames.map((f) => `${f.module}!${f.function}(${f.trust})`).join(' ')}`);
    expect(names).toContain('detail_park_here');
    expect(stack.frames[0]!.trust).toBe('context');
    expect(stack.frames.slice(1, 4).every((f) => f.trust === 'cfi')).toBe(true);
    expect(stack.pausedMs).toBeGreaterThan(0);
    expect(stack.pausedMs).toBeLessThan(200);
    expect(threadState(target.pid, target.parkedTid)).not.toBe('t');
    expect(readFileSync(`/proc/${target.pid}/status`, 'latin1')).toMatch(/^TracerPid:\s+0$/m);

    // The judge: gdb on the same live process; its first frames of that thread name the same functions.
    const gdb = spawnSync('gdb', ['-p', String(target.pid), '-batch', '-nx', '-ex', 'thread apply all bt'], { encoding: 'utf8', timeout: 60_000 });
    const section = gdb.stdout.split(/\nThread /).find((s) => new RegExp(`^\\d+ \\(Thread \\S+ \\(LWP ${target.parkedTid}\\)`).test(s));
    expect(section, gdb.stdout + gdb.stderr).toBeDefined();
    const gdbFrames = [...section!.matchAll(/^#(\d+)\s+(?:(0x[0-9a-f]+) in )?(\S+) \(/gm)].map((m) => ({ pc: m[2] ? BigInt(m[2]) : null, name: m[3]! }));
    console.log(`gdb: ${gdbFrames.map((f) => f.name).join(' ')}`);
    // Every frame gdb shows, we show: the same pcs in the same order (gdb omits frame 0's pc at a line start) ...
    expect(stack.frames.length).toBe(gdbFrames.length);
    gdbFrames.forEach((g, i) => {
      if (g.pc !== null) expect(BigInt(stack.frames[i]!.pc), `frame ${i}`).toBe(g.pc);
    });
    // ... and the same function names wherever ours has one (<fn_…>: a function the module's .dynsym does not name;
    // gdb reads libc's detached debug file for those).
    const bare = (n: string) => n.replace(/^__(GI_)?_*(libc_)?/, '');
    names.forEach((n, i) => {
      if (n && !n.startsWith('<fn_')) expect(bare(n), `frame ${i}`).toBe(bare(gdbFrames[i]!.name));
    });
    expect(names.slice(1, 3)).toEqual(['detail_park_here', 'parked_thread']);
    expect(threadState(target.pid, target.parkedTid)).not.toBe('t');
  }, 90_000);

  it('refuses to hold a thread of its own child: the main thread\'s libuv would take the stop for the child\'s exit', async () => {
    // Before the refusal this read timed out about 1 time in 4 (libuv's waitpid(child) took the worker's stop
    // report: Linux reports a tracee's ptrace stop to every thread of the tracer's process) and Node then closed the
    // child's pipes as if it had exited.
    const own = await startDetailTarget(fixture, {}, { ownChild: true });
    try {
      const source = createLinuxDetailSource();
      await expect(source.readThreadStack({ pid: own.pid, startTimeMs: readProcessStartTimeMs(own.pid)! }, own.pid)).rejects.toMatchObject({ code: 'unsupported', message: expect.stringMatching(/own child/) });
      expect(own.child.exitCode).toBeNull();
      expect(threadState(own.pid, own.pid)).not.toBe('t');
    } finally {
      await own.stop();
    }
  });

  it('holds the main thread 25 times in a row, each let go', async () => {
    const held: number[] = [];
    for (let i = 0; i < 25; i++) {
      const stack = await readThreadStackInWorker(target.pid, target.pid);
      expect(stack.frames.length).toBeGreaterThan(1);
      held.push(stack.pausedMs);
      await new Promise((r) => setImmediate(r));
    }
    console.log(`25 holds of the main thread: max ${Math.max(...held).toFixed(2)} ms held`);
    expect(threadState(target.pid, target.pid)).not.toBe('t');
  }, 120_000);

  it('reads a stopped (SIGSTOP) process\'s thread and leaves it stopped, not traced', async () => {
    process.kill(target.pid, 'SIGSTOP');
    try {
      const deadline = Date.now() + 2000;
      while (threadState(target.pid, target.parkedTid) !== 'T' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      const stack = await readThreadStackInWorker(target.pid, target.parkedTid);
      expect(stack.frames.map((f) => f.function)).toContain('detail_park_here');
      expect(threadState(target.pid, target.parkedTid)).toBe('T');
    } finally {
      process.kill(target.pid, 'SIGCONT');
    }
    const deadline = Date.now() + 2000;
    while (threadState(target.pid, target.parkedTid) !== 'S' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(threadState(target.pid, target.parkedTid)).toBe('S');
  }, 30_000);

  it('lets the thread go when the worker is killed while it holds it', async () => {
    const run = startStackWorker(target.pid, target.parkedTid, { holdMs: 30_000 });
    run.result.catch(() => {});
    await run.held;
    expect(threadState(target.pid, target.parkedTid)).toBe('t');
    await run.worker.terminate();
    const deadline = Date.now() + 2000;
    while (threadState(target.pid, target.parkedTid) === 't' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(threadState(target.pid, target.parkedTid)).not.toBe('t');
    expect(readFileSync(`/proc/${target.pid}/status`, 'latin1')).toMatch(/^TracerPid:\s+0$/m);
    // And it can be held again (no tracer left behind).
    const stack = await readThreadStackInWorker(target.pid, target.parkedTid);
    expect(stack.frames.length).toBeGreaterThan(2);
  }, 30_000);

  it('refuses a recycled or gone pid for the whole call, and a tid of another process', async () => {
    const source = createLinuxDetailSource();
    await expect(source.readParts({ pid: target.pid, startTimeMs: startTimeMs + 1 }, ['environment'], noRows)).rejects.toMatchObject({ code: 'pid-recycled' });
    await expect(source.readThreadStack({ pid: target.pid, startTimeMs: startTimeMs - 10 }, target.parkedTid)).rejects.toMatchObject({ code: 'pid-recycled' });
    await expect(source.readThreadStack({ pid: target.pid, startTimeMs }, process.pid)).rejects.toBeInstanceOf(DetailFailure);
    // Its own threads (the kernel refuses to trace the same thread group) and a kernel thread: said, not "denied".
    await expect(source.readThreadStack({ pid: process.pid, startTimeMs: readProcessStartTimeMs(process.pid)! }, process.pid)).rejects.toMatchObject({ code: 'unsupported' });
    await expect(source.readThreadStack({ pid: 2, startTimeMs: readProcessStartTimeMs(2)! }, 2)).rejects.toMatchObject({ code: 'unsupported', message: expect.stringMatching(/kernel thread/) });
    // Thread actions (linux-thread-actions.linux.test.ts does them): a tid of another process is refused.
    await expect(source.threadAction({ pid: target.pid, startTimeMs }, process.pid, 'kill')).rejects.toMatchObject({ code: 'process-gone' });
    await expect(source.threadAction({ pid: target.pid, startTimeMs }, process.pid, 'suspend')).rejects.toMatchObject({ code: 'process-gone' });
    const gone = await startDetailTarget(fixture, {});
    const goneStart = readProcessStartTimeMs(gone.pid)!;
    await gone.stop();
    await expect(source.readParts({ pid: gone.pid, startTimeMs: goneStart }, ['image', 'modules'], noRows)).rejects.toMatchObject({ code: 'process-gone' });
  });

  it('finds the held file and the library in every process, bounded', async () => {
    const source = createLinuxDetailSource();
    const rows = readdirRows();
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const t0 = performance.now();
    const r = await source.findHandleOrDll('HELD-OPEN-MARKER', { maxMatches: 2000, deadlineMs: 15_000 }, { rows: () => rows });
    delay.disable();
    const fds = rows.reduce((n, row) => n + (() => { try { return readdirSync(`/proc/${row.pid}/fd`).length; } catch { return 0; } })(), 0);
    console.log(
      `find over ${rows.length} processes (${fds} fds): ${(performance.now() - t0).toFixed(0)} ms, ${r.matches.length} matches, ` +
        `${r.unreadableProcesses} unreadable; event loop delay max ${(delay.max / 1e6).toFixed(1)} ms, p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms`,
    );
    expect(r.matches).toContainEqual(expect.objectContaining({ pid: target.pid, kind: 'file', name: fixture.openFile, handle: expect.any(String) }));
    const lib = await source.findHandleOrDll('libprocscope-detail-test', { maxMatches: 2000, deadlineMs: 15_000 }, { rows: () => rows });
    expect(lib.matches).toContainEqual(expect.objectContaining({ pid: target.pid, kind: 'module', name: fixture.lib, handle: null }));
    const capped = await source.findHandleOrDll('/', { maxMatches: 5, deadlineMs: 15_000 }, { rows: () => rows });
    expect(capped.matches).toHaveLength(5);
    expect(capped.truncated).toBe(true);
  }, 60_000);
});

/** Rows as the poller would have them: pid, start time and name of every process now. */
function readdirRows() {
  const out = [];
  for (const name of execFileSync('ls', ['/proc'], { encoding: 'utf8' }).split('\n')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const start = readProcessStartTimeMs(pid);
    if (start === null) continue;
    const comm = (() => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'latin1').trim();
      } catch {
        return '?';
      }
    })();
    out.push({ pid, startTimeMs: start, name: comm, key: `${pid}:${start}` } as unknown as import('../../../src-shared/model/process').ProcessRow);
  }
  return out;
}

describe('a thread another tracer holds', () => {
  it('says it is traced already instead of "needs elevation", and leaves that tracer alone', async () => {
    // The other tracer: a stack worker that holds the thread (any ptrace tracer makes SEIZE fail with EPERM).
    const holder = startStackWorker(target.pid, target.parkedTid, { holdMs: 30_000 });
    holder.result.catch(() => {});
    try {
      await holder.held;
      const err = (await readThreadStackInWorker(target.pid, target.parkedTid).catch((e: unknown) => e)) as DetailFailure;
      expect(err).toMatchObject({ code: 'failed', message: expect.stringMatching(/already being traced \(by task \d+/) });
      // The tracer the sentence names is the holding worker, a thread of this process.
      expect(existsSync(`/proc/${process.pid}/task/${/by task (\d+)/.exec(err.message)![1]}`)).toBe(true);
      expect(threadState(target.pid, target.parkedTid)).toBe('t');
    } finally {
      await holder.worker.terminate();
    }
    const deadline = Date.now() + 2000;
    while (threadState(target.pid, target.parkedTid) === 't' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(threadState(target.pid, target.parkedTid)).not.toBe('t');
  }, 30_000);
});
