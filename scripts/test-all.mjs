#!/usr/bin/env node
// `npm test`: every suite, in order — types per layer, lint (with the layering rules), the build, unit and
// integration tests (vitest), e2e in Chromium (Playwright), and the Windows suite under Wine when wine64 exists
// (CI installs it, so there it always runs). Started by a Node older than 22.12 it says so and runs again under
// Node 24 (scripts/node24.mjs). The whole run gets its own temp folder (TMPDIR); whatever a test leaves in it is a
// failure, named. Ends with one closing line that counts every step (scripts/test-tally.mjs): a failed check, a
// suite that failed or wrote no report, an error outside the tests; skips keep their reasons and never count as passes.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MIN_NODE, NODE_VERSION, ensureNode24, isAtLeast, node24Env, nodeDir } from './node24.mjs';
import { closingLine, leftBehind, playwrightCounts, tallySteps, vitestCounts, winCounts } from './test-tally.mjs';

const self = fileURLToPath(import.meta.url);
const root = join(dirname(self), '..');

if (!isAtLeast(process.versions.node, MIN_NODE)) {
  const why = `Node ${process.versions.node} is older than ${MIN_NODE.replace(/\.0$/, '')}, which vitest 5 and Electron 45 need`;
  let node;
  try {
    node = ensureNode24();
  } catch (err) {
    process.stdout.write(`${why}, and Node ${NODE_VERSION} could not be fetched from the npm registry: ${err.message}\n`);
    process.stdout.write(`${closingLine(tallySteps([{ kind: 'not-run', name: 'every suite', reason: 'no Node 24' }]))}\n`);
    process.exit(1);
  }
  process.stdout.write(`${why}: running the suites under Node ${NODE_VERSION} from the npm registry (${relative(root, nodeDir)}).\n`);
  const r = spawnSync(node, [self, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit', env: node24Env() });
  process.exit(r.status ?? 1);
}

const results = join(root, 'test-results');
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });

// One temp folder for the whole run, mode 1777 like /tmp: the run-as-nobody tests write there too, and the helper's
// ancestor checks accept it for the same reason they accept /tmp (sticky, owned by root or by us).
const runTmp = mkdtempSync(join(tmpdir(), 'procscope-test-run-'));
chmodSync(runTmp, 0o1777);
process.env.TMPDIR = runTmp;

/** Every step's outcome, in order; scripts/test-tally.mjs turns them into the closing line. */
const steps = [];
// `npm test -- --only=typecheck,unit+integration` runs just those steps (the others count as skipped, with why).
const onlyArg = process.argv.slice(2).find((a) => a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.slice('--only='.length).split(',')) : null;
const unselected = (name) => {
  if (!only || only.has(name)) return false;
  steps.push({ kind: 'skipped', name, reason: 'not selected with --only' });
  return true;
};

/** Which step first left each entry in the temp folder, so a leftover names the suite that made it. */
const leftBy = new Map();
function noteLeftovers(stepName) {
  let entries;
  try {
    entries = leftBehind(readdirSync(runTmp));
  } catch {
    return;
  }
  for (const e of entries) if (!leftBy.has(e)) leftBy.set(e, stepName);
}

function run(name, cmd, args, env) {
  process.stdout.write(`\n=== ${name}: ${cmd} ${args.join(' ')}\n`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  noteLeftovers(name);
  const ok = r.status === 0;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const how = r.error ? `could not start: ${r.error.message}` : `exit ${r.status ?? r.signal}`;
  process.stdout.write(`=== ${name}: ${ok ? 'ok' : `FAILED (${how})`} in ${seconds} s\n`);
  return { exitCode: r.status, signal: r.signal };
}

/** A check that passes or fails as a whole (its exit code); counts as one test. Returns whether it passed. */
function step(name, cmd, args, env = {}) {
  if (unselected(name)) return true;
  const r = run(name, cmd, args, env);
  steps.push({ kind: 'check', name, ...r });
  return r.exitCode === 0;
}

/** A test runner whose JSON report (written by this run) gives the counts; `read` turns it into them. */
function suite(name, cmd, args, reportFile, read, env = {}) {
  if (unselected(name)) return;
  const r = run(name, cmd, args, env);
  let report;
  if (!existsSync(reportFile)) report = { missing: true };
  else {
    try {
      report = { counts: read(JSON.parse(readFileSync(reportFile, 'utf8'))) };
    } catch (err) {
      report = { unreadable: err.message };
    }
  }
  steps.push({ kind: 'suite', name, ...r, report });
}

const npx = (bin, ...args) => ['npx', ['--no-install', bin, ...args]];
const wine = '/usr/lib/wine/wine64';

try {
  process.stdout.write(`Node ${process.versions.node} (${process.execPath}); temp folder for this run: ${runTmp}\n`);
  step('typecheck', 'npm', ['run', '--silent', 'typecheck']);
  step('lint', ...npx('eslint', '.', '--max-warnings=0'));
  const built = step('build', ...npx('electron-vite', 'build'));
  // Electron's checklist on the built out/ (on the sources it misreads options built in another file).
  if (built) step('electronegativity', process.execPath, ['scripts/electronegativity.mjs']);
  else steps.push({ kind: 'not-run', name: 'electronegativity', reason: 'the build failed' });

  const vitestJson = join(results, 'vitest.json');
  suite('unit+integration', ...npx('vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`), vitestJson, vitestCounts);

  if (built) suite('e2e', ...npx('playwright', 'test'), join(results, 'e2e.json'), playwrightCounts);
  else steps.push({ kind: 'not-run', name: 'e2e', reason: 'the build failed' });

  if (existsSync(wine)) suite('windows (wine)', process.execPath, ['scripts/test-win.mjs'], join(results, 'win.json'), winCounts);
  else if (!unselected('windows (wine)')) {
    if (process.env.CI) steps.push({ kind: 'not-run', name: 'windows (wine)', reason: 'wine64 is missing on CI (.ci/run installs it)' });
    else steps.push({ kind: 'skipped', name: 'windows (wine)', reason: `${wine} is not installed (apt-get install wine64)` });
  }
} catch (err) {
  steps.push({ kind: 'not-run', name: 'the rest of the run', reason: `scripts/test-all.mjs itself failed: ${err?.stack ?? err}` });
} finally {
  let left;
  try {
    left = leftBehind(readdirSync(runTmp).sort()).map((e) => (leftBy.has(e) ? `${e} (after ${leftBy.get(e)})` : e));
  } catch (err) {
    left = [`(the temp folder could not be listed: ${err.message})`];
  }
  steps.push({ kind: 'leftovers', name: 'temp folder', entries: left });
  rmSync(runTmp, { recursive: true, force: true });
}

const t = tallySteps(steps);
process.stdout.write('\n');
for (const s of t.skips) process.stdout.write(`Skipped: ${s}\n`);
for (const p of t.problems) process.stdout.write(`Failed: ${p}\n`);
if (!t.problems.length) process.stdout.write('All steps passed.\n');
process.stdout.write(`${closingLine(t)}\n`);
process.exit(t.failed ? 1 : 0);
