/*
 * "Prepare for upload" (issue 15): beside a finished dump, a zstd-compressed copy `<dump>.zst`, the analysis pack's
 * own compressed copy `<dump>.pack.zst` when the pack is there, and `<dump>.manifest.json` (process, pid, start
 * time, dump kind, mode, pause, sizes, the hashes of the dump and of each compressed file, the secrets warning, the
 * tool's version). The dump itself stays.
 *
 * The pack is a second .zst, not a tar-like container: each output is one plain zstd frame of exactly one file, so
 * `zstd -d` (or any zstd reader) gives back the core or minidump byte for byte, with the name `procscope analyze`
 * looks for beside it, and its SHA-256 equals the manifest's with no container to parse or to write (a tar of a
 * dump over 8 GiB needs pax headers). Stock Windows File Explorer opens neither a bare .zst nor, without a zstd
 * build, a tar of one; see the README for what opens a .zst where.
 *
 * The input is checked as `procscope analyze` checks a dump path (checkDumpFile: absolute, no link on the way, a
 * regular file with ELF or MDMP magic) and read through a descriptor opened with O_NOFOLLOW whose identity must be
 * the checked one. Each output is created exclusively (O_EXCL, never replacing a file, never following a link),
 * private to its user like the dump (mode 0600; on Windows the dump's owner-only DACL, given at creation); a cancel
 * or a failure removes every output this run created, and nothing else. Node's built-in zstd
 * (zlib.createZstdCompress, Node 22.15+/23.8+) needs no dependency; where it is missing the call refuses with one
 * sentence instead of loading.
 */
