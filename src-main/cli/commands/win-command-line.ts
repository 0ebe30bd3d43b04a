/*
 * How `procscope watch --launch` builds a Windows program's command line and finds its file, without Windows: the
 * launcher (watch-launch-win32.ts) passes the file as CreateProcessW's lpApplicationName and this line as
 * lpCommandLine. Windows hands a program one string, and the program's C runtime splits it back into argv by the
 * MSVCRT rules (the ones CommandLineToArgvW follows), so each argument is quoted by exactly those rules here: an
 * argument with spaces, tabs or quotes must arrive whole. Pure, so the quoting is tested on any OS.
 */
import { win32 } from 'node:path';
import { statSync } from 'node:fs';
import { CliUsageError } from '../cli-command';

/** CreateProcessW's limit on lpCommandLine, terminating NUL included (processthreadsapi.h). */
export const MAX_COMMAND_LINE_CHARS = 32_767;

/**
 * One argument (not the program name) quoted for the MSVCRT parser: left as is unless empty or holding a space,
 * tab, newline, vertical tab or quote; otherwise wrapped in quotes, where a run of backslashes is doubled before a
 * quote (and that quote escaped) and at the end (before the closing quote), and left alone elsewhere.
 */
export function quoteWindowsArgument(arg: string): string {
  if (arg !== '' && !/[ \t\n\v"]/.test(arg)) return arg;
  let out = '"';
  let backslashes = 0;
  for (const ch of arg) {
    if (ch === '\\') {
      backslashes++;
      continue;
    }
    if (ch === '"') out += '\\'.repeat(backslashes * 2 + 1) + '"';
    else out += '\\'.repeat(backslashes) + ch;
    backslashes = 0;
  }
  return `${out}${'\\'.repeat(backslashes * 2)}"`;
}

/**
 * The whole command line. The program name is parsed by other rules (up to the next quote, no escapes), so it is
 * only wrapped in quotes when it holds a space or tab, and a quote in it is refused (no Windows file name has one).
 */
export function buildWindowsCommandLine(argv: readonly string[]): string {
  if (argv.length === 0 || argv[0] === '') throw new CliUsageError('--launch needs the command to launch (--launch -- CMD ARGS…).');
  const program = argv[0]!;
  if (program.includes('"')) throw new CliUsageError(`--launch: a program name cannot contain a quote (got '${program.slice(0, 200)}').`);
  const head = /[ \t]/.test(program) ? `"${program}"` : program;
  const line = [head, ...argv.slice(1).map(quoteWindowsArgument)].join(' ');
  if (line.length >= MAX_COMMAND_LINE_CHARS) {
    throw new CliUsageError(`--launch: the command line is ${line.length} characters once quoted; Windows takes at most ${MAX_COMMAND_LINE_CHARS - 1}.`);
  }
  return line;
}

/** An environment variable by name, in any case, as Windows looks them up. */
function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const key = Object.keys(env).find((k) => k.toUpperCase() === name);
  return key === undefined ? undefined : env[key];
}

export interface ResolveOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  isFile: (path: string) => boolean;
}

const defaultResolveOptions = (): ResolveOptions => ({
  env: process.env,
  cwd: process.cwd(),
  isFile: (p) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  },
});

/**
 * The file CreateProcessW is to run, or a sentence saying why not. A name with a folder in it (`.\app.exe`,
 * `C:\tools\app`) is taken from there (relative to the current folder); a bare name is searched in System32, the
 * Windows folder and the PATH, with `.exe` added when it has no extension — but not in the current folder, so
 * that a file planted there cannot stand in for a system program (write `.\name.exe` to mean it). Batch files are
 * refused: CreateProcessW would run them through cmd.exe, which splits the line by its own rules, not these.
 */
export function resolveWindowsLaunchCommand(command: string, options: ResolveOptions = defaultResolveOptions()): string {
  const shown = command.slice(0, 200);
  if (command === '' || command.includes('"')) throw new CliUsageError(`--launch: '${shown}' is not a program name.`);
  const withExe = (name: string): string[] => (win32.extname(name) === '' ? [`${name}.exe`, name] : [name]);
  const refuseBatch = (path: string): string => {
    if (/\.(bat|cmd)$/i.test(path)) {
      throw new CliUsageError(`--launch: '${shown}' is a batch file; launch it as \`cmd /c ${win32.basename(path)} …\` so cmd.exe is the process watched.`);
    }
    return path;
  };
  if (/[\\/]/.test(command) || /^[a-z]:/i.test(command)) {
    const base = win32.resolve(options.cwd, command);
    const found = withExe(base).find((p) => options.isFile(p));
    if (!found) throw new CliUsageError(`--launch: '${shown}' is not a program file.`);
    return refuseBatch(found);
  }
  const root = envValue(options.env, 'SYSTEMROOT') ?? 'C:\\Windows';
  const dirs = [win32.join(root, 'System32'), root];
  for (const dir of (envValue(options.env, 'PATH') ?? '').split(';')) {
    const d = dir.trim().replace(/^"(.*)"$/, '$1');
    if (d !== '' && win32.isAbsolute(d)) dirs.push(d);
  }
  for (const dir of dirs) {
    const found = withExe(win32.join(dir, command)).find((p) => options.isFile(p));
    if (found) return refuseBatch(found);
  }
  throw new CliUsageError(`--launch: no program named '${shown}' in System32, the Windows folder or the PATH (for one in this folder, write .\\${shown}).`);
}
