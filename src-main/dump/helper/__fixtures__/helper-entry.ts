/*
 * Test fixture: the production helper entry (../helper-entry.ts, what `procscope helper` and --procscope-helper
 * run) as a process of its own, bundled by bundle-fixture.ts so that it runs under plain Node (and as another
 * user) without the whole CLI build.
 */
import { runHelperEntry } from '../helper-entry';

runHelperEntry(process.argv.slice(2), (t) => process.stderr.write(t)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`helper fixture: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
