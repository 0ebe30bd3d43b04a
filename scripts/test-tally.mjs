// The arithmetic behind `npm test`'s closing line, apart from the running so that it can be tested on crafted
// reports (scripts/test-tally.test.ts). Every step's outcome lands in the line: a check (typecheck, lint, build)
// counts as one test; a suite adds its report's counts, and one failure more when it wrote no report, wrote one
// that cannot be read, failed outside its tests (a file that did not load, a failed hook, an unhandled error), or
// exited non-zero with nothing failed in its report; a suite skipped as a whole counts as one skip with its reason;
// each file a run leaves in the temp folder is a failure. Pure: no I/O, no process state.

const isCount = (n) => Number.isSafeInteger(n) && n >= 0;

function requireCounts(what, obj, keys) {
  if (typeof obj !== 'object' || obj === null) throw new Error(`the ${what} report is not a JSON object`);
  for (const k of keys) {
    if (!isCount(obj[k])) throw new Error(`the ${what} report's ${k} is ${JSON.stringify(obj[k])}, not a count`);
  }
}

/**
 * Counts from vitest's JSON reporter. A file that failed with no failed test in it (an import that threw, a
 * beforeAll/afterAll that failed) and a run the report itself calls unsuccessful are failures too: vitest counts
 * neither in numFailedTests. Unhandled errors are not in the report at all; vitest's exit code carries them.
 */
export function vitestCounts(json) {
  requireCounts('vitest', json, ['numPassedTests', 'numFailedTests', 'numPendingTests', 'numTodoTests', 'numFailedTestSuites']);
  if (!Array.isArray(json.testResults)) throw new Error('the vitest report has no testResults list');
  const extraFailures = [];
  const failedTests = [];
  for (const file of json.testResults) {
    const tests = Array.isArray(file?.assertionResults) ? file.assertionResults : [];
    for (const t of tests) {
      if (t?.status !== 'failed') continue;
      const message = firstLine(Array.isArray(t.failureMessages) ? t.failureMessages[0] : '');
      failedTests.push(`${baseName(file.name)} › ${t.fullName ?? t.title ?? 'a test'}${message ? `: ${message}` : ''}`);
    }
    if (file?.status === 'failed' && !tests.some((t) => t?.status === 'failed')) {
      extraFailures.push(`${file.name ?? 'a test file'} failed outside its tests: ${firstLine(file.message) || 'no message'}`);
    }
  }
  if (json.numFailedTests === 0 && json.numFailedTestSuites > 0 && extraFailures.length === 0) {
    extraFailures.push(`${json.numFailedTestSuites} suite(s) failed with no failed test (a hook failed)`);
  }
  if (json.success !== true && json.numFailedTests === 0 && extraFailures.length === 0) {
    extraFailures.push(json.testResults.length === 0 ? 'vitest ran no test file' : 'the report says the run did not succeed');
  }
  return {
    passed: json.numPassedTests,
    failed: json.numFailedTests,
    skipped: json.numPendingTests + json.numTodoTests,
    extraFailures,
    failedTests,
  };
}

/** Counts from Playwright's JSON reporter: a flaky test (passed on retry) is a failure; so is an error outside tests. */
export function playwrightCounts(json) {
  requireCounts('Playwright', json?.stats ?? null, ['expected', 'unexpected', 'flaky', 'skipped']);
  const errors = Array.isArray(json.errors) ? json.errors : [];
  const failedTests = [];
  const walk = (suite, titles) => {
    for (const spec of Array.isArray(suite?.specs) ? suite.specs : []) {
      for (const test of Array.isArray(spec?.tests) ? spec.tests : []) {
        if (test?.status !== 'unexpected' && test?.status !== 'flaky') continue;
        const results = Array.isArray(test.results) ? test.results : [];
        const message = firstLine(results.find((r) => r?.error)?.error?.message ?? '');
        failedTests.push(`${[...titles, spec.title].filter(Boolean).join(' › ')}${test.status === 'flaky' ? ' (flaky)' : ''}${message ? `: ${message}` : ''}`);
      }
    }
    for (const child of Array.isArray(suite?.suites) ? suite.suites : []) walk(child, [...titles, child.title]);
  };
  for (const suite of Array.isArray(json.suites) ? json.suites : []) walk(suite, [suite.title]);
  return {
    passed: json.stats.expected,
    failed: json.stats.unexpected + json.stats.flaky,
    skipped: json.stats.skipped,
    extraFailures: errors.map((e) => `error outside the tests: ${firstLine(e?.message) || JSON.stringify(e)}`),
    failedTests,
  };
}

