/*
 * Windows side of the process-detail check (runs under Wine): starts a node.exe child that keeps a known file open,
 * listens on a TCP port, holds an environment marker, names its main thread, runs a worker thread and beats a
 * heartbeat file; then reads every Properties part of it through our Windows detail readers (src-main/detail/win32)
 * and prints one JSON report for scripts/test-win-detail.mjs. Its main thread is suspended (our thread action) while
 * the judge takes winedbg's `bt` of it and we read its stack: both must see the same frames. Then resume / kill of
 * single threads, the refusals, and Find Handle or DLL. It asserts nothing itself.
 * argv: WORK_DIR (a Windows path; the stage files are exchanged there).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createWin32DetailSource } from '../../../src-main/detail/win32/win32-detail-source';
import { createDetailServices } from '../../../src-main/detail/detail-service';
import { querySystemHandles } from '../../../src-main/platform/win32/ffi/handles';
import { readSocketTables } from '../../../src-main/platform/win32/ffi/iphlpapi';
import { enumServices } from '../../../src-main/platform/win32/ffi/services';
import { currentThreadId, hasThreadDescription } from '../../../src-main/platform/win32/ffi/threads';
import { createWin32Backend } from '../../../src-main/platform/win32/win32-backend';

const CHILD_FLAGS = ['--max-semi-space-size=1', '--max-old-space-size=16', '--jitless', '--v8-pool-size=1'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const started = Date.now();
const phase = (name: string): void => void process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${name}\n`);

async function until<T>(read: () => T | null, ms: number): Promise<T | null> {
  const end = Date.now() + ms;
  for (;;) {
    const v = read();
    if (v !== null || Date.now() > end) return v;
    await sleep(50);
  }
}

function json(path: string): unknown {
  try {
    return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : null;
  } catch {
    return null; // written but not complete yet
  }
}

async function main(): Promise<void> {
  const work = process.argv[2]!;
  const marker = `PROCSCOPE-DETAIL-${Date.now().toString(36)}`;
  const openFile = join(work, `${marker}.held`);
  writeFileSync(openFile, 'held open by the detail child\n');
  const ready = join(work, 'child-ready.json');
  const beatFile = join(work, `${marker}.beat`);
  const child = spawn(process.execPath, [...CHILD_FLAGS, '-e', childScript(openFile, ready, beatFile)], {
    stdio: 'ignore',
    cwd: join(__dirname, '..'),
    env: { ...process.env, PROCSCOPE_DETAIL_MARKER: marker },
  });
  const report: Record<string, unknown> = { marker, openFile, childPid: child.pid, probePid: process.pid, hasThreadDescription: hasThreadDescription() };
  try {
    const info = (await until(() => json(ready) as { tid: number; workerTid: number; port: number; named: boolean } | null, 30_000))!;
    if (!info) throw new Error('the child did not get ready in 30 s');
    report.child = info;
    const beat = (): number => {
      for (let i = 0; i < 50; i++) {
        const t = existsSync(beatFile) ? readFileSync(beatFile, 'utf8') : '';
        if (t) return Number(t);
      }
      return 0;
    };
    await until(() => (beat() >= 2 ? true : null), 10_000);
    phase('child ready');
    const pid = child.pid!;
    const startTimeMs = createWin32Backend().readStartTimeMs(pid)!;
    const target = { pid, startTimeMs };
    const source = createWin32DetailSource();
    const context = { rows: () => null };
    const limits = { maxMatches: 1000, deadlineMs: 30_000 };
    const timed = async <T>(name: string, read: () => Promise<T>): Promise<T> => {
      const t0 = performance.now();
      const r = await read();
      (report.ms as Record<string, number>)[name] = Math.round(performance.now() - t0);
      return r;
    };
    report.ms = {};
    const parts: Record<string, unknown> = {};
    for (const name of ['image', 'performance', 'threads', 'modules', 'handles', 'sockets', 'services', 'environment'] as const) {
      phase(name);
      parts[name] = (await timed(name, () => source.readParts(target, [name], context)))[name];
    }
    report.parts = parts;
    // Every process's rows for the child's port: Wine 8 leaves dwOwningPid 0, so the per-pid filter finds none there.
    report.portRows = readSocketTables(null).filter((row) => row.localPort === info.port);
    // A second performance / threads read, for CPU %.
    await sleep(300);
    report.again = await source.readParts(target, ['performance', 'threads'], context);

    // The main thread held by our suspend while the judge takes winedbg's bt of it, and we read its stack.
    phase('suspend main thread');
    const s0 = beat();
    report.suspend = await source.threadAction(target, info.tid, 'suspend').then(() => 'ok', (e: unknown) => String(e));
    await sleep(400);
    const s1 = beat();
    // Written whole under a temporary name, then renamed: the judge never reads half of it.
    writeFileSync(join(work, 'stage-held.tmp'), JSON.stringify({ pid, tid: info.tid }));
    renameSync(join(work, 'stage-held.tmp'), join(work, 'stage-held.json'));
    const go = await until(() => (existsSync(join(work, 'go')) ? true : null), 90_000);
    phase('winedbg done');
    report.stack = await timed('stack', () => source.readThreadStack(target, info.tid)).catch((e: unknown) => ({ error: String(e) }));
    const s2 = beat();
    report.resume = await source.threadAction(target, info.tid, 'resume').then(() => 'ok', (e: unknown) => String(e));
    await sleep(600);
    report.beats = { beforeSuspend: s0, whileSuspended: [s1, s2], afterResume: beat(), go: go === true };
    // A running thread's stack too (the worker), as the Threads tab asks it.
    report.workerStack = await source.readThreadStack(target, info.workerTid).catch((e: unknown) => ({ error: String(e) }));

    phase('kill worker thread');
    report.kill = await source.threadAction(target, info.workerTid, 'kill').then(() => 'ok', (e: unknown) => String(e));
    await sleep(300);
    const after = await source.readParts(target, ['threads'], context);
    report.threadsAfterKill = after.threads?.ok ? after.threads.value.map((t) => t.tid) : after.threads;
    const b0 = beat();
    await sleep(500);
    report.beatAfterKill = [b0, beat()];

    phase('refusals');
    const code = (p: Promise<unknown>): Promise<string> => p.then(() => 'accepted', (e: unknown) => (e as { code?: string }).code ?? String(e));
    report.refusals = {
      ownStack: await code(source.readThreadStack({ pid: process.pid, startTimeMs: createWin32Backend().readStartTimeMs(process.pid)! }, info.tid)),
      ownAction: await code(source.threadAction({ pid: process.pid, startTimeMs: createWin32Backend().readStartTimeMs(process.pid)! }, info.tid, 'suspend')),
      recycled: await code(source.threadAction({ pid, startTimeMs: startTimeMs - 1000 }, info.tid, 'suspend')),
      foreignTid: await code(source.threadAction(target, currentThreadId(), 'suspend')),
      recycledParts: await code(source.readParts({ pid, startTimeMs: startTimeMs + 5 }, ['image', 'environment'], context)),
    };

    // A process that hosts a service under Wine's SCM (svchost.exe runs Eventlog, PlugPlay, RpcSs).
    phase('a service host');
    const hosted = enumServices().find((svc) => svc.pid !== 0 && svc.serviceType === 0x20);
    if (hosted) {
      const host = { pid: hosted.pid, startTimeMs: createWin32Backend().readStartTimeMs(hosted.pid)! };
      const read = await source.readParts(host, ['services', 'image'], context);
      report.serviceHost = { service: hosted.name, services: read.services, autostart: read.image?.ok ? read.image.value.autostartLocation : read.image };
    }

    // The same reads through the host's detail service (which adds the Performance history).
    phase('through the detail service');
    const service = createDetailServices({ sourceFactory: async () => createWin32DetailSource(), poller: { subscribe: () => () => undefined, getSnapshot: () => null } });
    const viaService = await service.getProcessDetail(target, ['image', 'performance']);
    report.viaService = { image: viaService.image?.ok ? viaService.image.value.exePath : viaService.image, performance: viaService.performance?.ok ? viaService.performance.value.current.threadCount : viaService.performance };
    service.dispose();
    report.handleClass = querySystemHandles(pid).infoClass;

    phase('find');
    report.findFile = await timed('find file', () => source.findHandleOrDll(`${marker}.held`, limits, context));
    report.findDll = await timed('find dll', () => source.findHandleOrDll('kernelbase.dll', limits, context));
  } finally {
    child.kill();
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

/** The child: names its main thread, holds the file, listens, starts a worker, beats; reports its tids. */
function childScript(openFile: string, ready: string, beatFile: string): string {
  return `
const fs = require('fs'), net = require('net'), { Worker } = require('worker_threads'), koffi = require('koffi');
const k = koffi.load('kernel32.dll');
const tid = k.func('uint32_t __stdcall GetCurrentThreadId()')();
let named = false;
try {
  const set = k.func('int32_t __stdcall SetThreadDescription(void *h, str16 d)');
  const cur = k.func('void * __stdcall GetCurrentThread()');
  named = set(cur(), 'procscope-main') >= 0;
} catch {}
const held = fs.openSync(${JSON.stringify(openFile)}, 'r');
// An anonymous (synchronous) pipe with a read pending on it forever on koffi's worker: the handle whose name query
// hangs NtQueryObject on Windows. The Handles tab must list it as a pipe, unnamed, and not hang.
const rd = [null], wr = [null];
k.func('bool __stdcall CreatePipe(_Out_ void **r, _Out_ void **w, void *sa, uint32_t size)')(rd, wr, null, 0);
const pipeBuf = Buffer.alloc(16);
k.func('bool __stdcall ReadFile(void *h, _Out_ void *buf, uint32_t n, _Out_ uint32_t *read, void *ov)').async(rd[0], pipeBuf, 16, [0], null, () => {});
const pipeHandle = '0x' + koffi.address(rd[0]).toString(16);
const w = new Worker("const k = require('koffi').load('kernel32.dll'); require('worker_threads').parentPort.postMessage(k.func('uint32_t __stdcall GetCurrentThreadId()')()); setInterval(() => {}, 1000);", { eval: true });
w.on('message', (workerTid) => {
  const server = net.createServer().listen(0, '127.0.0.1', () => {
    fs.writeFileSync(${JSON.stringify(ready)}, JSON.stringify({ tid, workerTid, port: server.address().port, named, held, pipeHandle }));
  });
});
let n = 0;
setInterval(() => { n++; fs.writeFileSync(${JSON.stringify(beatFile)}, String(n)); }, 100);
`;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
