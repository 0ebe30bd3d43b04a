// npm test's closing line on reports recorded from real vitest 5 and Playwright runs of crafted test files
// (scripts/__fixtures__/test-reports.json: a pass with a skip and a todo; a failed test, a file whose import threw
// and an afterAll that threw in one run; each of those alone; a test that passed but left an unhandled rejection,
// which vitest exits 1 for while its report says success; a Playwright spec file that failed to load).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closingLine, leftBehind, playwrightCounts, tallySteps, vitestCounts, winCounts, type Step } from './test-tally.mjs';

const reports = JSON.parse(readFileSync(join(import.meta.dirname, '__fixtures__', 'test-reports.json'), 'utf8')) as Record<string, unknown>;
const vitestStep = (name: string, exitCode: number): Step => ({
  kind: 'suite',
  name: 'unit+integration',
  exitCode,
  report: { counts: vitestCounts(reports[name]) },
});
const checks = (n: number): Step[] => Array.from({ length: n }, (_, i) => ({ kind: 'check', name: `check ${i}`, exitCode: 0 }));

describe('npm test closing line', () => {
  it('counts a clean run, with skips and todos as skipped and each check as one test', () => {
    const t = tallySteps([...checks(3), vitestStep('vitest-pass', 0)]);
    expect(closingLine(t)).toBe('procscope: 4 passed, 0 failed, 2 skipped');
    expect(t.problems).toEqual([]);
  });

  it('counts a failed test, a file that did not load and a failed afterAll, each as a failure', () => {
    const t = tallySteps([vitestStep('vitest-fail', 1)]);
    expect(closingLine(t)).toBe('procscope: 2 passed, 3 failed, 0 skipped');
    expect(t.problems).toEqual([
      'unit+integration: 1 test(s) failed: fail.test.ts › fails: AssertionError: expected 1 to be 2 // Object.is equality',
      'unit+integration: hookfail.test.ts failed outside its tests: no message',
      'unit+integration: importfail.test.ts failed outside its tests: cannot load this module',
    ]);
  });

  it('counts a file whose import threw, though vitest counts no failed test', () => {
    expect(reports['vitest-importfail']).toMatchObject({ numFailedTests: 0, numTotalTests: 0 });
    expect(closingLine(tallySteps([vitestStep('vitest-importfail', 1)]))).toBe('procscope: 0 passed, 1 failed, 0 skipped');
    expect(closingLine(tallySteps([vitestStep('vitest-hookfail', 1)]))).toBe('procscope: 1 passed, 1 failed, 0 skipped');
  });

  it('counts an unhandled rejection: the report says success, the exit code does not', () => {
    expect(reports['vitest-unhandled']).toMatchObject({ success: true, numFailedTests: 0, numFailedTestSuites: 0 });
    const t = tallySteps([vitestStep('vitest-unhandled', 1)]);
    expect(closingLine(t)).toBe('procscope: 1 passed, 1 failed, 0 skipped');
    expect(t.problems[0]).toMatch(/^unit\+integration exit 1 with no failed test in its report: an unhandled error/);
  });

  it('counts a suite that wrote no report, or an unreadable one, as a failure (the run that said "46 passed, 0 failed")', () => {
    const t = tallySteps([
      ...checks(3),
      { kind: 'suite', name: 'unit+integration', exitCode: 1, report: { missing: true } },
      { kind: 'suite', name: 'e2e', exitCode: 0, report: { counts: { passed: 43, failed: 0, skipped: 0, extraFailures: [] } } },
      { kind: 'suite', name: 'windows (wine)', exitCode: null, signal: 'SIGKILL', report: { unreadable: 'Unexpected end of JSON input' } },
    ]);
    expect(closingLine(t)).toBe('procscope: 46 passed, 2 failed, 0 skipped');
    expect(t.problems).toEqual([
      'unit+integration wrote no report (exit 1)',
      'windows (wine): its report could not be read (Unexpected end of JSON input; killed by SIGKILL)',
    ]);
  });

  it('counts failed checks, a suite not run and a suite skipped as a whole with its reason', () => {
    const t = tallySteps([
      { kind: 'check', name: 'typecheck', exitCode: 2 },
      { kind: 'check', name: 'build', exitCode: null },
      { kind: 'not-run', name: 'e2e', reason: 'the build failed' },
      { kind: 'skipped', name: 'windows (wine)', reason: '/usr/lib/wine/wine64 is not installed' },
    ]);
    expect(closingLine(t)).toBe('procscope: 0 passed, 3 failed, 1 skipped');
    expect(t.problems).toEqual(['typecheck failed (exit 2)', 'build failed (did not start)', 'e2e not run: the build failed']);
    expect(t.skips).toEqual(['windows (wine) skipped: /usr/lib/wine/wine64 is not installed']);
  });

  it('counts each entry left in the temp folder as a failure, naming it', () => {
    const t = tallySteps([{ kind: 'leftovers', name: 'temp folder', entries: ['procscope-web-a1', 'procscope-window-b2'] }]);
    expect(closingLine(t)).toBe('procscope: 0 passed, 2 failed, 0 skipped');
    expect(t.problems).toEqual(['temp folder: the run left 2 entries in the temp folder: procscope-web-a1, procscope-window-b2']);
    expect(closingLine(tallySteps([{ kind: 'leftovers', name: 'temp folder', entries: [] }]))).toBe('procscope: 1 passed, 0 failed, 0 skipped');
    // Node's compile cache is a tool's own cache, recreated by each run; anything else of that name-shape is not.
    expect(leftBehind(['node-compile-cache', 'procscope-dump-target-x', 'settings-test-1'])).toEqual(['procscope-dump-target-x', 'settings-test-1']);
    expect(leftBehind(['node-compile-cache-2'])).toEqual(['node-compile-cache-2']);
    expect(leftBehind(['playwright-transform-cache-0', 'playwright-artifacts-x1'])).toEqual(['playwright-artifacts-x1']);
  });

  it('reads Playwright reports: an error outside the tests (a spec that did not load) is a failure', () => {
    const load = playwrightCounts(reports['playwright-loaderror']);
    expect(load).toEqual({ passed: 0, failed: 0, skipped: 0, extraFailures: ['error outside the tests: Error: this spec file cannot load'], failedTests: [] });
    expect(closingLine(tallySteps([{ kind: 'suite', name: 'e2e', exitCode: 1, report: { counts: load } }]))).toBe('procscope: 0 passed, 1 failed, 0 skipped');
    expect(playwrightCounts(reports['playwright-mixed'])).toMatchObject({ passed: 1, failed: 2, skipped: 1, extraFailures: [] });
    // CI shows only the end of a run's output, so the failed tests are named in the problems (the JSON reporter's
    // suites → specs → tests shape, a file suite with a describe inside).
    const named = playwrightCounts({
      stats: { expected: 1, unexpected: 1, flaky: 1, skipped: 0 },
      suites: [{ title: 'kill.spec.ts', specs: [{ title: 'kills', tests: [{ status: 'expected', results: [] }] }], suites: [
        { title: 'menu', specs: [
          { title: 'opens', tests: [{ status: 'unexpected', results: [{ error: { message: 'Timed out 5000ms\nmore' } }] }] },
          { title: 'closes', tests: [{ status: 'flaky', results: [{ error: { message: 'no row' } }, {}] }] },
        ] },
      ] }],
    });
    expect(named.failedTests).toEqual(['kill.spec.ts › menu › opens: Timed out 5000ms', 'kill.spec.ts › menu › closes (flaky): no row']);
    expect(tallySteps([{ kind: 'suite', name: 'e2e', exitCode: 1, report: { counts: named } }]).problems).toEqual([
      'e2e: 2 test(s) failed: kill.spec.ts › menu › opens: Timed out 5000ms; kill.spec.ts › menu › closes (flaky): no row',
    ]);
    expect(playwrightCounts({ stats: { expected: 3, unexpected: 0, flaky: 2, skipped: 0 } }).failed).toBe(2);
  });

  it('refuses a report of the wrong shape with a sentence, so it counts as unreadable', () => {
    expect(() => vitestCounts(null)).toThrow('the vitest report is not a JSON object');
    expect(() => vitestCounts({ ...(reports['vitest-pass'] as object), numFailedTests: -1 })).toThrow("the vitest report's numFailedTests is -1, not a count");
    expect(() => vitestCounts({ ...(reports['vitest-pass'] as object), testResults: undefined })).toThrow('the vitest report has no testResults list');
    expect(() => playwrightCounts({})).toThrow('the Playwright report is not a JSON object');
    expect(() => winCounts({ passed: 1, failed: '0', skipped: 0 })).toThrow(`the Windows report's failed is "0", not a count`);
    expect(winCounts({ passed: 5, failed: 1, skipped: 2 })).toEqual({ passed: 5, failed: 1, skipped: 2, extraFailures: [] });
  });

  it('counts a vitest run with no test file, or one the report calls unsuccessful, as a failure', () => {
    const empty = { ...(reports['vitest-pass'] as object), numPassedTests: 0, numPendingTests: 0, numTodoTests: 0, success: false, testResults: [] };
    expect(vitestCounts(empty).extraFailures).toEqual(['vitest ran no test file']);
    const odd = { ...(reports['vitest-pass'] as object), success: false };
    expect(vitestCounts(odd).extraFailures).toEqual(['the report says the run did not succeed']);
    expect(tallySteps([{ kind: 'mystery', name: 'x' } as unknown as Step]).failed).toBe(1);
  });
});
