/*
 * The `procscope` command: dispatches to one sub-command per file in commands/. Runs under plain Node (npx
 * procscope, the browser host, the Wine test runs) and never imports electron. Bad input gets one clear line on
 * stderr and exit code 2, never a stack trace.
 */
import { CliUsageError, type CliCommand, type CliIo } from './cli-command';
import { dumpCommand } from './commands/dump';
import { helperCommand } from './commands/helper';
import { listCommand } from './commands/list';
import { serveCommand } from './commands/serve';

const COMMANDS: readonly CliCommand[] = [listCommand, serveCommand, dumpCommand, helperCommand];

function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: procscope <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `procscope <command> --help` for the options of one command.',
  ].join('\n');
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(helpText() + '\n');
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr(`procscope: unknown command '${name}'.\n${helpText()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof CliUsageError) {
      io.stderr(`procscope ${command.name}: ${err.message}\n${command.usage}\n`);
      return 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.stderr(`procscope ${command.name}: ${message}\n`);
    return 1;
  }
}