import { createHash } from 'node:crypto';
import { close as closeCb, constants, createReadStream, createWriteStream, fsync as fsyncCb, open as openCb, writeFile as writeFileCb, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { lstat, open, rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import packageJson from '../../../package.json';
import { DUMP_SECRETS_WARNING } from '../../../src-shared/model/dump';
import type { UploadPackageManifest, UploadPackageProgress, UploadPackageResult, UploadPackageSource } from '../../../src-shared/model/upload-package';
import { checkDumpFile, isSameDumpFile } from '../../host/dump-file-check';

export type { UploadPackageManifest, UploadPackageProgress, UploadPackageResult, UploadPackageSource } from '../../../src-shared/model/upload-package';

export const UPLOAD_PACKAGE_FORMAT = 'procscope-upload-package/1';
export const DEFAULT_ZSTD_LEVEL = 3;

export type UploadPackageErrorCode = 'bad-input' | 'file-exists' | 'cancelled' | 'changed' | 'unsupported' | 'io-error';

export class UploadPackageError extends Error {
  constructor(
    readonly code: UploadPackageErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'UploadPackageError';
  }
}

export interface UploadPackageOptions {
  signal?: AbortSignal;
  onProgress?: (progress: UploadPackageProgress) => void;
  /** zstd level, 1-19; 3 (zstd's own default) unless given. */
  level?: number;
}

type ZstdFactory = (options: zlib.ZstdOptions) => zlib.ZstdCompress;

/** Node's zstd compressor, or null on a Node without it (the Wine suite's Node 22 before 22.15). */
export function zstdCompressFactory(): ZstdFactory | null {
  const z = zlib as unknown as { createZstdCompress?: ZstdFactory };
  return typeof z.createZstdCompress === 'function' ? z.createZstdCompress.bind(zlib) : null;
}

/** Counts and hashes the bytes that pass through, unchanged. */
class HashTap extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  constructor(private readonly onBytes?: (bytes: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.onBytes?.(this.bytes);
    done(null, chunk);
  }
}

const OUT_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

function cancelled(): UploadPackageError {
  return new UploadPackageError('cancelled', 'Preparing the upload package was cancelled; its partial files were removed.');
}

const openFd = promisify(openCb);
const closeFd = promisify(closeCb);
const writeFd = promisify(writeFileCb);
const fsyncFd = promisify(fsyncCb);

/**
 * Creates an output exclusively and private to its user; an existing name (file or link) is refused, never replaced
 * or followed. Returns its descriptor. POSIX: mode 0600. Windows: Node's mode would only set the read-only bit and
 * the file would take its folder's DACL (any reader of the folder could open it while it is written), so it is
 * created with the dump's owner-only DACL instead (win32-dump-file.ts).
 */
async function createExclusive(path: string, created: string[]): Promise<number> {
  if (process.platform === 'win32') {
    const { createPrivateFileDescriptor } = await import('../win32/win32-dump-file');
    const r = createPrivateFileDescriptor(path);
    if ('taken' in r) throw fileExists(path);
    if ('error' in r) throw new UploadPackageError('io-error', r.error);
    created.push(path);
    return r.fd;
  }
  try {
    const fd = await openFd(path, OUT_FLAGS, 0o600);
    created.push(path);
    return fd;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ELOOP') throw fileExists(path);
    if (code === 'EACCES' || code === 'EPERM') throw new UploadPackageError('io-error', `${path} cannot be created: permission denied.`);
    throw new UploadPackageError('io-error', `${path} cannot be created: ${(err as Error).message}`);
  }
}

function fileExists(path: string): UploadPackageError {
  return new UploadPackageError('file-exists', `${path} already exists; move or delete it first (an upload package never replaces a file).`);
}

interface CompressedFile {
  bytes: number;
  sha256: string;
  zstBytes: number;
  zstSha256: string;
}

/** Compresses `inputPath` (already checked; its descriptor must be the identity `dev`/`ino`) into `outPath`. */
async function compressFile(
  create: ZstdFactory,
  inputPath: string,
  identity: { dev: number; ino: number; fileBytes: number },
  outPath: string,
  level: number,
  created: string[],
  signal: AbortSignal | undefined,
  onBytes?: (bytes: number) => void,
): Promise<CompressedFile> {
  const input = await open(inputPath, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  let output: number | null = null;
  // Once the streams exist they own the descriptors (autoClose): a stream holds a reference on its FileHandle,
  // and a close() of ours would wait for that reference forever.
  let streamsOwnFiles = false;
  let writer: WriteStream | null = null;
  try {
    const st = await input.stat();
    if (!st.isFile() || st.dev !== identity.dev || st.ino !== identity.ino) {
      throw new UploadPackageError('changed', `${inputPath} changed while it was checked; try again.`);
    }
    output = await createExclusive(outPath, created);
    const inTap = new HashTap(onBytes);
    const outTap = new HashTap();
    const zstd = create({
      params: {
        [zlib.constants.ZSTD_c_compressionLevel]: level,
        // A reader can verify the frame by itself (zstd -t) without the manifest.
        [zlib.constants.ZSTD_c_checksumFlag]: 1,
      },
      pledgedSrcSize: identity.fileBytes,
      // zlib's default 16 KiB output chunks cost a thread-pool round trip each: 125 MB/s on random bytes here,
      // 255-333 MB/s with 1 MiB (bench:pack).
      chunkSize: 1 << 20,
    });
    const reader = createReadStream('', { fd: input, highWaterMark: 1 << 20 });
    // flush: fsync before the close, so a package reported done is on the disk.
    writer = createWriteStream('', { fd: output, highWaterMark: 1 << 20, flush: true });
    streamsOwnFiles = true;
    await pipeline(reader, inTap, zstd, outTap, writer, ...(signal ? [{ signal }] : []));
    if (!writer.closed) await once(writer, 'close');
    if (inTap.bytes !== identity.fileBytes) throw new UploadPackageError('changed', `${inputPath} changed size while it was compressed; try again.`);
    return { bytes: inTap.bytes, sha256: inTap.hash.digest('hex'), zstBytes: outTap.bytes, zstSha256: outTap.hash.digest('hex') };
  } finally {
    if (!streamsOwnFiles) {
      if (output !== null) await closeFd(output).catch(() => undefined);
      await input.close().catch(() => undefined);
    } else if (writer && !writer.closed) {
      // A failed or cancelled pipeline destroys the writer; its descriptor is closed before the caller removes the
      // file (Windows refuses to delete an open one).
      await once(writer, 'close').catch(() => undefined);
    }
  }
}

/** The analysis pack beside the dump (`<dump>.pack`) if it is a regular file itself (not a link); else null. The
 * dump's folder was checked link-free, and compressFile opens it with O_NOFOLLOW and compares the identity. */
async function findAnalysisPack(dumpPath: string) {
  const path = `${dumpPath}.pack`;
  const st = await lstat(path).catch(() => null);
  if (!st?.isFile()) return null;
  return { path, dev: st.dev, ino: st.ino, fileBytes: st.size };
}

/**
 * Builds the upload package of the dump at `dumpPath`. `source` says what the job knew (the CLI's `pack FILE` may
 * know nothing but the file); a known `sha256` must match the bytes read, or the package is refused: the file is
 * no longer the dump that was written.
 */
export async function prepareUploadPackage(dumpPath: string, source: UploadPackageSource, options: UploadPackageOptions = {}): Promise<UploadPackageResult> {
  const started = Date.now();
  const create = zstdCompressFactory();
  if (!create) throw new UploadPackageError('unsupported', `This Node (${process.version}) has no built-in zstd; use Node 22.15 or later to prepare an upload package.`);
  const level = options.level ?? DEFAULT_ZSTD_LEVEL;
  if (!Number.isInteger(level) || level < 1 || level > 19) throw new UploadPackageError('bad-input', `zstd level ${String(level)} is out of range (1-19).`);
  let identity;
  try {
    identity = await checkDumpFile(dumpPath);
  } catch (err) {
    throw new UploadPackageError('bad-input', (err as Error).message);
  }
  const { signal } = options;
  if (signal?.aborted) throw cancelled();
  const dump = identity.path;
  const zstPath = `${dump}.zst`;
  const manifestPath = `${dump}.manifest.json`;
  const pack = await findAnalysisPack(dump);
  const packZstPath = pack ? `${dump}.pack.zst` : null;
  const totalBytes = identity.fileBytes + (pack?.fileBytes ?? 0);
  const created: string[] = [];
  let lastProgress = 0;
  const progress = (phase: UploadPackageProgress['phase'], bytesRead: number, force = false): void => {
    const now = Date.now();
    if (!force && now - lastProgress < 100) return;
    lastProgress = now;
    options.onProgress?.({ phase, bytesRead, totalBytes, elapsedMs: now - started });
  };
  try {
    progress('compressing', 0, true);
    const main = await compressFile(create, dump, identity, zstPath, level, created, signal, (b) => progress('compressing', b));
    if (source.sha256 && source.sha256 !== main.sha256) {
      throw new UploadPackageError('changed', `${dump} is no longer the dump that was written (its SHA-256 differs from the job's); the package was not made.`);
    }
    if (!(await isSameDumpFile(identity))) throw new UploadPackageError('changed', `${dump} changed while it was compressed; try again.`);
    let packEntry: UploadPackageManifest['analysisPack'] = null;
    if (pack && packZstPath) {
      const p = await compressFile(create, pack.path, pack, packZstPath, level, created, signal, (b) => progress('compressing', identity.fileBytes + b));
      packEntry = { file: basename(pack.path), bytes: p.bytes, sha256: p.sha256, compressed: { file: basename(packZstPath), bytes: p.zstBytes, sha256: p.zstSha256 } };
    }
    if (signal?.aborted) throw cancelled();
    progress('finishing', totalBytes, true);
    const manifest: UploadPackageManifest = {
      format: UPLOAD_PACKAGE_FORMAT,
      tool: `procscope ${packageJson.version}`,
      createdAt: new Date().toISOString(),
      process: {
        name: source.processName,
        pid: source.pid,
        startTime: source.startTimeMs !== null ? new Date(source.startTimeMs).toISOString() : null,
      },
      dump: {
        file: basename(dump),
        format: identity.kind,
        kind: source.kind,
        mode: source.mode,
        pauseMs: source.pauseMs,
        bytes: main.bytes,
        sha256: main.sha256,
      },
      compressed: { file: basename(zstPath), compression: 'zstd', level, bytes: main.zstBytes, sha256: main.zstSha256 },
      analysisPack: packEntry,
      warning: DUMP_SECRETS_WARNING,
    };
    const fd = await createExclusive(manifestPath, created);
    try {
      await writeFd(fd, `${JSON.stringify(manifest, null, 2)}\n`);
      await fsyncFd(fd);
    } finally {
      await closeFd(fd);
    }
    return { dumpPath: dump, zstPath, packZstPath, manifestPath, manifest, durationMs: Date.now() - started };
  } catch (err) {
    for (const path of created) await rm(path, { force: true }).catch(() => undefined);
    if (signal?.aborted || (err as Error).name === 'AbortError') throw cancelled();
    if (err instanceof UploadPackageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC') throw new UploadPackageError('io-error', `The disk is full; the upload package's partial files were removed.`);
    throw new UploadPackageError('io-error', `The upload package could not be written: ${(err as Error).message}`);
  }
}
