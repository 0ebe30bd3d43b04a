/*
 * Test fixture: the production helper entry (../helper-entry.ts, what `procscope helper` and --procscope-helper
 * run) as a process of its own, bundled by bundle-fixture.ts so that it runs under plain Node (and as another
 * user) without the whole CLI build. With PROCSCOPE_HELPER_FIXTURE_LOG_DIR set (the Wine suite sets it: a helper
 * started through runas has no stderr anyone reads) it also writes a log per helper there — that it started, its
 * refusal lines and its exit code — so that a helper that ends without a word can be told apart from one that
 * never ran. A test fixture only: the product's helper reads no such variable.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { runHelperEntry } from '../helper-entry';

const logDir = process.env['PROCSCOPE_HELPER_FIXTURE_LOG_DIR'];
const log = (text: string): void => {
  if (!logDir) return;
  try {
    appendFileSync(join(logDir, `helper-${process.pid}.log`), `${new Date().toISOString()} ${text}`);
  } catch {
    // The log is a diagnostic; the helper's work does not depend on it.
  }
};
log(`started with ${process.argv.length - 2} arguments\n`);
process.on('exit', (code) => log(`exit ${code}\n`));

runHelperEntry(process.argv.slice(2), (t) => {
  process.stderr.write(t);
  log(t);
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`helper fixture: ${String(err)}\n`);
    log(`helper fixture: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
