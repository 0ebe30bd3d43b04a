/*
 * `procscope pack FILE [--json] [--level N]` (issue 15, "Prepare for upload"): beside a core or minidump, its
 * zstd-compressed copy `FILE.zst` (and `FILE.pack.zst` when the analysis pack is there) and `FILE.manifest.json`
 * with the sizes and SHA-256 of each and the secrets warning. The dump stays. Bad arguments exit 2; a missing,
 * foreign or linked file, or an output name already taken, exits 1 with one sentence and writes nothing; Ctrl-C
 * cancels and removes the partial files. `dump --compress` runs the same after its dump.
 */
import { resolve } from 'node:path';
import { DUMP_SECRETS_WARNING } from '../../../src-shared/model/dump';
import type { UploadPackageProgress, UploadPackageResult, UploadPackageSource } from '../../../src-shared/model/upload-package';
import { readDumpIdentity } from '../../dump/package/dump-identity';
import { DEFAULT_ZSTD_LEVEL, prepareUploadPackage, UploadPackageError } from '../../dump/package/upload-package';
import { CliUsageError, type CliCommand, type CliIo } from '../cli-command';

const USAGE = [
  'Usage: procscope pack FILE [--json] [--level N]',
  '',
  '  FILE        a Linux core (ELF) or a Windows minidump (.dmp), by its own path (no link)',
  '  --json      print the manifest and the output paths as JSON',
  `  --level N   zstd level 1-19 (default ${DEFAULT_ZSTD_LEVEL}; 1 is faster, higher is smaller and slower)`,
  '',
  'Writes FILE.zst, FILE.pack.zst (when FILE.pack is there) and FILE.manifest.json beside FILE; never replaces a',
  'file. Open a .zst with `zstd -d` (Linux: the zstd package; macOS: brew install zstd; Windows: zstd.exe or 7-Zip',
  'with zstd support). The package holds every secret the dump holds.',
].join('\n');

export interface PackArgs {
  file: string;
  json: boolean;
  level: number;
}

export function parsePackArgs(args: readonly string[], cwd: string): PackArgs {
  let file: string | null = null;
  let json = false;
  let level: number | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') json = true;
    else if (a === '--level' || a.startsWith('--level=')) {
      const v = a === '--level' ? args[++i] : a.slice('--level='.length);
      if (level !== null) throw new CliUsageError('--level given twice.');
      if (!v || !/^\d{1,2}$/.test(v) || Number(v) < 1 || Number(v) > 19) throw new CliUsageError('--level needs a whole number from 1 to 19.');
      level = Number(v);
    } else if (a.startsWith('-') && a !== '-') throw new CliUsageError(`unknown option '${a}'.`);
    else {
      if (file !== null) throw new CliUsageError(`one dump file at a time (got '${file}' and '${a}').`);
      file = resolve(cwd, a);
    }
  }
  if (file === null) throw new CliUsageError('which dump? Give the path of a core or a .dmp file.');
  return { file, json, level: level ?? DEFAULT_ZSTD_LEVEL };
}

const mib = (n: number): string => `${(n / 2 ** 20).toFixed(n < 10 * 2 ** 20 ? 1 : 0)} MiB`;

function progressLine(p: UploadPackageProgress): string {
  return `${p.phase} ${mib(p.bytesRead)} of ${mib(p.totalBytes)}, ${(p.elapsedMs / 1000).toFixed(1)} s`.padEnd(50);
}

/** The lines a person reads after a package is made (pack, dump --compress). */
export function packageText(r: UploadPackageResult): string {
  const m = r.manifest;
  const ratio = m.compressed.bytes > 0 ? m.dump.bytes / m.compressed.bytes : 0;
  const lines = [
    `${r.zstPath}`,
    `  ${mib(m.dump.bytes)} → ${mib(m.compressed.bytes)} (${ratio.toFixed(1)}×, zstd -${m.compressed.level}) in ${(r.durationMs / 1000).toFixed(1)} s`,
    `  SHA-256 of the .zst:  ${m.compressed.sha256}`,
    `  SHA-256 of the dump:  ${m.dump.sha256}`,
  ];
  if (r.packZstPath && m.analysisPack) lines.push(`${r.packZstPath}`, `  SHA-256: ${m.analysisPack.compressed.sha256}`);
  lines.push(`${r.manifestPath}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Makes the package with a progress line at a terminal and Ctrl-C as cancel. Throws UploadPackageError; the caller
 * prints it.
 */
export async function runUploadPackage(path: string, source: UploadPackageSource | null, level: number, io: CliIo, quiet: boolean): Promise<UploadPackageResult> {
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  const showProgress = !quiet && process.stderr.isTTY === true;
  try {
    const known = source ?? (await readDumpIdentityOfPath(path));
    const result = await prepareUploadPackage(path, known, {
      signal: abort.signal,
      level,
      ...(showProgress ? { onProgress: (p: UploadPackageProgress) => io.stderr(`\r${progressLine(p)}`) } : {}),
    });
    if (showProgress) io.stderr('\n');
    return result;
  } catch (err) {
    if (showProgress) io.stderr('\n');
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** For a file with no job behind it: the format from its magic, then what its headers say (null when unreadable). */
async function readDumpIdentityOfPath(path: string): Promise<UploadPackageSource> {
  const { detectDumpKind } = await import('../../analysis/report/open-dump');
  try {
    const { kind } = await detectDumpKind(path);
    return await readDumpIdentity(path, kind);
  } catch {
    // prepareUploadPackage checks the path itself and says what is wrong with it.
    return { processName: null, pid: null, startTimeMs: null, kind: null, mode: null, pauseMs: null, sha256: null };
  }
}

export const packCommand: CliCommand = {
  name: 'pack',
  summary: 'prepare a dump for upload: a .zst copy, its SHA-256 and a manifest beside it',
  usage: USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    const a = parsePackArgs(args, process.cwd());
    try {
      const r = await runUploadPackage(a.file, null, a.level, io, a.json);
      if (a.json) io.stdout(`${JSON.stringify({ zstPath: r.zstPath, packZstPath: r.packZstPath, manifestPath: r.manifestPath, durationMs: r.durationMs, manifest: r.manifest }, null, 2)}\n`);
      else {
        io.stdout(packageText(r));
        io.stderr(`${DUMP_SECRETS_WARNING}\n`);
      }
      return 0;
    } catch (err) {
      if (!(err instanceof UploadPackageError)) throw err;
      if (a.json) io.stdout(`${JSON.stringify({ error: { code: err.code, message: err.message } })}\n`);
      io.stderr(`procscope pack: ${err.message}\n`);
      return 1;
    }
  },
};
