// tuneTracerJit in a node process of its own (V8 flags are process-wide): a hot function then goes from the
// baseline tier straight to TurboFan, never to Maglev, as V8's own --trace-opt reports; without the call, the same
// function is marked for Maglev first (the control, so that this test fails if the flag stops taking effect).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const moduleUrl = pathToFileURL(join(__dirname, 'tracer-jit.ts')).href;

function traceOpt(tune: boolean): string {
  const script = [
    `const { tuneTracerJit } = await import(${JSON.stringify(moduleUrl)});`,
    tune ? 'tuneTracerJit(); tuneTracerJit();' : '',
    'function hotLoop(a) { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * 3; return s; }',
    'const a = Array.from({ length: 100 }, (_, i) => i); let t = 0;',
    'for (let i = 0; i < 50000; i++) t += hotLoop(a);',
    'console.log("sum", t);',
  ].join('\n');
  const r = spawnSync(process.execPath, ['--trace-opt', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toContain(`sum ${50000 * 3 * 4950}`);
  return r.stdout;
}

const markedFor = (out: string, tier: string) => out.split('\n').some((l) => l.includes('<JSFunction hotLoop ') && l.includes(`for optimization to ${tier}`));

describe('tuneTracerJit', () => {
  it('keeps a hot function out of Maglev and lets TurboFan take it', () => {
    const out = traceOpt(true);
    expect(markedFor(out, 'MAGLEV')).toBe(false);
    expect(markedFor(out, 'TURBOFAN')).toBe(true);
  });

  it('(control) the same function goes to Maglev first without it', () => {
    expect(markedFor(traceOpt(false), 'MAGLEV')).toBe(true);
  });
});
