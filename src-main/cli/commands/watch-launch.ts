/*
 * `procscope watch --launch -- CMD ARGS…` (ProcDump -x) on Linux: starts CMD so that the watch holds it before its
 * first instruction. The tracer (this CLI) must not be the launched process's parent — libuv's SIGCHLD handler
 * would take its ptrace-stops (the engine refuses its own child) — so a launcher shell in between is the parent:
 * `sh` (our child) runs a second `sh` (the target), which writes its pid on fd 4 and blocks reading fd 3. The CLI
 * arms the watch on that pid and only then writes `go`, on which the target closes both pipes and execs CMD (seen
 * by the tracer as PTRACE_EVENT_EXEC, before CMD runs). If the watch cannot arm, or the CLI dies first, the pipe
 * closes without `go` and CMD is never run (exit 125). stdin, stdout and stderr are the CLI's own.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { CliUsageError } from '../cli-command';

/** The exit code of the launcher when CMD was never run (the watch did not arm): 125, as env(1) and nohup use. */
export const NOT_LAUNCHED_EXIT = 125;

/** How the launched program ended, as its parent shell reports it (a signal N reads as 128 + N). */
export interface LaunchedExit {
  exitCode: number | null;
  signal: string | null;
}

export interface LaunchedProcess {
  /** The process that becomes CMD once `go()` is called; until then it waits, not yet CMD. */
  readonly pid: number;
  /** Whether `go()` was called: CMD runs (or ran). */
  readonly started: boolean;
  /** Lets it exec CMD: call once the watch holds it. */
  go(): void;
  /** CMD is never run: the process exits NOT_LAUNCHED_EXIT. */
  cancel(): void;
  /** Resolves when the launcher shell has ended, with CMD's exit as it saw it. Never rejects. */
  readonly exited: Promise<LaunchedExit>;
  /**
   * True when the process is CMD's own, created suspended (Windows): the engine sees CMD itself from its start,
   * under its own name, and is told it has run no instruction. Absent: a launcher shell that becomes CMD at `go()`.
   */
  readonly createdSuspended?: boolean;
  /** Stops following a program left running (after a stop), so nothing of it keeps this CLI alive. */
  release?(): void;
}

export interface Launcher {
  /** Throws a CliUsageError sentence when CMD could not run (no such program): checked before anything starts. */
  check(argv: readonly string[]): void;
  /** Starts the launcher; resolves once the target waits for `go` with its pid. CMD has not run yet. */
  start(argv: readonly string[]): Promise<LaunchedProcess>;
}

// The target: report its pid, close that pipe (CMD must not inherit it), wait for exactly "go", close the other one
// and become CMD. `exit $?` after it keeps the outer shell from exec'ing the inner one in its place (dash runs the
// last command of -c without a fork), which would make the target this CLI's own child. The outer shell traps the
// terminal's signals (a trap, not an ignore, so the target gets them at their defaults) so that a Ctrl+C, which
// reaches the program too, does not end the launcher before it can report the program's exit code.
const TARGET_SCRIPT = `echo $$ >&4; exec 4>&-; IFS= read -r go <&3 && [ "$go" = go ] || exit ${NOT_LAUNCHED_EXIT}; exec 3<&-; exec "$@"`;
const LAUNCHER_SCRIPT = `trap : INT QUIT TERM HUP; /bin/sh -c '${TARGET_SCRIPT}' procscope-launch "$@"; exit $?`;

/** The launched program's file, as execvp would find it, or a sentence saying why it would not run. */
export function resolveLaunchCommand(command: string, env: NodeJS.ProcessEnv = process.env): string {
  const runnable = (path: string): boolean => {
    try {
      if (!statSync(path).isFile()) return false;
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (command.includes('/')) {
    if (!runnable(command)) throw new CliUsageError(`--launch: '${command.slice(0, 200)}' is not an executable file.`);
    return command;
  }
  for (const dir of (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    const candidate = join(dir === '' ? '.' : dir, command);
    if (runnable(candidate)) return candidate;
  }
  throw new CliUsageError(`--launch: no program named '${command.slice(0, 200)}' on the PATH.`);
}

function readLine(stream: Readable, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (d: Buffer): void => {
      text += d.toString('latin1');
      const nl = text.indexOf('\n');
      if (nl >= 0) {
        cleanup();
        resolve(text.slice(0, nl));
      }
    };
    const onEnd = (): void => {
      cleanup();
      reject(new Error(`the launcher ended before it reported ${what}`));
    };
    const cleanup = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onEnd);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onEnd);
  });
}

async function startLinux(argv: readonly string[]): Promise<LaunchedProcess> {
  checkLinux(argv);
  const shell = spawn('/bin/sh', ['-c', LAUNCHER_SCRIPT, 'procscope-launcher', ...argv], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe', 'pipe'],
  });
  const exited = new Promise<LaunchedExit>((resolve) => {
    shell.on('error', () => resolve({ exitCode: null, signal: null }));
    shell.on('exit', (code, signal) => resolve({ exitCode: code, signal }));
  });
  const goPipe = shell.stdio[3] as Writable;
  const pidPipe = shell.stdio[4] as Readable;
  // A target that went away (CMD ended, or never ran) closes its end: a late write must not crash the CLI.
  goPipe.on('error', () => undefined);
  let line: string;
  try {
    line = await Promise.race([readLine(pidPipe, 'its pid'), exited.then(() => Promise.reject(new Error('the launcher ended first')))]);
  } catch (err) {
    goPipe.destroy();
    throw new Error(`Procscope could not start the launcher for '${argv[0]!.slice(0, 200)}': ${(err as Error).message}.`, { cause: err });
  } finally {
    pidPipe.destroy();
  }
  const pid = /^\d{1,10}$/.test(line.trim()) ? Number(line.trim()) : NaN;
  if (!(pid > 0)) {
    goPipe.destroy();
    throw new Error(`The launcher reported '${line.slice(0, 40)}' instead of a process id.`);
  }
  let decided = false;
  let started = false;
  return {
    pid,
    get started() {
      return started;
    },
    go: () => {
      if (decided) return;
      decided = started = true;
      goPipe.end('go\n');
    },
    cancel: () => {
      if (decided) return;
      decided = true;
      goPipe.end();
    },
    exited,
  };
}

function checkLinux(argv: readonly string[]): void {
  if (argv.length === 0) throw new CliUsageError('--launch needs the command to launch (--launch -- CMD ARGS…).');
  resolveLaunchCommand(argv[0]!);
}

/** The Linux launcher: two shells, the inner one held on a pipe until the watch is armed. */
export const launchHeldLinux: Launcher = { check: checkLinux, start: startLinux };
