// The hash off the critical path, in the engine (issue 15): a job is saved (job-done, state 'done') as soon as its
// writer reports the file complete, its hash follows as job-hashed; a cancel then stops the hash only and the file
// stays; a failed hash shows its sentence on a job that stays saved; the next job of a tree does not wait for it.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyProcessRow, type ProcessRow } from '../../src-shared/model/process';
import { createFakeDumpWriter, type FakeTarget } from './__fixtures__/fake-dump-writer';
import { createDumpEngine, type DumpEngine } from './dump-engine';
import type { DumpEngineEvent } from './dump-jobs';
import { createDumpSettingsStore } from './dump-settings';

let dir: string;
let outDir: string;
let engine: DumpEngine | null = null;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'engine-hash-test-'));
  outDir = join(dir, 'dumps');
});
afterEach(async () => {
  await engine?.dispose();
  engine = null;
  await rm(dir, { recursive: true, force: true });
});

function makeEngine(script: (pid: number) => FakeTarget, rows: ProcessRow[] = []) {
  const writer = createFakeDumpWriter((r) => script(r.pid));
  const events: DumpEngineEvent[] = [];
  engine = createDumpEngine({
    writerFactory: async () => writer,
    readRows: async () => rows,
    settingsStore: createDumpSettingsStore({ configDir: join(dir, 'config') }),
    progressIntervalMs: 0,
  });
  engine.subscribe((e) => events.push(e));
  return { engine, events };
}

function next(engine: DumpEngine, type: DumpEngineEvent['type'], jobId: string): Promise<DumpEngineEvent> {
  return new Promise((resolve) => {
    const off = engine.subscribe((e) => {
      if (e.type === type && 'jobId' in e && e.jobId === jobId) {
        off();
        resolve(e);
      }
    });
  });
}

const resultOf = (e: DumpEngineEvent) => (e.type === 'job-done' || e.type === 'job-hashed' ? e.result : null);

describe('dump engine: saved before the hash', () => {
  it('emits job-done (saved, hash computing) before job-hashed, whose SHA-256 is of the very bytes on disk', async () => {
    const { engine, events } = makeEngine(() => ({ totalBytes: 200_000, hashAfter: { delayMs: 150 } }));
    const job = await engine.start({ pid: 42, startTimeMs: 5, kind: 'full', outDir, name: 'worker' });
    const saved = resultOf(await next(engine, 'job-done', job.id))!;
    expect(saved).toMatchObject({ sha256: null, hash: 'computing' });
    expect(existsSync(saved.path)).toBe(true);
    expect(engine.get(job.id)).toMatchObject({ state: 'done', result: { hash: 'computing' } });
    const hashed = resultOf(await next(engine, 'job-hashed', job.id))!;
    expect(hashed.hash).toBe('done');
    expect(hashed.path).toBe(saved.path);
    expect(hashed.sha256).toBe(createHash('sha256').update(readFileSync(saved.path)).digest('hex'));
    const order = events.filter((e) => 'jobId' in e && e.jobId === job.id && e.type !== 'job-progress').map((e) => e.type);
    expect(order).toEqual(['job-done', 'job-hashed']);
    expect(engine.get(job.id)).toMatchObject({ state: 'done', result: { sha256: hashed.sha256, hash: 'done' } });
  });

  it('a cancel while hashing stops the hash only: the file stays and the job stays saved', async () => {
    const { engine } = makeEngine(() => ({ totalBytes: 100_000, hashAfter: { delayMs: 10_000 } }));
    const job = await engine.start({ pid: 43, startTimeMs: 5, kind: 'full', outDir });
    const saved = resultOf(await next(engine, 'job-done', job.id))!;
    const hashedEvent = next(engine, 'job-hashed', job.id);
    expect(engine.cancel(job.id)).toBe(true);
    const hashed = resultOf(await hashedEvent)!;
    expect(hashed).toMatchObject({ sha256: null, hash: 'failed', hashError: { code: 'cancelled', message: expect.stringMatching(/file is saved and kept/) } });
    expect(existsSync(saved.path)).toBe(true);
    expect(readFileSync(saved.path).length).toBe(100_000);
    expect(engine.get(job.id)).toMatchObject({ state: 'done', error: null });
    expect(engine.cancel(job.id)).toBe(false); // nothing left to stop
  });

  it('a failed hash shows its sentence and does not unsave the dump', async () => {
    const { engine } = makeEngine(() => ({ hashAfter: { delayMs: 5, failWith: new Error('EIO reading the file back') } }));
    const job = await engine.start({ pid: 44, startTimeMs: 5, kind: 'mini', outDir });
    const hashed = resultOf(await next(engine, 'job-hashed', job.id))!;
    expect(hashed).toMatchObject({ sha256: null, hash: 'failed', hashError: { code: 'io-error', message: 'EIO reading the file back' } });
    expect(engine.get(job.id)?.state).toBe('done');
    expect(existsSync(hashed.path)).toBe(true);
  });

  it('the next dump of a tree starts while the first one is still hashing', async () => {
    const rows = [emptyProcessRow(50, 1, 'root', 100), emptyProcessRow(51, 50, 'child', 101)];
    const { engine, events } = makeEngine(() => ({ hashAfter: { delayMs: 400 } }), rows);
    const group = await engine.startTree({ pid: 50, startTimeMs: 100, kind: 'mini', outDir });
    const [first, second] = group.jobIds as [string, string];
    await next(engine, 'job-hashed', second);
    const order = events.filter((e) => 'jobId' in e || 'job' in e).flatMap((e) => {
      const id = 'jobId' in e ? e.jobId : e.job.id;
      return e.type === 'job-progress' || e.type === 'job-added' ? [] : [`${e.type} ${id === first ? 1 : 2}`];
    });
    // The second job started before the first one's hash was done.
    expect(order.indexOf('job-started 2')).toBeLessThan(order.indexOf('job-hashed 1'));
    expect(order.indexOf('job-done 1')).toBeLessThan(order.indexOf('job-started 2'));
  });

  it('delete while hashing stops the hash first and removes the file', async () => {
    const { engine } = makeEngine(() => ({ hashAfter: { delayMs: 10_000 } }));
    const job = await engine.start({ pid: 45, startTimeMs: 5, kind: 'full', outDir });
    const saved = resultOf(await next(engine, 'job-done', job.id))!;
    await engine.deleteDump(job.id);
    expect(existsSync(saved.path)).toBe(false);
    expect(engine.get(job.id)).toBeNull();
  });
});