/** Counts from scripts/test-win.mjs's win.json: { passed, failed, skipped }. */
export function winCounts(json) {
  requireCounts('Windows', json, ['passed', 'failed', 'skipped']);
  return { passed: json.passed, failed: json.failed, skipped: json.skipped, extraFailures: [] };
}

function baseName(path) {
  return typeof path === 'string' ? path.split(/[\\/]/).at(-1) : 'a test file';
}

/** The failed tests named in a problem sentence: CI shows only the end of a run's output, so the names must be in it. */
function namedFailures(names) {
  if (!Array.isArray(names) || names.length === 0) return '';
  const shown = names.slice(0, 5).join('; ');
  return `: ${shown}${names.length > 5 ? `; and ${names.length - 5} more` : ''}`;
}

function firstLine(text) {
  return typeof text === 'string' ? text.trim().split('\n')[0].slice(0, 300) : '';
}

function exitText(step) {
  return step.signal ? `killed by ${step.signal}` : step.exitCode === null || step.exitCode === undefined ? 'did not start' : `exit ${step.exitCode}`;
}

/**
 * Adds up the steps of a run. Each step is one of:
 *   { kind: 'check', name, exitCode, signal? }
 *   { kind: 'suite', name, exitCode, signal?, report: { counts } | { missing: true } | { unreadable: string } }
 *   { kind: 'skipped', name, reason }        a suite that could not run here (counted as one skip)
 *   { kind: 'not-run', name, reason }        a suite that should have run and did not (one failure)
 *   { kind: 'leftovers', name, entries }     what the run left in the temp folder (one failure each)
 * Returns the totals, one sentence per failure (`problems`) and per skip (`skips`).
 */
export function tallySteps(steps) {
  const t = { passed: 0, failed: 0, skipped: 0, problems: [], skips: [] };
  const fail = (n, why) => {
    t.failed += n;
    t.problems.push(why);
  };
  for (const s of steps) {
    const ok = s.exitCode === 0 && !s.signal;
    switch (s.kind) {
      case 'check':
        if (ok) t.passed++;
        else fail(1, `${s.name} failed (${exitText(s)})`);
        break;
      case 'suite': {
        const r = s.report ?? { missing: true };
        if (r.counts) {
          const c = r.counts;
          t.passed += c.passed;
          t.skipped += c.skipped;
          if (c.failed) fail(c.failed, `${s.name}: ${c.failed} test(s) failed${namedFailures(c.failedTests)}`);
          for (const why of c.extraFailures ?? []) fail(1, `${s.name}: ${why}`);
          if (!ok && c.failed === 0 && (c.extraFailures ?? []).length === 0) {
            fail(1, `${s.name} ${exitText(s)} with no failed test in its report: an unhandled error or a crash (see its output)`);
          }
        } else if (r.unreadable) {
          fail(1, `${s.name}: its report could not be read (${r.unreadable}; ${exitText(s)})`);
        } else {
          fail(1, `${s.name} wrote no report (${exitText(s)})`);
        }
        break;
      }
      case 'skipped':
        t.skipped++;
        t.skips.push(`${s.name} skipped: ${s.reason}`);
        break;
      case 'not-run':
        fail(1, `${s.name} not run: ${s.reason}`);
        break;
      case 'leftovers':
        if (s.entries.length === 0) t.passed++;
        else fail(s.entries.length, `${s.name}: the run left ${s.entries.length} entr${s.entries.length === 1 ? 'y' : 'ies'} in the temp folder: ${s.entries.join(', ')}`);
        break;
      default:
        fail(1, `${s.name ?? 'a step'} has an unknown kind ${JSON.stringify(s.kind)}`);
    }
  }
  return t;
}

/**
 * Caches other tools keep in the temp folder on purpose, recreated by every run: not leftovers of a test. Node's
 * module compile cache (module.enableCompileCache() with no folder: os.tmpdir()/node-compile-cache, used by npm,
 * TypeScript and others) and Playwright's transform cache of the specs (playwright-transform-cache-UID).
 */
const TOOL_CACHES = [/^node-compile-cache$/, /^playwright-transform-cache(-\d+)?$/];

/** The entries of the run's temp folder that count as left behind by a test. */
export function leftBehind(entries) {
  return entries.filter((e) => !TOOL_CACHES.some((re) => re.test(e)));
}

/** The closing line, in the plain form CI reads: "procscope: N passed, N failed, N skipped". */
export function closingLine(t) {
  return `procscope: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`;
}
