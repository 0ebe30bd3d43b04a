/*
 * Test fixture: the production `procscope helper` command as a process of its own, bundled by bundle-fixture.ts
 * so that it runs under plain Node (and as another user) without the whole CLI build.
 */
import { helperCommand } from '../../../cli/commands/helper';

helperCommand
  .run(process.argv.slice(2), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) })
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`helper fixture: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
