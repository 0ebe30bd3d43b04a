/*
 * The `procscope` command: dispatches to one sub-command per file in commands/. Runs under plain Node (npx
 * procscope, the browser host, the Wine test runs) and never imports electron. Bad input gets one clear line on
 * stderr and exit code 2, never a stack trace.
 */
import { CliUsageError, type CliCommand, type CliIo } from './cli-command';

/**
 * Each command's module is loaded only when that command runs: serve alone pulls in ws, zod and the request
 * handlers (0.2-0.5 s of start-up on a loaded machine), which `dump` and `list` never use.
 */
const COMMANDS: readonly { name: string; load: () => Promise<CliCommand> }[] = [
  { name: 'list', load: async () => (await import('./commands/list')).listCommand },
  { name: 'serve', load: async () => (await import('./commands/serve')).serveCommand },
  { name: 'dump', load: async () => (await import('./commands/dump')).dumpCommand },
  { name: 'watch', load: async () => (await import('./commands/watch')).watchCommand },
  { name: 'persist', load: async () => (await import('./commands/persist')).persistCommand },
  { name: 'analyze', load: async () => (await import('./commands/analyze')).analyzeCommand },
  { name: 'pack', load: async () => (await import('./commands/pack')).packCommand },
  { name: 'helper', load: async () => (await import('./commands/helper')).helperCommand },
];

async function helpText(): Promise<string> {
  const commands = await Promise.all(COMMANDS.map((c) => c.load()));
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: procscope <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `procscope <command> --help` for the options of one command.',
  ].join('\n');
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout((await helpText()) + '\n');
    return name === undefined ? 2 : 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.stderr(`procscope: unknown command '${name}'.\n${await helpText()}\n`);
    return 2;
  }
  const command = await entry.load();
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
