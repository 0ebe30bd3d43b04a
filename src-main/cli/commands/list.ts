import type { CliCommand } from '../cli-command';
export const listCommand: CliCommand = { name: 'list', summary: 'Print the process list', usage: 'procscope list', run: async () => 0 };
