/*
 * `procscope helper …`: the elevated dump helper started through the built CLI (pkexec and runas run
 * `node cli.js helper …`). Only the name and the usage live here; the entry itself is dump/helper/helper-entry.ts,
 * which the Electron build reaches with --procscope-helper. It runs with administrator rights, so every argument
 * is checked there and refused with a sentence.
 */
import type { CliCommand } from '../cli-command';
import { runHelperEntry } from '../../dump/helper/helper-entry';

export const helperCommand: CliCommand = {
  name: 'helper',
  summary: 'Internal: the elevated dump helper (started by Procscope itself)',
  usage:
    'procscope helper --pid=N --start-time-ms=MS --kind=full|mini --out-dir=ABSOLUTE_FOLDER --uid=UID [--name=NAME] ' +
    '--channel=SOCKET_OR_PIPE --secret=HEX\n' +
    'Started by Procscope through pkexec or UAC to write one dump; not meant to be run by hand.',
  run: (args, io) => runHelperEntry(args, io.stderr),
};
