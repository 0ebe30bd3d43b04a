/*
 * `procscope dump <pid> [--full | --mini] [--snapshot] [--out DIR] [--json] [--no-pack] [--no-hash] [--compress]`: writes one dump of a running
 * process with the platform's writer and prints its path as soon as the file is complete, then its SHA-256 on stderr
 * (or, with --json, the DumpResult figures once the hash is done). Runs in the CLI process; Ctrl-C
 * cancels cleanly (the writer lets the target go and removes its partial file). Bad arguments (and, as root, an
 * --out folder reached through a link) exit 2, dump failures exit 1 with the writer's sentence.
 */
import { closeSync } from 'node:fs';
import { resolve } from 'node:path';
import { DUMP_SECRETS_WARNING, type DumpKind, type DumpProgress, type DumpResult } from '../../../src-shared/model/dump';
import { DumpError, type LinuxOpenedFolder } from '../../dump/dump-writer';
import { createPlatformDumpWriter } from '../../dump/select-writer';
import { createPlatformBackend } from '../../platform/select-backend';
import { CliUsageError, type CliCommand, type CliIo } from '../cli-command';

const USAGE = [
  'Usage: procscope dump <pid> [--full | --mini] [--snapshot] [--out DIR] [--json] [--no-pack] [--no-hash] [--compress]',
  '',
  '  <pid>       the process to dump (it keeps running)',
  '  --full      all readable memory (default)',
  '  --mini      threads, registers, stacks and module headers only: enough for backtraces',
  '  --snapshot, -r  Linux: stop the process only while a copy-on-write clone of it is made, and dump the',
  '              clone (falls back to a live dump, saying why, under seccomp or without memory headroom)',
  '  --out DIR   folder for the file (default: the current folder)',
  '  --json      print path, bytesOnDisk, sha256, durationMs, pauseMs, mode, fileCompleteMs, unreadableBytes',
  '              as JSON, once the hash is done',
  '  --no-pack   no analysis pack (<dump>.pack: the modules\' unwind tables and function names, a few MB',
  '              that let `procscope analyze` unwind and name the dump on a machine without the same files)',
  '  --no-hash   no SHA-256 (JSON sha256: null), for scripts that hash the file later',
  '  --compress  then prepare it for upload, as `procscope pack`: <dump>.zst, its SHA-256 and <dump>.manifest.json',
  '',
  'The path is printed as soon as the file is complete and the process runs again; the SHA-256 follows on stderr.',
].join('\n');

export interface DumpArgs {
  pid: number;
  kind: DumpKind;
  outDir: string;
  json: boolean;
  /** Write the analysis pack beside the core or minidump (default); --no-pack turns it off. */
  pack: boolean;
  /** Compute the SHA-256 after the file is complete (default); --no-hash skips it. */
  hash: boolean;
  /** --snapshot / -r (ProcDump's flag): dump a copy-on-write clone (Linux). */
  snapshot: boolean;
  /** --compress: the upload package (`procscope pack`) after the dump. */
  compress: boolean;
}

