/*
 * Windows side of the `procscope persist` check under Wine: runs the CLI's own dispatcher (runCli, the code
 * out/main/cli.js runs) for one phase of the check in this process, on the real advapi32 registry (Wine runs every
 * process elevated, so the CLI writes HKLM in-process). Phase `add`: a refused lsass.exe, the real add for
 * hostname.exe, a refused add over a foreign key, and a list; phase `remove`: the removal and a list. It also reads
 * GlobalFlag back with our own RegQueryValueExW. Prints one JSON report for scripts/test-win-persist.mjs; asserts
 * nothing. Wine implements neither Silent Process Exit nor WER LocalDumps: this shows the keys, not the dumps.
 */
import { runCli } from '../../../src-main/cli/main';
import { regQueryValue } from '../../../src-main/platform/win32/ffi/advapi32';

const IFEO = 'SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\hostname.exe';

async function cli(args: string[]): Promise<{ args: string[]; code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { args, code, stdout, stderr };
}

async function main(): Promise<void> {
  const [phase, folder] = process.argv.slice(2) as [string, string];
  const runs = [];
  if (phase === 'add') {
    runs.push(await cli(['persist', 'add', 'lsass.exe', '--on', 'exit', '--out', folder]));
    runs.push(await cli(['persist', 'add', 'hostname.exe', '--on', 'crash,exit', '--full', '--out', folder]));
    runs.push(await cli(['persist', 'add', 'ping.exe', '--on', 'exit', '--out', folder]));
    runs.push(await cli(['persist', 'list', '--json']));
  } else {
    runs.push(await cli(['persist', 'remove', 'hostname.exe']));
    runs.push(await cli(['persist', 'list', '--json']));
  }
  process.stdout.write(JSON.stringify({ runs, globalFlag: regQueryValue(IFEO, 'GlobalFlag') }));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
