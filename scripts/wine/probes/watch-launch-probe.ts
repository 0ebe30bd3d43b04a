/*
 * Windows side of the `procscope watch --launch` check under Wine: runs the CLI's own dispatcher (runCli, as
 * out/main/cli.js does) with `watch [options] --json --launch -- CMD ARGS…` in this process, on the real win32
 * backend, launcher (CreateProcessW suspended) and capture engine. The options and the command come as one JSON
 * argument; the report (exit code, the CLI's stdout lines, its stderr) goes to the file named first, because the
 * launched program shares this process's real stdout, which the judge reads for the program's own output.
 * Asserts nothing: scripts/test-win-watch.mjs judges.
 */
import { writeFileSync } from 'node:fs';
import { runCli } from '../../../src-main/cli/main';

async function main(): Promise<void> {
  const reportFile = process.argv[2]!;
  const args = JSON.parse(process.argv[3]!) as string[];
  const lines: string[] = [];
  let pending = '';
  let stderr = '';
  const t0 = Date.now();
  const code = await runCli(['watch', ...args], {
    stdout: (text) => {
      pending += text;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        lines.push(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    },
    stderr: (text) => void (stderr += text),
  });
  writeFileSync(reportFile, JSON.stringify({ code, lines, stderr, ms: Date.now() - t0 }));
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
