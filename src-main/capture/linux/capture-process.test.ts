// The Linux capture engine in a process of its own (a bundled entry): SIGKILLed while it holds a child at exit,
// the watched tree finishes as if never watched; run as `nobody` against a root process, it is refused with
// needs-elevation. Root and gcc needed.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bundleFixture, REPO_NODE_MODULES } from '../../dump/helper/__fixtures__/bundle-fixture';
import { compileCaptureParentSync, startCaptureParent, type RunningParent } from './__fixtures__/capture-parent';

let fixture: { dir: string; exe: string };
let entry = '';
const parents: RunningParent[] = [];
const tracers: ChildProcess[] = [];
const env = { ...process.env, NODE_PATH: REPO_NODE_MODULES };

beforeAll(async () => {
  fixture = compileCaptureParentSync();
  entry = await bundleFixture(join(__dirname, '__fixtures__/capture-watch-entry.ts'));
});
afterAll(() => {
  rmSync(fixture.dir, { recursive: true, force: true });
  if (entry) rmSync(dirname(entry), { recursive: true, force: true });
});
afterEach(() => {
  for (const t of tracers.splice(0)) t.kill('SIGKILL');
  for (const p of parents.splice(0)) p.kill();
});

/** Start the tracer entry (optionally through a wrapper such as setpriv); resolves its JSON lines as they come. */
function startTracer(config: object, wrapper: string[] = []) {
  const argv = [...wrapper, process.execPath, entry, JSON.stringify(config)];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], env });
  tracers.push(child);
  const lines: Record<string, unknown>[] = [];
  const waiters: { test: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    const line = JSON.parse(text) as Record<string, unknown>;
    lines.push(line);
    for (const w of waiters.splice(0)) if (w.test(line)) w.resolve(line);
    else waiters.push(w);
  });
  const next = (event: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const found = lines.find((l) => l.event === event);
      if (found) return resolve(found);
      const timer = setTimeout(() => reject(new Error(`the tracer printed no ${event} line: ${JSON.stringify(lines)}`)), 30_000);
      waiters.push({ test: (l) => l.event === event, resolve: (l) => (clearTimeout(timer), resolve(l)) });
    });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code, sig) => resolve(code ?? (sig ? -1 : null))));
  return { child, lines, next, exited };
}

describe('Linux capture engine in its own process', () => {
  it('SIGKILL of the tracer while it holds a child at exit: the child finishes exiting with its code, the parent exits 0', async () => {
    const parent = await startCaptureParent(fixture.exe, ['codes', '9']);
    parents.push(parent);
    const tracer = startTracer({ pid: parent.pid, stuck: true, outDir: '/tmp' });
    await tracer.next('armed');
    parent.go();
    const holding = await tracer.next('holding');
    const held = [...parent.results().keys()];
    expect(held).toEqual([]); // the parent's waitpid has not returned: the child is still held
    // The child is stopped in its exit while the tracer "dumps": state t (tracing stop), traced by the tracer.
    const status = readFileSync(`/proc/${String(holding.pid)}/status`, 'latin1');
    expect(status).toMatch(/^State:\s+t/m);
    expect(status).toMatch(new RegExp(`^TracerPid:\\s+${tracer.child.pid}$`, 'm'));
    tracer.child.kill('SIGKILL');
    expect(await tracer.exited).toBe(-1);
    expect(await parent.exited).toBe(0);
    expect([...parent.results()]).toEqual([[holding.pid, 'exit 9']]);
    expect(parent.lines.at(-1)).toBe('done');
  });

  it('watching its own ancestor (the shell it runs in): the tracer skips itself instead of reporting a refusal for its own pid', async () => {
    // sh stays the tracer's parent (it waits for node), so the tracer is one of the watched process's descendants.
    const tracer = startTracer({ pid: 'parent', stuck: false, outDir: '/tmp' }, ['sh', '-c', '"$@"; exit 0', 'sh']);
    const armed = await tracer.next('armed');
    expect(armed.pid).toBe(tracer.child.pid); // the sh
    await new Promise((r) => setTimeout(r, 300));
    expect(tracer.lines.filter((l) => l.event === 'error' || l.event === 'refused')).toEqual([]);
    expect(readFileSync(`/proc/${String(armed.pid)}/status`, 'latin1')).toMatch(/^TracerPid:\s+[1-9]\d*$/m);
  });

  it('as nobody against a root process: refused with needs-elevation and a sentence, the target untouched', async () => {
    const parent = await startCaptureParent(fixture.exe, ['codes', '1']);
    parents.push(parent);
    const tracer = startTracer({ pid: parent.pid, stuck: false, outDir: '/tmp' }, ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']);
    const refused = await tracer.next('refused');
    expect(refused.code).toBe('needs-elevation');
    expect(refused.message).toMatch(new RegExp(`Process ${parent.pid} belongs to another user \\(uid 0\\); you are uid 65534`));
    expect(await tracer.exited).toBe(0);
    expect(readFileSync(`/proc/${parent.pid}/status`, 'latin1')).toMatch(/^TracerPid:\s+0$/m);
    parent.go();
    expect(await parent.exited).toBe(0);
    expect([...parent.results().values()]).toEqual(['exit 1']);
  });
});
