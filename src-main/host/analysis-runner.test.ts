// The worker runner's protocol with stand-in worker scripts (the real out/main/analysis-worker.js is a build
// output, run by the e2e spec): a report, a file error, a worker that throws, one that exits without a word, one
// that never answers until aborted — each a typed AnalysisRunError and no worker left running.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AnalysisRunError, createInProcessAnalysisRunner, createWorkerAnalysisRunner } from './analysis-runner';

const dir = mkdtempSync(join(tmpdir(), 'analysis-runner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function workerScript(name: string, body: string): string {
  const path = join(dir, `${name}.cjs`);
  writeFileSync(path, `const { parentPort, workerData } = require('node:worker_threads');\n${body}\n`);
  return path;
}

const run = (script: string, signal = new AbortController().signal) => createWorkerAnalysisRunner(script)('/x/y.core', signal);

describe('worker analysis runner', () => {
  it("answers the worker's report, and its failures as AnalysisRunError with fileError kept", async () => {
    const ok = workerScript('ok', `parentPort.postMessage({ ok: true, report: { header: { dumpFile: workerData.path } } });`);
    expect(await run(ok)).toEqual({ header: { dumpFile: '/x/y.core' } });
    const bad = workerScript('bad', `parentPort.postMessage({ ok: false, fileError: true, message: workerData.path + ' is truncated.' });`);
    await expect(run(bad)).rejects.toEqual(new AnalysisRunError('/x/y.core is truncated.', true));
    const bad2 = await run(bad).catch((e: AnalysisRunError) => e);
    expect(bad2).toBeInstanceOf(AnalysisRunError);
    expect((bad2 as AnalysisRunError).fileError).toBe(true);
  });

  it('turns a throwing worker and a silent exit into sentences', async () => {
    const thrower = workerScript('throw', `throw new Error('reader bug');`);
    await expect(run(thrower)).rejects.toThrow(/The analysis stopped: reader bug/);
    const silent = workerScript('silent', `process.exit(3);`);
    await expect(run(silent)).rejects.toThrow(/ended without a report \(exit code 3\)/);
  });

  it('ends a worker that is still analysing when the signal aborts, and refuses an aborted start', async () => {
    const forever = workerScript('forever', `setInterval(() => {}, 1000);`);
    const controller = new AbortController();
    const pending = run(forever, controller.signal);
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toThrow(/cancelled/);
    await expect(run(forever, controller.signal)).rejects.toThrow(/cancelled/);
  });
});

describe('in-process analysis runner', () => {
  it("marks the reader's refusal of a non-dump as the file's fault", async () => {
    const text = join(dir, 'text.core');
    writeFileSync(text, 'not a core');
    const err = await createInProcessAnalysisRunner()(text, new AbortController().signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AnalysisRunError);
    expect(err).toMatchObject({ fileError: true, message: expect.stringMatching(/is not a dump/) });
  });
});