export function parseDumpArgs(args: readonly string[], cwd: string): DumpArgs {
  let pid: number | null = null;
  let kind: DumpKind | null = null;
  let outDir: string | null = null;
  let json = false;
  let pack = true;
  let hash = true;
  let snapshot = false;
  let compress = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--full' || a === '--mini') {
      const k: DumpKind = a === '--full' ? 'full' : 'mini';
      if (kind && kind !== k) throw new CliUsageError('choose one of --full and --mini.');
      kind = k;
    } else if (a === '--json') {
      json = true;
    } else if (a === '--no-pack') {
      pack = false;
    } else if (a === '--no-hash') {
      hash = false;
    } else if (a === '--snapshot' || a === '-r') {
      snapshot = true;
    } else if (a === '--compress') {
      compress = true;
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
  return { pid, kind: kind ?? 'full', outDir: outDir ?? cwd, json, pack, hash, snapshot, compress };
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
    // The writer first: creating it starts work (the Linux write-behind and hash threads) that overlaps reading the
    // start time.
    const writer = await createPlatformDumpWriter(process.platform, { hash: parsed.hash });
    const startTimeMs = await startTimeOf(parsed.pid);
    if (startTimeMs === null) {
      throw new DumpError('process-gone', `There is no process ${parsed.pid}. Check the pid with \`procscope list\`.`);
    }
    // A progress line only for a person at a terminal; scripts (--json, pipes) get the result alone.
    const showProgress = !parsed.json && process.stderr.isTTY === true;
    let printedPath = false;
    // The path as soon as the file is complete and the target runs (issue 15); the hash line follows when ready.
    const onFileComplete = (saved: DumpResult): void => {
      if (parsed.json) return;
      if (showProgress) io.stderr('\n');
      io.stdout(`${saved.path}\n`);
      printedPath = true;
      if (saved.hash === 'computing' && showProgress) io.stderr('SHA-256: computing… (Ctrl-C stops the hash only; the dump stays)\n');
    };
    let printedHash = false;
    const printHash = (r: DumpResult): void => {
      if (parsed.json || printedHash) return;
      printedHash = true;
      if (r.sha256 !== null) io.stderr(`SHA-256: ${r.sha256}\n`);
      else if (r.hash === 'failed') io.stderr(`SHA-256: ${r.hashError?.message ?? 'could not be computed; the dump file is saved.'}\n`);
    };
    const result = await writer.write(
      { pid: parsed.pid, startTimeMs, kind: parsed.kind, outDir: parsed.outDir, ...(parsed.snapshot ? { snapshot: true } : {}) },
      {
        signal: abort.signal,
        onProgress: showProgress ? (p) => io.stderr(`\r${progressLine(p)}`) : undefined,
        onFileComplete,
        // The hash line as soon as the hash is done, before the analysis pack that follows it.
        onHashDone: printHash,
        ...(folder ? { folder } : {}),
        analysisPack: parsed.pack,
        hash: parsed.hash,
      },
    );
    if (showProgress && !printedPath) io.stderr('\n');
    const hashFailed = result.hash === 'failed';
    const upload = parsed.compress ? await compressAfterDump(result, startTimeMs, io, parsed.json) : null;
    if (parsed.json) {
      const { path, kind, pid, bytesOnDisk, fileBytes, sha256, durationMs, targetPauseMs, unreadableBytes } = result;
      const figures = {
        path, kind, pid, bytesOnDisk, fileBytes, sha256, durationMs, targetPauseMs, unreadableBytes,
        analysisPackPath: result.analysisPackPath ?? null,
        pauseMs: targetPauseMs,
        mode: result.method,
        ...(result.snapshotFallback ? { snapshotFallback: result.snapshotFallback } : {}),
        fileCompleteMs: result.fileCompleteMs ?? durationMs,
        hashDoneMs: result.hashDoneMs ?? null,
        analysisPackMs: result.analysisPackMs ?? null,
        ...(result.hashError ? { hashError: result.hashError } : {}),
        ...(upload ? { package: upload.json } : {}),
      };
      io.stdout(`${JSON.stringify(figures)}\n`);
    } else {
      if (!printedPath) io.stdout(`${result.path}\n`);
      printHash(result);
      if (result.analysisPackPath) io.stderr(`Analysis pack: ${result.analysisPackPath}\n`);
      if (parsed.snapshot) {
        const why = result.snapshotFallback ? ` (snapshot not possible: ${result.snapshotFallback})` : '';
        io.stderr(`Mode: ${result.method}${why}; the process was paused ${result.targetPauseMs} ms\n`);
      }
      if (upload?.text) io.stdout(upload.text);
      io.stderr(`${DUMP_SECRETS_WARNING}\n`);
    }
    // The dump is saved either way; a hash that was asked for and is missing is still a failure for a script.
    return hashFailed || upload?.failed ? 1 : 0;
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

/**
 * --compress: the upload package of the dump just written, with what the writer knows (pid, start time, kind, mode,
 * pause, the hash to check the file against) and the name from the core's own notes. A failure leaves the dump saved
 * and is reported, not thrown.
 */
async function compressAfterDump(result: DumpResult, startTimeMs: number, io: CliIo, json: boolean): Promise<{ json: unknown; text: string | null; failed: boolean }> {
  const [{ runUploadPackage, packageText }, { readDumpIdentity }, { DEFAULT_ZSTD_LEVEL, UploadPackageError }] = await Promise.all([
    import('./pack'),
    import('../../dump/package/dump-identity'),
    import('../../dump/package/upload-package'),
  ]);
  const fromFile = await readDumpIdentity(result.path, result.format);
  const source = { ...fromFile, pid: result.pid, startTimeMs, kind: result.kind, mode: result.method, pauseMs: result.targetPauseMs, sha256: result.sha256 ?? null };
  try {
    const r = await runUploadPackage(result.path, source, DEFAULT_ZSTD_LEVEL, io, json);
    return { json: { zstPath: r.zstPath, packZstPath: r.packZstPath, manifestPath: r.manifestPath, sha256: r.manifest.compressed.sha256, zstBytes: r.manifest.compressed.bytes, durationMs: r.durationMs }, text: packageText(r), failed: false };
  } catch (err) {
    if (!(err instanceof UploadPackageError)) throw err;
    io.stderr(`procscope dump: the dump is saved, but its upload package was not made: ${err.message}\n`);
    return { json: { error: { code: err.code, message: err.message } }, text: null, failed: true };
  }
}

export const dumpCommand: CliCommand = {
  name: 'dump',
  summary: 'Write a full or mini dump of a running process',
  usage: USAGE,
  run: runDump,
};
