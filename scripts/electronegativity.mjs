#!/usr/bin/env node
// Electronegativity (Doyensec's Electron checklist scanner) on the built out/, not the sources: on the sources it
// reports options built in another file as missing. Fails on any finding that is not in ALLOWED below (each entry
// says why it is a false positive), and on any file the scanner could not parse that mentions electron at all.
// The scan never reaches the network: electronegativity 1.10 fetches translations and Electron's release list
// with `got` (a timed-out retry then crashes it offline, and the list is written into the temp folder), so `got`
// is replaced by a refusal and the package's own en-US strings are used.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join, resolve } from 'node:path';

const root = join(import.meta.dirname, '..');
// Usage: node scripts/electronegativity.mjs [BUILD_FOLDER] (out/ by default).
const out = resolve(process.argv[2] ?? join(root, 'out'));
const require = createRequire(import.meta.url);
const scannerDir = join(root, 'node_modules', '@doyensec', 'electronegativity', 'dist');

/** Findings we have read and judged safe, matched by check id, file and the flagged code. */
export const ALLOWED = [
  {
    id: 'OPEN_EXTERNAL_JS_CHECK', file: 'main/index.js', sample: /isExternalUrlAllowed\(url\)\) options\.openExternal\(url\)/,
    why: 'hardenWebContents calls openExternal only for URLs that pass the https host allow-list (window-security.ts, empty today; security-checklist test 15)',
  },
  {
    id: 'OPEN_EXTERNAL_JS_CHECK', file: 'main/index.js', sample: /openExternal: \(url\) => void electron\.shell\.openExternal\(url\)/,
    why: "the one shell.openExternal call, handed to hardenWebContents, which gates it with that allow-list",
  },
  {
    id: 'CSP_GLOBAL_CHECK', file: 'renderer/index.html', sample: /script-src 'self'/,
    why: "csp-evaluator says script-src 'self' can be problematic where a site hosts JSONP, Angular or uploads; 'self' is app://procscope, which serves only the built out/renderer (app-protocol.ts)",
  },
];

function scan() {
  const gotPath = require.resolve('got', { paths: [join(scannerDir, 'locales')] });
  const offline = () => Promise.reject(new Error('electronegativity runs offline here'));
  require.cache[gotPath] = { id: gotPath, filename: gotPath, loaded: true, exports: offline };
  const run = require(join(scannerDir, 'runner.js'));
  const electronVersion = require('electron/package.json').version;
  return run(
    {
      input: out,
      isRelative: true,
      isVerbose: true,
      customScan: [],
      // It needs the release list (offline here) and a package.json (out/ has none); checklist test 16 covers it.
      excludeFromScan: ['availablesecurityfixesglobalcheck'],
      electronVersionOverride: electronVersion,
      // The bundles use class fields; the scanner's own plugin list predates them.
      parserPlugins: ['classPrivateProperties', 'classPrivateMethods'],
    },
    false,
  );
}

if (process.argv[1] === import.meta.filename) {
  if (!existsSync(join(out, 'main', 'index.js'))) {
    process.stderr.write(`electronegativity: ${join(out, 'main', 'index.js')} is missing; run \`npx electron-vite build\` first.\n`);
    process.exit(2);
  }
  const report = await scan();
  const problems = [];
  let allowedCount = 0;
  for (const issue of report.issues) {
    const allowed = ALLOWED.find((a) => a.id === issue.id && a.file === issue.file && a.sample.test(issue.sample ?? ''));
    const where = `${issue.id} ${issue.file}:${issue.location?.line ?? 0} (${issue.severity?.name}, ${issue.confidence?.name})`;
    process.stdout.write(`  ${allowed ? 'allowed' : 'FINDING'} ${where}: ${allowed ? allowed.why : issue.description}\n`);
    if (allowed) allowedCount++;
    else problems.push(`${where}: ${issue.description} — ${String(issue.sample ?? '').slice(0, 160)}`);
  }
  for (const error of report.errors) {
    // A file the scanner cannot parse is unscanned: acceptable only where it cannot touch Electron at all.
    const text = readFileSync(error.file, 'utf8');
    const touchesElectron = /electron/i.test(text);
    process.stdout.write(`  ${touchesElectron ? 'UNSCANNED' : 'unscanned'} ${basename(error.file)}: ${error.message}${touchesElectron ? '' : ' (never mentions electron)'}\n`);
    if (touchesElectron) problems.push(`${error.file} could not be scanned (${error.message}) and mentions electron.`);
  }
  for (const p of problems) process.stderr.write(`electronegativity: ${p}\n`);
  process.stdout.write(
    `electronegativity: ${report.globalChecks + report.atomicChecks} checks, ${report.issues.length} findings (${allowedCount} allowed), ${report.errors.length} unscanned files, ${problems.length} problems\n`,
  );
  process.exit(problems.length ? 1 : 0);
}
