/*
 * `procscope dump <pid> [--full | --mini] [--out DIR] [--json]`: writes one dump of a running process with the
 * platform's writer and prints its path (or, with --json, the DumpResult figures). Runs in the CLI process; Ctrl-C
 * cancels cleanly (the writer lets the target go and removes its partial file). Bad arguments (and, as root, an
 * --out folder reached through a link) exit 2, dump failures exit 1 with the writer's sentence.
 */
import { closeSync } from 'node:fs';
import { resolve } from 'node:path';
import { DUMP_SECRETS_WARNING, type DumpKind, type DumpProgress } from '../../../src-shared/model/dump';
import { DumpError, type LinuxOpenedFolder } from '../../dump/dump-writer';
import { createPlatformDumpWriter } from '../../dump/select-writer';
import { createPlatformBackend } from '../../platform/select-backend';
import { CliUsageError, type CliCommand, type CliIo } from '../cli-command';

const USAGE = [
  'Usage: procscope dump <pid> [--full | --mini] [--out DIR] [--json]',
  '',
  '  <pid>       the process to dump (it keeps running)',
  '  --full      all readable memory (default)',
  '  --mini      threads, registers, stacks and module headers only: enough for backtraces',
  '  --out DIR   folder for the file (default: the current folder)',
  '  --json      print path, bytesOnDisk, sha256, durationMs, targetPauseMs, unreadableBytes as JSON',
].join('\n');

export interface DumpArgs {
  pid: number;
  kind: DumpKind;
  outDir: string;
  json: boolean;
}

export function parseDumpArgs(args: readonly string[], cwd: string): DumpArgs {
  let pid: number | null = null;
  let kind: DumpKind | null = null;
  let outDir: string | null = null;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--full' || a === '--mini') {
      const k: DumpKind = a === '--full' ? 'full' : 'mini';
      if (kind && kind !== k) throw new CliUsageError('choose one of --full and --mini.');
      kind = k;
    } else if (a === '--json') {
      json = true;
    } else if (a === '--out' || a.startsWith('--out=')) {
      const v = a === '--out' ? args[++i] : a.slice('--out='.length);
      if (!v) throw new CliUsageError('--out needs a folder.');
      if (outDir !== null) throw new CliUsageError('--out given twice.');
      outDir = resolve(cwd, v);
    } else if (a.startsWith('-')) {
      throw new CliUsageError(`unknown option '${a}'.`);
    } else {
      if (pid !== null) throw new CliUsageError(`one pid only (got '${pid}' and '${a}').`);
      if (!/^\d{1,10}$/.test(a) || Number(a) <= 0 || Number(a) > 2 ** 31 - 1) {
        throw new CliUsageError(`'${a}' is not a process id (a positive whole number).`);
      }
      pid = Number(a);
    }
  }
  if (pid === null) throw new CliUsageError('which process? Give its pid.');
  return { pid, kind: kind ?? 'full', outDir: outDir ?? cwd, json };
}

function progressLine(p: DumpProgress): string {
  const mib = (n: number): string => `${(n / 2 ** 20).toFixed(0)} MiB`;
  const of = p.estimatedTotalBytes ? ` of ${mib(p.estimatedTotalBytes)}` : '';
  return `${p.phase} ${mib(p.bytesWritten)}${of}, ${(p.elapsedMs / 1000).toFixed(1)} s`.padEnd(50);
}

/** Through the platform backend, so the same command runs on Linux and Windows. */
async function startTimeOf(pid: number): Promise<number | null> {
  const backend = await createPlatformBackend();
  try {
    return backend.readStartTimeMs(pid);
  } finally {
    backend.dispose();
  }
}

/**
 * As root (sudo) on Linux, the --out folder is opened once by a walk that follows no link and the file is created
 * relative to it: a link someone planted on the way cannot send root's file elsewhere. The file stays root's (0600),
 * as before: SUDO_UID is not used, since `sudo procscope dump --out /var/crash` must keep working, and a dump of
 * someone's memory is better left to the admin to hand over than given away by default.
 */
async function openFolderAsRoot(outDir: string): Promise<LinuxOpenedFolder | null> {
  if (process.platform !== 'linux' || process.geteuid?.() !== 0) return null;
  const { openFolderByWalkSync } = await import('../../dump/linux/opened-folder');
  return openFolderByWalkSync(outDir, { kind: 'root-cli' });
}

async function runDump(args: string[], io: CliIo): Promise<number> {
  const parsed = parseDumpArgs(args, process.cwd());
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  let folder: LinuxOpenedFolder | null = null;
  try {
    folder = await openFolderAsRoot(parsed.outDir);
    // The writer first: creating it starts work (the Linux hash thread) that overlaps reading the start time.
    const writer = await createPlatformDumpWriter();
    const startTimeMs = await startTimeOf(parsed.pid);
    if (startTimeMs === null) {
      throw new DumpError('process-gone', `There is no process ${parsed.pid}. Check the pid with \`procscope list\`.`);
    }
    // A progress line only for a person at a terminal; scripts (--json, pipes) get the result alone.
    const showProgress = !parsed.json && process.stderr.isTTY === true;
    const result = await writer.write(
      { pid: parsed.pid, startTimeMs, kind: parsed.kind, outDir: parsed.outDir },
      {
        signal: abort.signal,
        onProgress: showProgress ? (p) => io.stderr(`\r${progressLine(p)}`) : undefined,
        ...(folder ? { folder } : {}),
      },
    );
    if (showProgress) io.stderr('\n');
    if (parsed.json) {
      const { path, kind, pid, bytesOnDisk, fileBytes, sha256, durationMs, targetPauseMs, unreadableBytes } = result;
      io.stdout(`${JSON.stringify({ path, kind, pid, bytesOnDisk, fileBytes, sha256, durationMs, targetPauseMs, unreadableBytes })}\n`);
    } else {
      io.stdout(`${result.path}\n`);
      io.stderr(`${DUMP_SECRETS_WARNING}\n`);
    }
    return 0;
  } catch (err) {
    if (!(err instanceof DumpError)) throw err;
    if (parsed.json) io.stdout(`${JSON.stringify({ error: { code: err.code, message: err.message } })}\n`);
    io.stderr(`procscope dump: ${err.message}\n`);
    return err.code === 'bad-request' ? 2 : 1;
  } finally {
    if (folder) closeSync(folder.fd);
    process.off('SIGINT', onSigint);
  }
}

export const dumpCommand: CliCommand = {
  name: 'dump',
  summary: 'Write a full or mini dump of a running process',
  usage: USAGE,
  run: runDump,
};
