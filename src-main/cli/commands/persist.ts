/*
 * `procscope persist add|remove|list`: persistent capture on Windows (issue 12). It makes Windows itself write a dump
 * of a named image at a crash (WER LocalDumps) or at its exit, also when another process kills it (Silent Process
 * Exit), with no Procscope running, until `persist remove`. A sub-command of its own rather than `watch --persistent`:
 * it watches nothing, holds nothing and returns at once, and none of watch's options apply to it. Writing HKLM
 * needs an administrator: an elevated console does it in-process, otherwise the elevated helper does (UAC prompt).
 * `list` only reads. Exit codes: 0 done, 1 refused or failed, 2 bad usage (nothing was changed).
 */
import { resolve as resolveWin32 } from 'node:path/win32';
import { DUMP_SECRETS_WARNING } from '../../../src-shared/model/dump';
import type { PersistAction, PersistReport } from '../../capture/persistent/persistent-apply';
import { checkFolderText, checkImageName, type PersistentEntry, type PersistentKind, type PersistentTrigger } from '../../capture/persistent/persistent-plan';
import { DumpError } from '../../dump/dump-writer';
import { CliUsageError, type CliCommand, type CliIo } from '../cli-command';

const USAGE = [
  'Usage: procscope persist add IMAGE.exe --on crash|exit [--on …] [--full | --mini] --out DIR',
  '       procscope persist remove IMAGE.exe',
  '       procscope persist list [--json]',
  '',
  'Windows only, administrator only (a UAC prompt when not elevated). Makes Windows itself dump IMAGE.exe, with no',
  'Procscope running, until removed:',
  '  --on crash   Windows Error Reporting LocalDumps: a dump when the process crashes (not .NET apps, nor when an',
  '               AeDebug debugger is set to start automatically)',
  '  --on exit    Silent Process Exit: a dump when the process calls ExitProcess or another process terminates it',
  '               (that process is dumped too); not when its last thread simply ends',
  '  --mini       threads, stacks and module headers (default)',
  '  --full       all memory',
  '  --out DIR    an existing folder of yours (absolute, not a link); Windows writes the files there itself, with',
  '               the folder\'s own permissions, so choose one only you can read. At most 10 dumps are kept.',
  '  --json       (list) one JSON object',
  '',
  'Security products may flag these registry keys as a credential-theft technique. lsass.exe and critical system',
  'processes are refused. Only keys Procscope wrote are ever changed or removed.',
].join('\n');

export const EDR_WARNING =
  'Warning: security products (EDR, Sigma rules on MITRE ATT&CK T1546.012) may flag Silent Process Exit and WER LocalDumps keys as a ' +
  'credential-theft technique. Tell your security team before you use this on a managed machine.';

export interface PersistDeps {
  platform: NodeJS.Platform;
  cwd: () => string;
  /** Whether this process may write HKLM itself (an elevated token). */
  isElevated: () => Promise<boolean>;
  /** The action in this process (elevated, or `list`). */
  runLocally: (action: PersistAction) => Promise<PersistReport>;
  /** The action in the elevated helper, through UAC. */
  runThroughHelper: (action: PersistAction) => Promise<PersistReport>;
}

export function parsePersistArgs(args: readonly string[], cwd: string): { action: PersistAction; json: boolean } {
  const [verb, ...rest] = args;
  if (verb !== 'add' && verb !== 'remove' && verb !== 'list') throw new CliUsageError(`say add, remove or list${verb ? `, not '${verb.slice(0, 40)}'` : ''}.`);
  let image: string | null = null;
  const triggers: PersistentTrigger[] = [];
  let kind: PersistentKind | null = null;
  let folder: string | null = null;
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const valueOf = (flag: string): string => {
      const v = a === flag ? rest[++i] : a.slice(flag.length + 1);
      if (!v) throw new CliUsageError(`${flag} needs a value.`);
      return v;
    };
    if (a === '--on' || a.startsWith('--on=')) {
      for (const t of valueOf('--on').split(',')) {
        if (t !== 'crash' && t !== 'exit') throw new CliUsageError(`--on takes crash or exit, not '${t.slice(0, 20)}'.`);
        if (!triggers.includes(t)) triggers.push(t);
      }
    } else if (a === '--full' || a === '--mini') {
      const k: PersistentKind = a === '--full' ? 'full' : 'mini';
      if (kind && kind !== k) throw new CliUsageError('choose one of --full and --mini.');
      kind = k;
    } else if (a === '--out' || a.startsWith('--out=')) {
      if (folder !== null) throw new CliUsageError('--out given twice.');
      folder = resolveWin32(cwd, valueOf('--out'));
    } else if (a === '--json' && verb === 'list') {
      json = true;
    } else if (a.startsWith('-')) {
      throw new CliUsageError(`unknown option '${a.slice(0, 40)}' for persist ${verb}.`);
    } else {
      if (image !== null || verb === 'list') throw new CliUsageError(`unexpected '${a.slice(0, 80)}'.`);
      image = a;
    }
  }
  if (verb === 'list') return { action: { action: 'list' }, json };
  if (image === null) throw new CliUsageError('name the image, as NAME.exe.');
  const imageError = checkImageName(image);
  if (imageError && (verb === 'add' || !imageError.startsWith('Refused:'))) throw new CliUsageError(imageError);
  if (verb === 'remove') {
    if (triggers.length || kind || folder) throw new CliUsageError('remove takes only the image: it removes everything Procscope set up for it.');
    return { action: { action: 'remove', image }, json };
  }
  if (triggers.length === 0) throw new CliUsageError('say when Windows should dump it: --on crash, --on exit, or both.');
  if (folder === null) throw new CliUsageError('--out DIR is required: the folder Windows writes the dumps into.');
  const folderError = checkFolderText(folder);
  if (folderError) throw new CliUsageError(folderError);
  return { action: { action: 'add', request: { image, triggers, kind: kind ?? 'mini', folder } }, json };
}

