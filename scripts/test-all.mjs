#!/usr/bin/env node
// `npm test`: every suite, in order — types per layer, lint (with the layering rules), the build, unit and
// integration tests (vitest), e2e in Chromium (Playwright), and the Windows suite under Wine when wine64 exists
// (CI installs it, so there it always runs). Ends with one closing line that adds up every runner's counts;
// skips are reported with their reasons and never counted as passes.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const results = join(root, 'test-results');
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });

const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = [];

function step(name, cmd, args, env = {}) {
  process.stdout.write(`\n=== ${name}: ${cmd} ${args.join(' ')}\n`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const ok = r.status === 0;
  process.stdout.write(`=== ${name}: ${ok ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`} in ${seconds} s\n`);
  if (!ok) failures.push(name);
  return ok;
}

function addJson(file, pick) {
  if (!existsSync(file)) return false;
  const c = pick(JSON.parse(readFileSync(file, 'utf8')));
  totals.passed += c.passed;
  totals.failed += c.failed;
  totals.skipped += c.skipped;
  return true;
}

const npx = (bin, ...args) => ['npx', ['--no-install', bin, ...args]];

step('typecheck', 'npm', ['run', '--silent', 'typecheck']);
step('lint', ...npx('eslint', '.', '--max-warnings=0'));
const built = step('build', ...npx('electron-vite', 'build'));

step('unit+integration', ...npx('vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${join(results, 'vitest.json')}`));
if (!addJson(join(results, 'vitest.json'), (j) => ({
  passed: j.numPassedTests, failed: j.numFailedTests, skipped: j.numPendingTests + j.numTodoTests,
}))) failures.push('unit+integration (no report)');

if (built) {
  step('e2e', ...npx('playwright', 'test'));
  if (!addJson(join(results, 'e2e.json'), (j) => ({
    passed: j.stats.expected, failed: j.stats.unexpected + j.stats.flaky, skipped: j.stats.skipped,
  }))) failures.push('e2e (no report)');
} else {
  failures.push('e2e (not run: the build failed)');
}

const wine = '/usr/lib/wine/wine64';
if (existsSync(wine)) {
  step('windows (wine)', 'node', ['scripts/test-win.mjs']);
  if (!addJson(join(results, 'win.json'), (j) => j)) failures.push('windows (no report)');
} else if (process.env.CI) {
  failures.push('windows: wine64 is missing on CI (.ci/run installs it)');
} else {
  process.stdout.write(`\n=== windows (wine): skipped — ${wine} is not installed (apt-get install wine64)\n`);
}

process.stdout.write(`\n${failures.length ? `Failed steps: ${failures.join(', ')}` : 'All steps passed.'}\n`);
process.stdout.write(`procscope: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
process.exit(failures.length || totals.failed ? 1 : 0);
