/*
 * What each OS dump writer implements (src-main/dump/linux: ELF core through ptrace; src-main/dump/win32:
 * MiniDumpWriteDump). A writer does one dump: it re-checks the target's identity, creates the file exclusively,
 * reports progress, honours the abort signal, removes its partial file on any failure, and throws DumpError with
 * a code and a sentence a person can act on.
 */
import type { DumpErrorCode, DumpProgress, DumpRequest, DumpResult } from '../../src-shared/model/dump';
import type { WinHandle } from '../platform/win32/ffi/win-types';

export class DumpError extends Error {
  constructor(
    readonly code: DumpErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DumpError';
  }
}

export interface DumpWriteOptions {
  signal?: AbortSignal;
  onProgress?: (progress: DumpProgress) => void;
  /** Override the process name used in the file name (defaults to what the writer reads from the OS). */
  nameHint?: string;
  /**
   * Windows: the SID of the user the file is made readable by, instead of the user the writer runs as. The
   * elevated helper writes for its requester, who may be another account (over-the-shoulder UAC). On Linux the
   * file is created with the requester's fsuid/fsgid instead (folder.createAs), never chowned by path.
   */
  readerSid?: string;
  /**
   * The output folder, already opened and checked on its open handle by the elevated helper (or a root CLI). A
   * writer given one creates its file relative to that handle and removes a partial file through it: it never
   * resolves `request.outDir` again, so nobody can swap the path between the check and the create.
   */
  folder?: OpenedFolder;
  /**
   * Windows: the exception a debugger holds the target at (the capture engine's crash trigger), so the dump gets an
   * exception stream: the faulting thread and its 152-byte EXCEPTION_RECORD as the DEBUG_EVENT carried it.
   */
  exception?: { threadId: number; exceptionRecord: Uint8Array };
  /**
   * Write the analysis pack beside the dump (`<dump>.pack`: the modules' unwind tables and function names;
   * src-main/dump/linux/analysis-pack.ts, src-main/dump/win32/win32-analysis-pack.ts). Default true;
   * `procscope dump --no-pack` turns it off.
   */
  analysisPack?: boolean;
  /**
   * Called once, as soon as the file is complete (its length set, every byte written) and the target runs again,
   * before the hash: the dump is saved from here on. The result has `hash: 'computing'` (or 'skipped') and sha256
   * null; write() then resolves with the same result plus the hash, read from the same open file. An abort after
   * this stops only the hash: the file stays (hash 'failed', hashError 'cancelled').
   */
  onFileComplete?: (saved: DumpResult) => void;
  /**
   * Called once the hash is done (or failed), before the analysis pack that follows it: the CLI prints the SHA-256
   * line then, not after the pack. The Linux writer calls it; write() still resolves with the same hash.
   */
  onHashDone?: (hashed: DumpResult) => void;
  /** Compute the SHA-256 (default true); false (`procscope dump --no-hash`) resolves with sha256 null, hash 'skipped'. */
  hash?: boolean;
}

/**
 * The hash of a result that must have one (a capture's dump event carries it): the SHA-256, or a DumpError saying
 * why there is none. The file stays where the result says.
 */
export function requireSha256(result: DumpResult): string {
  if (result.sha256 !== null) return result.sha256;
  const why = result.hashError?.message ?? 'no hash was computed';
  throw new DumpError(result.hashError?.code ?? 'io-error', `The dump ${result.path} was saved, but its SHA-256 is missing: ${why}`);
}

/** The sentence of a hash stopped by a cancel after the file was complete: the dump itself is kept. */
export const HASH_CANCELLED_MESSAGE = 'The hash was cancelled; the dump file is saved and kept.';

/** A folder opened once, by a walk from the root that followed no link, and checked on the handle it holds. */
export type OpenedFolder = LinuxOpenedFolder | Win32OpenedFolder;

export interface LinuxOpenedFolder {
  readonly platform: 'linux';
  /** For messages and DumpResult.path only: never opened again. */
  readonly path: string;
  /** An O_DIRECTORY | O_NOFOLLOW descriptor of the folder itself. */
  readonly fd: number;
  /** Whose file-system rights the file is created with (fsuid/fsgid around the openat), or null for our own. */
  readonly createAs: { readonly uid: number; readonly gid: number } | null;
}

export interface Win32OpenedFolder {
  readonly platform: 'win32';
  /** For messages and DumpResult.path only: never opened again. */
  readonly path: string;
  /**
   * The folder's handle, the last of a walk that opened each entry relative to the one before it with
   * FILE_OPEN_REPARSE_POINT (src-main/platform/win32/ffi/file-handles.ts); the file is created relative to it.
   */
  readonly handle: WinHandle;
}

export interface DumpWriter {
  readonly format: 'elf-core' | 'minidump';
  write(request: DumpRequest, options?: DumpWriteOptions): Promise<DumpResult>;
}