function entryLine(e: PersistentEntry): string {
  const what = e.trigger === 'crash' ? 'when it crashes (WER LocalDumps)' : 'when it exits or is terminated (Silent Process Exit)';
  return `${e.image}: a ${e.kind} dump ${what}, into ${e.folder ?? '(no folder set)'}`;
}

function printReport(report: PersistReport, io: CliIo, image: string | null): void {
  if (report.action === 'add') {
    io.stdout(`Set up in the registry; Windows itself writes these dumps, with no Procscope running:\n`);
    for (const e of report.entries) io.stdout(`  ${entryLine(e)}\n`);
  } else if (report.action === 'remove') {
    io.stdout(report.changedKeys.length ? `Removed Procscope's persistent capture for ${image}.\n` : '');
  }
  if (report.changedKeys.length) io.stdout(`Keys ${report.action === 'remove' ? 'changed or deleted' : 'written'}:\n${report.changedKeys.map((k) => `  ${k}\n`).join('')}`);
  for (const n of report.notes) io.stderr(`procscope persist: ${n}\n`);
}

export async function runPersist(args: string[], io: CliIo, deps: PersistDeps): Promise<number> {
  const { action, json } = parsePersistArgs(args, deps.cwd());
  if (deps.platform !== 'win32') {
    io.stderr(
      'procscope persist: persistent capture is Windows only. On Linux the system already keeps crash dumps its own way ' +
        '(systemd-coredump, `coredumpctl`, or kernel.core_pattern), and ProcDump for Linux has no equivalent of Silent Process Exit; ' +
        'for exit dumps use `procscope watch --on exit`.\n',
    );
    return 2;
  }
  const image = action.action === 'list' ? null : action.action === 'add' ? action.request.image.toLowerCase() : action.image.toLowerCase();
  if (action.action === 'add') io.stderr(`${EDR_WARNING}\n`);
  let report: PersistReport;
  try {
    const local = action.action === 'list' || (await deps.isElevated());
    if (!local) io.stderr('procscope persist: this needs administrator rights; Windows will ask (UAC).\n');
    report = local ? await deps.runLocally(action) : await deps.runThroughHelper(action);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    io.stderr(`procscope persist: ${message}\n`);
    return 1;
  }
  if (action.action === 'list') {
    if (json) io.stdout(`${JSON.stringify({ entries: report.entries })}\n`);
    else if (report.entries.length === 0) io.stdout('Procscope has no persistent capture set up.\n');
    else for (const e of report.entries) io.stdout(`${entryLine(e)}\n`);
    return 0;
  }
  printReport(report, io, image);
  if (action.action === 'add') {
    io.stderr(`${DUMP_SECRETS_WARNING}\n`);
    io.stderr(`Windows writes these files with the permissions of ${action.request.folder}, not Procscope's owner-only ones. Remove with: procscope persist remove ${image}\n`);
  }
  return 0;
}

const defaultDeps: PersistDeps = {
  platform: process.platform,
  cwd: () => process.cwd(),
  isElevated: async () => (await import('../../capture/persistent/persistent-local')).isProcessElevated(),
  runLocally: async (action) => (await import('../../capture/persistent/persistent-local')).runPersistLocally(action),
  runThroughHelper: async (action) => {
    const [{ runPersistThroughHelper }, { createPlatformElevator }, { defaultHelperCommand }] = await Promise.all([
      import('../../capture/persistent/persistent-helper-client'),
      import('../../dump/select-elevator'),
      import('../../dump/helper/helper-dump-writer'),
    ]);
    const elevator = await createPlatformElevator();
    if (!elevator) throw new DumpError('unsupported', 'No way to ask for administrator rights on this platform.');
    const command = defaultHelperCommand({ execPath: process.execPath, isElectron: false, cliScriptPath: process.argv[1] ?? '' });
    return runPersistThroughHelper(action, { elevator, command });
  },
};

export function createPersistCommand(deps: PersistDeps = defaultDeps): CliCommand {
  return {
    name: 'persist',
    summary: 'Windows: make Windows itself dump a named program at a crash or exit (admin; opt-in; remove again)',
    usage: USAGE,
    run: (args, io) => runPersist(args, io, deps),
  };
}

export const persistCommand = createPersistCommand();
