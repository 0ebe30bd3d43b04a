/* The shape of one `procscope` sub-command; each lives in commands/<name>.ts and is listed in main.ts. */

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  /** Resolves to the process exit code. Throw CliUsageError for bad arguments. */
  run(args: string[], io: CliIo): Promise<number>;
}
