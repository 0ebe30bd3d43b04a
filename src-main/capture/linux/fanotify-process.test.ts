// fanotify exec mode with the watcher in a process of its own (the bundled capture entry): SIGKILLed while it holds
// a child and while an exec waits on it, everything runs on (the kernel allows pending events when the group's
// descriptor closes; tracees are detached); run as `nobody`, fanotify_init's EPERM is needs-elevation. Root, gcc.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bundleFixture, REPO_NODE_MODULES } from '../../dump/helper/__fixtures__/bundle-fixture';
import { compileExecFixturesSync, startExecParent, type ExecFixtures, type ExecParent } from './__fixtures__/exec-parent';

let fx: ExecFixtures;
let entry = '';
const parents: ExecParent[] = [];
const children: ChildProcess[] = [];
const env = { ...process.env, NODE_PATH: REPO_NODE_MODULES };

beforeAll(async () => {
  fx = compileExecFixturesSync();
  entry = await bundleFixture(join(__dirname, '__fixtures__/capture-watch-entry.ts'));
});
afterAll(() => {
  rmSync(fx.dir, { recursive: true, force: true });
  if (entry) rmSync(dirname(entry), { recursive: true, force: true });
});
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const p of parents.splice(0)) p.kill();
});

function startWatcher(config: object, wrapper: string[] = []) {
  const argv = [...wrapper, process.execPath, entry, JSON.stringify(config)];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], env });
  children.push(child);
  const lines: Record<string, unknown>[] = [];
  const waiters: { event: string; resolve: (l: Record<string, unknown>) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    const line = JSON.parse(text) as Record<string, unknown>;
    lines.push(line);
    for (const w of waiters.splice(0)) if (w.event === line.event) w.resolve(line);
    else waiters.push(w);
  });
  const next = (event: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const found = lines.find((l) => l.event === event);
      if (found) return resolve(found);
      const timer = setTimeout(() => reject(new Error(`the watcher printed no ${event} line: ${JSON.stringify(lines)}`)), 8000);
      waiters.push({ event, resolve: (l) => (clearTimeout(timer), resolve(l)) });
    });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code, sig) => resolve(code ?? (sig ? -1 : null))));
  return { child, lines, next, exited };
}

/** A process outside the watched tree that execs `exe` (through sh, so this thread is not blocked in spawn). */
function outsider(exe: string) {
  const sh = spawn('sh', ['-c', 'exec "$0" 7', exe], { stdio: 'ignore' });
  children.push(sh);
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => sh.on('exit', (c) => resolve((code = c))));
  return { exited, done: () => code !== undefined };
}

const status = (pid: number | string): string => readFileSync(`/proc/${pid}/status`, 'latin1');

describe('fanotify exec mode in its own process', () => {
  it('SIGKILL of the watcher while it holds a child at exit and an exec waits on it: both go on, the parent untraced throughout', async () => {
    const parent = await startExecParent(fx.parent);
    parents.push(parent);
    const watcher = startWatcher({ pid: parent.pid, stuck: true, outDir: '/tmp', execPaths: [fx.target] });
    expect((await watcher.next('armed')).mechanism).toMatch(/^fanotify exec permission/);
    const batch = parent.run(`spawn 1 ${fx.target}`);
    const holding = await watcher.next('holding');
    expect(status(String(holding.pid))).toMatch(/^State:\s+t/m);
    expect(status(String(holding.pid))).toMatch(new RegExp(`^TracerPid:\\s+${watcher.child.pid}$`, 'm'));
    expect(status(parent.pid)).toMatch(/^TracerPid:\s+0$/m);
    // Freeze the watcher (its watchdog too): an exec of the marked binary now waits in the kernel for an answer.
    process.kill(watcher.child.pid!, 'SIGSTOP');
    const waiting = outsider(fx.target);
    await new Promise((r) => setTimeout(r, 400));
    expect(waiting.done()).toBe(false);
    const t0 = performance.now();
    watcher.child.kill('SIGKILL');
    expect(await watcher.exited).toBe(-1);
    expect(await waiting.exited).toBe(7); // the group's descriptor closed with the watcher: its pending exec allowed
    expect(performance.now() - t0).toBeLessThan(1000);
    const done = await batch;
    expect([...done.exits]).toEqual([[holding.pid, 'exit 1']]);
    // The mark went with the group: the binary runs unwatched again.
    expect(await outsider(fx.target).exited).toBe(7);
  });

  it('as nobody: fanotify_init refuses, reported as needs-elevation with a sentence; nothing is traced or marked', async () => {
    const parent = await startExecParent(fx.parent);
    parents.push(parent);
    const watcher = startWatcher({ pid: parent.pid, stuck: false, outDir: '/tmp', execPaths: [fx.target] }, [
      'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups',
    ]);
    const refused = await watcher.next('refused');
    expect(refused.code).toBe('needs-elevation');
    expect(refused.message).toMatch(/needs root \(CAP_SYS_ADMIN\)/);
    expect(await watcher.exited).toBe(0);
    const done = await parent.run(`spawn 2 ${fx.target}`);
    expect([...done.exits.values()]).toEqual(['exit 1', 'exit 2']);
    expect(status(parent.pid)).toMatch(/^TracerPid:\s+0$/m);
  });
});
