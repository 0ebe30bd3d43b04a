/*
 * What each OS dump writer implements (src-main/dump/linux: ELF core through ptrace; src-main/dump/win32:
 * MiniDumpWriteDump). A writer does one dump: it re-checks the target's identity, creates the file exclusively,
 * reports progress, honours the abort signal, removes its partial file on any failure, and throws DumpError with
 * a code and a sentence a person can act on.
 */
import type { DumpErrorCode, DumpProgress, DumpRequest, DumpResult } from '../../src-shared/model/dump';

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
   * elevated helper writes for its requester, who may be another account (over-the-shoulder UAC). Linux hands
   * the finished file over with chown instead.
   */
  readerSid?: string;
}

export interface DumpWriter {
  readonly format: 'elf-core' | 'minidump';
  write(request: DumpRequest, options?: DumpWriteOptions): Promise<DumpResult>;
}
