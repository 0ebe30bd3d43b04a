/*
 * `procscope helper …`: the elevated dump helper's entry point (the Electron build reaches the same code with
 * --procscope-helper). Started by an Elevator with exactly one job; see dump/helper/helper-main.ts. It is a public
 * entry point running with administrator rights, so every argument is checked there and refused with a sentence.
 */
import type { CliCommand } from '../cli-command';
import { runHelper } from '../../dump/helper/helper-main';
import { createStartTimeReader } from '../../dump/helper/helper-identity';
import { createPlatformDumpWriter } from '../../dump/select-writer';

export const helperCommand: CliCommand = {
  name: 'helper',
  summary: 'Internal: the elevated dump helper (started by Procscope itself)',
  usage:
    'procscope helper --pid=N --start-time-ms=MS --kind=full|mini --out-dir=ABSOLUTE_FOLDER --uid=UID [--name=NAME] ' +
    '--channel=SOCKET_OR_PIPE --secret=HEX\n' +
    'Started by Procscope through pkexec or UAC to write one dump; not meant to be run by hand.',
  async run(args, io) {
    const readStartTimeMs = await createStartTimeReader();
    // Read at start-up, while the process that started us is surely still there.
    const win32 = process.platform === 'win32' ? (await import('../../dump/win32/helper-requester')).readWin32HelperFacts() : undefined;
    return runHelper(args, {
      ...(win32 ? { win32 } : {}),
      createWriter: () => createPlatformDumpWriter(),
      readStartTimeMs,
      platform: process.platform,
      env: process.env,
      stderr: io.stderr,
      ownUid: typeof process.getuid === 'function' ? process.getuid() : null,
    });
  },
};
