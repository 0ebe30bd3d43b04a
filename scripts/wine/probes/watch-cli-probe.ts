/*
 * Windows side of the `procscope watch` check under Wine: starts a node.exe "service" that waits for a go file and
 * then runs three hostname.exe children, and runs the CLI's own dispatcher (runCli, the code out/main/cli.js runs)
 * with `watch <service pid> --children --name 'hostname*' --on <start|exit> --mini --json` in this process, on the real
 * win32 backend and capture engine. The go file is written only when the `armed` line is printed, as a script
 * would. Prints one JSON report (exit code, stdout lines, stderr) for scripts/test-win-watch.mjs; asserts nothing.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../../src-main/cli/main';

const CHILDREN = 3;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const outDir = process.argv[2]!;
  const trigger = process.argv[3] ?? 'start';
  const goFile = join(outDir, 'go.txt');
  const readyFile = join(outDir, 'ready.txt');
  const serviceScript = `
    const fs = require('fs'); const { spawnSync } = require('child_process');
    fs.writeFileSync(${JSON.stringify(readyFile)}, 'ready');
    const t = setInterval(() => {
      if (!fs.existsSync(${JSON.stringify(goFile)})) return;
      clearInterval(t);
      for (let i = 0; i < ${CHILDREN}; i++) spawnSync('hostname.exe', [], { stdio: 'ignore' });
    }, 20);`;
  const service = spawn(process.execPath, ['--jitless', '-e', serviceScript], { stdio: 'ignore' });
  for (let i = 0; i < 300 && !existsSync(readyFile); i++) await sleep(100);
  let pending = '';
  const lines: string[] = [];
  let stderr = '';
  const t0 = Date.now();
  const code = await runCli(
    ['watch', String(service.pid), '--children', '--name', 'hostname*', '--on', trigger, '--mini', '--out', outDir, '--timeout', '150', '--json'],
    {
      stdout: (text) => {
        pending += text;
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          lines.push(line);
          if (line.startsWith('{"event":"armed"')) writeFileSync(goFile, 'go');
        }
      },
      stderr: (text) => void (stderr += text),
    },
  );
  if (service.exitCode === null) service.kill();
  process.stdout.write(JSON.stringify({ code, lines, stderr, servicePid: service.pid, ms: Date.now() - t0 }));
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
