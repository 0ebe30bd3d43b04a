/*
 * `procscope serve` with capture, as a real process on Linux (root, gcc): the CLI is bundled as cli.js (serve starts
 * its helper as `node cli.js helper`, exactly the production wiring), a browser-like WebSocket client starts a watch
 * on a C parent, and its exit-3 child comes back as a dump job with its trigger. SIGTERM to serve while a watch is
 * armed releases the parent (no tracer left) before serve exits 0, and the parent then finishes normally.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { DumpEventPayload } from '../../../src-shared/ipc/dump-contract';
import { compileCaptureParentSync, startCaptureParent, type RunningParent } from '../../capture/linux/__fixtures__/capture-parent';
import { bundleFixture, REPO_NODE_MODULES } from '../../dump/helper/__fixtures__/bundle-fixture';
import { readProcessStartTimeMs } from '../../platform/linux/proc-start-time';
import { until as pollUntil } from '../../capture/helper/__fixtures__/helper-watch-harness';

let fixture: { dir: string; exe: string };
let cli: string;
let dir: string | null = null;
let serve: ChildProcess | null = null;
let parent: RunningParent | null = null;
let ws: WebSocket | null = null;

beforeAll(async () => {
  fixture = compileCaptureParentSync();
  const entry = await bundleFixture(join(import.meta.dirname, '..', 'cli-entry.ts'));
  cli = join(dirname(entry), 'cli.js');
  copyFileSync(entry, cli);
});
afterAll(() => {
  rmSync(fixture.dir, { recursive: true, force: true });
  if (cli) rmSync(dirname(cli), { recursive: true, force: true });
});
afterEach(async () => {
  ws?.close();
  if (serve && serve.exitCode === null && serve.signalCode === null) {
    const gone = new Promise((r) => serve!.once('close', r));
    serve.kill('SIGTERM');
    await gone;
  }
  parent?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
  [ws, serve, parent, dir] = [null, null, null, null];
});

const tracerOf = (pid: number): number => Number(/^TracerPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1] ?? -1);

const until = (what: string, test: () => boolean, timeoutMs = 20_000): Promise<void> => pollUntil(what, test, timeoutMs, 10);

/** Starts `node cli.js serve` and a WebSocket client on the URL it printed. */
async function startServe() {
  dir = mkdtempSync(join(tmpdir(), 'serve-capture-'));
  const renderer = join(dir, 'renderer');
  mkdirSync(renderer);
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Procscope</title>');
  const env = { ...process.env, NODE_PATH: REPO_NODE_MODULES, PROCSCOPE_RENDERER_DIR: renderer, PROCSCOPE_CONFIG_DIR: join(dir, 'config') };
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  serve = child;
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<URL>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (/^\s+http:\/\/127\.0\.0\.1:\d+\/\?token=/.test(line)) resolve(new URL(line.trim()));
    });
    child.once('close', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  const socket = new WebSocket(`ws://${url.host}/ws?token=${url.searchParams.get('token')}`, { origin: `http://${url.host}` });
  ws = socket;
  await new Promise<void>((resolve, reject) => (socket.once('open', () => resolve()), socket.once('error', reject)));
  const pushes: { channel: string; payload: unknown }[] = [];
  const answers = new Map<number, unknown>();
  socket.on('message', (d) => {
    const f = JSON.parse(String(d)) as { type: string; id: number; channel: string; payload: unknown; result: unknown };
    if (f.type === 'push') pushes.push(f);
    else if (f.type === 'response') answers.set(f.id, f.result);
  });
  let id = 0;
  const request = async (channel: string, args: unknown): Promise<{ ok: boolean; value?: { id: string; state: string }; error?: { message: string } }> => {
    const mine = ++id;
    socket.send(JSON.stringify({ type: 'request', id: mine, channel, args }));
    await until(channel, () => answers.has(mine));
    return answers.get(mine) as never;
  };
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  return { request, pushes, exited, stderr: () => stderr };
}

const watchArgs = (p: RunningParent, outDir: string) => ({
  pid: p.pid, startTimeMs: readProcessStartTimeMs(p.pid)!, scope: 'descendants', nameGlob: null, cmdlineRegex: null, triggers: ['exit'],
  exitNonZeroOnly: true, kind: 'mini', outDir, holdTimeoutMs: 30_000, maxDumps: null, timeoutMs: 60_000,
});

describe('procscope serve runs capture watches in its helper (Linux)', () => {
  it('a watch started from the browser yields the failing child as a dump job with its trigger', async () => {
    const s = await startServe();
    expect(await s.request('procscope:get-app-info', {})).toMatchObject({ ok: true, value: { capabilities: { capture: true } } });
    await s.request('procscope:subscribe-processes', {});
    parent = await startCaptureParent(fixture.exe, ['codes', '0', '3']);
    const started = await s.request('procscope:start-capture', watchArgs(parent, dir!));
    expect(started, s.stderr()).toMatchObject({ ok: true, value: { state: 'armed' } });
    // The tracer is the helper, a child of serve, never serve itself.
    expect(tracerOf(parent.pid)).not.toBe(serve!.pid);
    expect(tracerOf(parent.pid)).toBeGreaterThan(0);
    parent.go();
    expect(await parent.exited).toBe(0);
    const jobOf = () => s.pushes.filter((p) => p.channel === 'procscope:dump-event').map((p) => p.payload as DumpEventPayload).find((e) => e.type === 'job-added');
    await until('the dump job', () => jobOf() !== undefined);
    const failing = [...parent.results()].find(([, r]) => r === 'exit 3')![0];
    const job = jobOf()!;
    expect(job).toMatchObject({ job: { state: 'done', pid: failing, capture: { watchId: started.value!.id, trigger: 'exit' }, result: { format: 'elf-core' } } });
    expect(job.type === 'job-added' && existsSync(job.job.result!.path)).toBe(true);
  });

  it('SIGTERM while a watch is armed releases the watched parent before serve exits, and the parent finishes', async () => {
    const s = await startServe();
    await s.request('procscope:subscribe-processes', {});
    parent = await startCaptureParent(fixture.exe, ['codes', '3']);
    const started = await s.request('procscope:start-capture', watchArgs(parent, dir!));
    expect(started, s.stderr()).toMatchObject({ ok: true, value: { state: 'armed' } });
    expect(tracerOf(parent.pid)).toBeGreaterThan(0);
    serve!.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    // Released before serve exited (dispose waited for the helper's done), not later when the helper saw its channel close.
    expect(tracerOf(parent.pid)).toBe(0);
    parent.go();
    expect(await parent.exited).toBe(0);
    expect([...parent.results().values()]).toEqual(['exit 3']);
  });
});
