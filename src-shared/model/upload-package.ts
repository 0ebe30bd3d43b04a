/*
 * The upload package (issue 15, "Prepare for upload"): what the main process makes beside a finished dump and what
 * the jobs panel and the CLI show of it. Plain cloneable data, carried over IPC unchanged.
 */
import type { DumpKind } from './dump';

/** What the caller knew about the dump; null where it knows nothing (the CLI's `pack FILE` of a foreign file). */
export interface UploadPackageSource {
  processName: string | null;
  pid: number | null;
  startTimeMs: number | null;
  kind: DumpKind | null;
  /** How the dump was taken: the live process or a snapshot clone. */
  mode: 'live' | 'snapshot' | null;
  pauseMs: number | null;
  /** The dump's SHA-256 as the job computed it; the package is refused if the file no longer matches. */
  sha256: string | null;
}

export interface UploadPackageProgress {
  phase: 'compressing' | 'finishing';
  /** Bytes of the dump (then of its analysis pack) read so far. */
  bytesRead: number;
  totalBytes: number;
  elapsedMs: number;
}

export interface UploadPackageFileEntry {
  file: string;
  bytes: number;
  sha256: string;
}

/** `<dump>.manifest.json`. File names are bare names: every file of the package sits in the dump's folder. */
export interface UploadPackageManifest {
  format: string;
  tool: string;
  createdAt: string;
  process: { name: string | null; pid: number | null; startTime: string | null };
  dump: UploadPackageFileEntry & {
    format: 'elf-core' | 'minidump';
    kind: DumpKind | null;
    mode: 'live' | 'snapshot' | null;
    pauseMs: number | null;
  };
  compressed: UploadPackageFileEntry & { compression: 'zstd'; level: number };
  /** The dump's analysis pack (`<dump>.pack`) and its own compressed copy (`<dump>.pack.zst`), when it was there. */
  analysisPack: (UploadPackageFileEntry & { compressed: UploadPackageFileEntry }) | null;
  warning: string;
}

export interface UploadPackageResult {
  dumpPath: string;
  zstPath: string;
  packZstPath: string | null;
  manifestPath: string;
  manifest: UploadPackageManifest;
  durationMs: number;
}
