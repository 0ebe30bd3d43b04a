// The Windows command line of `procscope watch --launch`: every argv survives the MSVCRT split (an independent
// parser below, written from Microsoft's "Parsing C command-line arguments" rules), including spaces, quotes,
// backslash runs before quotes and at the end, empty arguments and cmd's `/c "a & b"`; and the program's file is
// found as documented (no current-folder search, batch files refused).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CliUsageError } from '../cli-command';
import { buildWindowsCommandLine, quoteWindowsArgument, resolveWindowsLaunchCommand } from './win-command-line';

/** The MSVCRT (2008+) split: argv[0] up to the next quote or blank, then the backslash/quote rules. */
function msvcrtSplit(line: string): string[] {
  const argv: string[] = [];
  let i = 0;
  let program = '';
  if (line[0] === '"') {
    i = 1;
    while (i < line.length && line[i] !== '"') program += line[i++];
    i++;
  } else {
    while (i < line.length && line[i] !== ' ' && line[i] !== '\t') program += line[i++];
  }
  argv.push(program);
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) break;
    let arg = '';
    let quoted = false;
    while (i < line.length && (quoted || (line[i] !== ' ' && line[i] !== '\t'))) {
      let n = 0;
      while (line[i] === '\\') {
        n++;
        i++;
      }
      if (line[i] === '"') {
        arg += '\\'.repeat(Math.floor(n / 2));
        if (n % 2 === 1) {
          arg += '"';
          i++;
        } else if (quoted && line[i + 1] === '"') {
          arg += '"';
          i += 2;
        } else {
          quoted = !quoted;
          i++;
        }
      } else {
        arg += '\\'.repeat(n);
        if (i < line.length && (quoted || (line[i] !== ' ' && line[i] !== '\t'))) arg += line[i++];
      }
    }
    argv.push(arg);
  }
  return argv;
}

describe('Windows command line for --launch', () => {
  it('quotes only what needs it, by the MSVCRT rules', () => {
    expect(quoteWindowsArgument('plain')).toBe('plain');
    expect(quoteWindowsArgument('')).toBe('""');
    expect(quoteWindowsArgument('a b')).toBe('"a b"');
    expect(quoteWindowsArgument('say "hi"')).toBe('"say \\"hi\\""');
    expect(quoteWindowsArgument('C:\\dir with space\\')).toBe('"C:\\dir with space\\\\"');
    expect(quoteWindowsArgument('a\\\\"b')).toBe('"a\\\\\\\\\\"b"');
    expect(quoteWindowsArgument('C:\\no\\space\\')).toBe('C:\\no\\space\\');
    expect(buildWindowsCommandLine(['cmd', '/c', 'hostname & exit 3'])).toBe('cmd /c "hostname & exit 3"');
    expect(buildWindowsCommandLine(['C:\\Program Files\\app.exe', 'x'])).toBe('"C:\\Program Files\\app.exe" x');
  });

  it('every argv comes back whole from the MSVCRT split (1000 random argvs of blanks, quotes and backslashes)', () => {
    const ch = fc.constantFrom('a', 'Z', ' ', '\t', '"', '\\', '&', '^', 'é', '\u4e2d', '%');
    const arg = fc.array(ch, { maxLength: 12 }).map((a) => a.join(''));
    const program = fc.array(fc.constantFrom('a', ' ', '\\', ':', '.'), { minLength: 1, maxLength: 10 }).map((a) => a.join(''))
      .filter((p) => p.trim() === p && p !== '');
    fc.assert(
      fc.property(program, fc.array(arg, { maxLength: 6 }), (prog, args) => {
        expect(msvcrtSplit(buildWindowsCommandLine([prog, ...args]))).toEqual([prog, ...args]);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses what Windows cannot carry, with a sentence', () => {
    expect(() => buildWindowsCommandLine([])).toThrow(CliUsageError);
    expect(() => buildWindowsCommandLine(['a"b.exe'])).toThrow(/cannot contain a quote/);
    expect(() => buildWindowsCommandLine(['app', 'x'.repeat(40_000)])).toThrow(/at most 32766/);
  });
});

describe('finding the program to launch on Windows', () => {
  const files = new Set(['C:\\Windows\\System32\\cmd.exe', 'C:\\Windows\\System32\\hostname.exe', 'D:\\work\\hostname.exe',
    'D:\\tools\\deploy.bat', 'D:\\tools\\app.exe', 'D:\\work\\local.exe']);
  const options = { env: { SystemRoot: 'C:\\Windows', Path: 'D:\\tools;"D:\\quoted";relative' }, cwd: 'D:\\work', isFile: (p: string) => files.has(p) };

  it('searches System32, the Windows folder and the PATH, adding .exe, never the current folder first', () => {
    expect(resolveWindowsLaunchCommand('cmd', options)).toBe('C:\\Windows\\System32\\cmd.exe');
    // D:\work\hostname.exe is in the current folder: a bare name still means the system's.
    expect(resolveWindowsLaunchCommand('hostname', options)).toBe('C:\\Windows\\System32\\hostname.exe');
    expect(resolveWindowsLaunchCommand('app', options)).toBe('D:\\tools\\app.exe');
    expect(() => resolveWindowsLaunchCommand('local', options)).toThrow(/no program named 'local'.*\.\\local/);
    expect(resolveWindowsLaunchCommand('.\\local', options)).toBe('D:\\work\\local.exe');
    expect(resolveWindowsLaunchCommand('D:/tools/app.exe', options)).toBe('D:\\tools\\app.exe');
  });

  it('refuses batch files, quotes and missing files by name', () => {
    expect(() => resolveWindowsLaunchCommand('deploy.bat', options)).toThrow(/batch file; launch it as `cmd \/c deploy\.bat/);
    expect(() => resolveWindowsLaunchCommand('D:\\tools\\deploy.bat', options)).toThrow(/batch file/);
    expect(() => resolveWindowsLaunchCommand('a"b', options)).toThrow(/not a program name/);
    expect(() => resolveWindowsLaunchCommand('D:\\nothing\\x.exe', options)).toThrow(/is not a program file/);
  });
});
