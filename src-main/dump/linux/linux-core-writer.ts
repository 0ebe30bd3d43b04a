/*
 * The Linux DumpWriter: an ELF core of a live process, written by us through ptrace and process_vm_readv (no gdb).
 * Runs in the Node process that asked (main, CLI or helper); every ptrace call stays on its JS thread. Order:
 * checks and the plan's estimate before the target stops; then stop all threads, read registers, mappings and
 * memory; let the threads go as soon as the last byte is read; finish the file. The target is detached on every
 * path, and the partial file is removed on any failure or cancel. Given options.folder (the root helper, root's
 * CLI) the file is created in that descriptor with the requester's rights, and request.outDir is never opened.
 * writeHeldLinuxCore is the seam for the capture tracer (src-main/capture/linux), which already holds every thread
 * stopped (a second PTRACE_SEIZE would get EPERM): it reads that process as it is and leaves it held.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { dumpFileName, type DumpErrorInfo, type DumpProgress, type DumpRequest, type DumpResult } from '../../../src-shared/model/dump';
import { clockTicksPerSecond, pageSizeBytes } from '../../platform/linux/system-constants';
import { DumpError, HASH_CANCELLED_MESSAGE, type DumpWriteOptions, type DumpWriter } from '../dump-writer';
import { writeAnalysisPack, type AnalysisPackResult } from './analysis-pack';
import { checkFreeSpaceSync, createCoreFileSync, toFileError, type CoreFile } from './core-file';
import { buildCoreNotes, readNoteSourcesSync } from './core-notes';
import { encodeHeaders, encodeNotes, layoutCore, type CoreLayout } from './elf-core-layout';
import { EPERM, ESRCH } from './ffi/libc-ptrace';
import { planSegments, type PlannedSegment, type ThreadPointers } from './mapping-plan';
import { buildPieces, copyMemory, type Piece } from './memory-copier';
import { openedFolderProcPath } from './opened-folder';
import { openPagemapSync } from './pagemap';
import { createSha256Stream, prestartSha256Worker, type Sha256Stream } from './sha256-worker';
import { parseMaps, parseSmaps } from './proc-maps';
import { prepareSnapshotSync, startSnapshotSync, uncopiedRanges, type SnapshotPrep, type SnapshotRun } from './snapshot/linux-snapshot';
import {
  AttachError,
  attachAllThreadsSync,
  detachAllSync,
  readThreadRegistersSync,
  registerValues,
  stackPointer,
  type AttachedProcess,
  type ThreadRegisters,
} from './ptrace-threads';
import { checkIdentitySync, checkNotTracedSync, permissionError, processName } from './target-checks';
import { acquireWriteBehind, prestartWriteBehind } from './write-behind';

const PROGRESS_INTERVAL_MS = 100;

/** The stream of a dump written without a hash (`procscope dump --no-hash`). */
const NO_HASH: Sha256Stream = {
  updateWritten: () => {},
  updateZeros: () => {},
  digest: () => Promise.reject(new Error('no hash was asked for')),
  ready: () => Promise.resolve(true),
  dispose: () => Promise.resolve(),
};

/**
 * The stream's digest, or why there is none: a failure of the hash never unsaves the dump, and an abort stops the
 * worker (the caller disposes of it) instead of waiting for the rest of the file to be read.
 */
async function digestUnlessAborted(hash: Sha256Stream, signal: AbortSignal | undefined): Promise<{ sha256: string } | { error: DumpErrorInfo }> {
  const stopped = { error: { code: 'cancelled' as const, message: HASH_CANCELLED_MESSAGE } };
  if (signal?.aborted) return stopped;
  let onAbort: () => void = () => {};
  const aborted = new Promise<typeof stopped>((resolve) => {
    onAbort = () => resolve(stopped);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([
      hash.digest().then(
        (sha256) => ({ sha256 }),
        (err: unknown) => ({ error: { code: 'io-error' as const, message: `The SHA-256 could not be computed (${(err as Error).message}); the dump file is saved.` } }),
      ),
      aborted,
    ]);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** `hash: false` (the CLI's --no-hash): the writer will not hash, so no hash thread is booted ahead for it. */
export function createLinuxCoreWriter(warmUp: { hash?: boolean } = {}): DumpWriter {
  // A writer is created to write: let the write-behind and hash threads boot meanwhile.
  void prestartWriteBehind();
  if (warmUp.hash !== false) prestartSha256Worker();
  return { format: 'elf-core', write: writeLinuxCore };
}

function validateRequest(r: DumpRequest, folder: DumpWriteOptions['folder']): void {
  const bad = (why: string): never => {
    throw new DumpError('bad-request', `Invalid dump request: ${why}.`);
  };
  if (typeof r !== 'object' || r === null) bad('not an object');
  if (!Number.isSafeInteger(r.pid) || r.pid <= 0) bad('pid must be a positive integer');
  if (typeof r.startTimeMs !== 'number' || !Number.isFinite(r.startTimeMs)) bad('startTimeMs must be a number');
  if (r.kind !== 'full' && r.kind !== 'mini') bad("kind must be 'full' or 'mini'");
  if (typeof r.outDir !== 'string' || !isAbsolute(r.outDir) || r.outDir.includes('\0')) bad('outDir must be an absolute path');
  if (folder && folder.platform !== 'linux') bad('the opened folder is not a Linux one');
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new DumpError('unsupported', 'ELF core dumps are written on x86-64 Linux only.');
  }
}

function errnoCode(err: unknown): string {
  return (err as NodeJS.ErrnoException | null)?.code ?? '';
}

function goneError(pid: number): DumpError {
  return new DumpError('process-gone', `Process ${pid} has exited; there is nothing to dump. Refresh the list and pick a running process.`);
}

/** How long snapshot mode waits for its threads to boot before it stops the target anyway. */
const THREAD_BOOT_WAIT_MS = 2_000;

/** Resolves once every promise settled, `ms` passed or `signal` aborted, whichever comes first; never rejects. */
function settledWithin(promises: readonly Promise<unknown>[], ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    void Promise.allSettled(promises).then(done);
  });
}

/** /proc/PID/smaps needs the same permission as ptrace (PTRACE_MODE_READ), so it doubles as the permission probe. */
function readSmapsSync(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/smaps`, 'latin1');
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EACCES' || code === 'EPERM') throw permissionError(pid);
    throw goneError(pid);
  }
}

function attachSync(pid: number): AttachedProcess {
  try {
    return attachAllThreadsSync(pid);
  } catch (err) {
    if (err instanceof AttachError && err.errno === EPERM) throw permissionError(pid);
    if (err instanceof AttachError && err.errno === ESRCH) throw goneError(pid);
    throw new DumpError('io-error', `Procscope could not stop process ${pid}: ${(err as Error).message}.`);
  }
}

/** The segments' pieces, with the untouched pages of anonymous memory left out by `pid`'s pagemap. */
function piecesOfSync(pid: number, segments: readonly PlannedSegment[], pageBytes: number): Piece[] {
  if (segments.length === 0) return [];
  const pagemap = openPagemapSync(pid, pageBytes);
  try {
    return buildPieces(segments, pagemap);
  } finally {
    pagemap?.closeSync();
  }
}

function pointersOf(regs: ThreadRegisters): ThreadPointers {
  return { stackPointer: stackPointer(regs), registerValues: registerValues(regs) };
}

/**
 * Writes the core of a process whose every thread the caller already holds in a ptrace-stop, on the caller's
 * thread (the tracer's: GETREGSET must come from it). `held.threads` lists them, the one to show first in front;
 * each keeps its pendingSignal. Never detaches and never resumes: the caller decides what happens next.
 */
export function writeHeldLinuxCore(request: DumpRequest, held: AttachedProcess, options: DumpWriteOptions = {}): Promise<DumpResult> {
  return writeLinuxCore(request, options, held);
}

async function writeLinuxCore(request: DumpRequest, options: DumpWriteOptions = {}, held?: AttachedProcess): Promise<DumpResult> {
  validateRequest(request, options.folder);
  const { pid, kind } = request;
  const startedMs = performance.now();
  const pageBytes = pageSizeBytes();
  let lastProgressMs = 0;
  const progress = (phase: DumpProgress['phase'], bytesWritten: number, estimatedTotalBytes: number | null, force = false): void => {
    const now = performance.now();
    if (!options.onProgress || (!force && now - lastProgressMs < PROGRESS_INTERVAL_MS)) return;
    lastProgressMs = now;
    options.onProgress({ bytesWritten, estimatedTotalBytes, elapsedMs: Math.round(now - startedMs), phase });
  };
  const cancelled = (): DumpError => new DumpError('cancelled', 'The dump was cancelled; the partial file was removed.');
  progress('attaching', 0, null, true);

  // The hash thread boots while the checks run (see sha256-worker.ts); every path below disposes of it.
  // --no-hash: no thread, nothing read back.
  const hash = options.hash === false ? NO_HASH : createSha256Stream();
  let file: CoreFile;
  let smaps: ReturnType<typeof parseSmaps>;
  let snapshotPrep: SnapshotPrep = { refused: 'not asked for' };
  const folder = options.folder?.platform === 'linux' ? options.folder : undefined; // validateRequest refused any other
  try {
    // Before the target stops: identity, tracer, permission, the estimate, free space, and the file itself.
    checkIdentitySync(pid, request.startTimeMs);
    checkNotTracedSync(pid);
    const smapsText = readSmapsSync(pid);
    smaps = parseSmaps(smapsText);
    if (request.snapshot === true && !held) snapshotPrep = prepareSnapshotSync(pid, smaps);
    const estimate = planSegments(kind, parseMaps(smapsText), smaps, [], pageBytes).estimatedDiskBytes;
    if (folder) checkFreeSpaceSync(openedFolderProcPath(folder), estimate, folder.path);
    else checkFreeSpaceSync(request.outDir, estimate);
    const name = options.nameHint ?? processName(pid);
    // One time stamp for every attempt: a second dump in the same second takes `…_2.core`, not a later second.
    // The time the dialog showed, when it sent one; otherwise now.
    const at = request.stamp ?? new Date();
    file = createCoreFileSync(request.outDir, (attempt) => dumpFileName(name, pid, kind, 'core', at, attempt), folder);
  } catch (err) {
    await hash.dispose();
    throw err;
  }
  // The write-behind ring before the target stops (its inline slot is touched now, not while the target waits).
  const ring = acquireWriteBehind();
  if (request.snapshot === true && !held && snapshotPrep.refused === null) {
    // The shortest pause: the two threads a dump starts (write-behind, hash) boot with tens of ms of CPU each; on a
    // machine of few cores, booting while the target is stopped made its pause longer (the clone competed with them
    // for the cores). So snapshot mode waits for them first, up to a bound, and for an abort.
    await settledWithin([ring.ready, hash.ready()], THREAD_BOOT_WAIT_MS, options.signal);
  }
  if (options.signal?.aborted) {
    ring.release();
    await hash.dispose();
    file.discardSync();
    throw cancelled();
  }

  let attached: AttachedProcess | null = null;
  let pack: AnalysisPackResult | null = null;
  let pauseEndMs = 0;
  let snapshot: SnapshotRun | null = null;
  let complete = false;
  const release = (): void => {
    if (attached && pauseEndMs === 0) {
      if (!held) detachAllSync(attached.threads);
      pauseEndMs = performance.now();
    }
  };
  try {
    attached = held ?? attachSync(pid);
    // Attached threads cannot exit unnoticed, so the pid cannot be recycled from here on.
    checkIdentitySync(pid, request.startTimeMs);
    const maps = parseMaps(readFileSync(`/proc/${pid}/maps`, 'latin1'));
    const regs = attached.threads.map(readThreadRegistersSync).filter((r): r is ThreadRegisters => r !== null);
    if (regs.length === 0) throw goneError(pid);
    // Read now, while every thread is stopped; encoded by notesNow, which snapshot mode calls once the target runs.
    const noteSources = readNoteSourcesSync(pid, regs);
    const notesNow = (): Buffer =>
      encodeNotes(
        buildCoreNotes({
          kind,
          processStartTimeMs: request.startTimeMs,
          threads: regs,
          sources: noteSources,
          mappings: maps,
          pageBytes,
          ticksPerSecond: clockTicksPerSecond(),
        }),
      );
    const plan = planSegments(kind, maps, smaps, regs.map(pointersOf), pageBytes);
    let notes: Buffer;
    let layout: CoreLayout;
    let pieces: Piece[];
    if (request.snapshot === true && !held) {
      // Snapshot mode: a copy-on-write clone to read from, and the target goes at once (snapshot/linux-snapshot.ts).
      // Only the memory a fork does not copy (dc/wf) is planned and read while the target waits; which pages of
      // the rest are resident is asked of the clone afterwards (its page tables are copies of the target's at the
      // clone), which takes the pagemap read (about 2 ms per GiB) out of the pause. So does encoding the notes
      // (1.5-6 ms of the pause on the 1 GiB bench target): the early pieces are placed as if the notes were empty,
      // then moved with every segment once their length is known (layoutCore lays the segments out back to back
      // from the first page after the headers, so a longer note block shifts them all by the same amount).
      const ranges = uncopiedRanges(maps, smaps);
      const uncopied = (seg: PlannedSegment): boolean => ranges.some(([lo, hi]) => seg.vaddr < hi && seg.vaddr + seg.memBytes > lo);
      const provisional = layoutCore(0, plan.segments, pageBytes);
      const early = piecesOfSync(pid, plan.segments.filter(uncopied), pageBytes);
      snapshot = startSnapshotSync({ pid, threads: attached.threads, regs, maps, uncopied: ranges, pieces: early, prep: snapshotPrep });
      if (snapshot.method === 'snapshot') release();
      notes = notesNow();
      layout = layoutCore(notes.length, plan.segments, pageBytes);
      const shift = layout.dataOffset - provisional.dataOffset;
      for (const p of early) p.fileOffset += shift;
      const late = piecesOfSync(snapshot.readPid, plan.segments.filter((seg) => !uncopied(seg)), pageBytes);
      pieces = [...early, ...late].sort((a, b) => a.fileOffset - b.fileOffset);
    } else {
      notes = notesNow();
      layout = layoutCore(notes.length, plan.segments, pageBytes);
      pieces = piecesOfSync(pid, plan.segments, pageBytes);
    }
    const headers = encodeHeaders(notes, plan.segments, layout);

    file.writeAtSync(headers, 0);
    hash.updateWritten(file.fd, 0, headers.length);
    hash.updateZeros(layout.dataOffset - layout.headerBytes);
    progress('writing', layout.dataOffset, layout.fileLength, true);
    const { unreadableBytes } = await copyMemory({
      pid: snapshot?.readPid ?? pid,
      memFd: snapshot?.memFd ?? null,
      ring: ring.writeBehind,
      pieces,
      file,
      hash,
      pageBytes,
      signal: options.signal,
      onBatch: (done) => progress('writing', layout.dataOffset + done, layout.fileLength),
      onReadsDone: release,
      // Live mode, or a held target: it waits for the reads, so the hash waits for them too.
      holdHashWhileReading: snapshot?.method !== 'snapshot',
    });
    release();
    const reapPauseMs = snapshot?.finish() ?? 0;
    if (options.signal?.aborted) throw cancelled();
    progress('finishing', layout.fileLength, layout.fileLength, true);
    // The file is complete and the target runs: the dump is saved from here on, whatever happens to the hash or the
    // pack. The hash worker has been reading it back behind the writes through this descriptor; it finishes now,
    // while the pack is built on this thread (issue 15: neither is on the critical path any more).
    const bytesOnDisk = file.completeSync(layout.fileLength);
    const wantHash = options.hash !== false;
    const fileCompleteMs = Math.round(performance.now() - startedMs);
    const saved: DumpResult = {
      path: file.path,
      kind,
      pid,
      bytesOnDisk,
      fileBytes: layout.fileLength,
      sha256: null,
      hash: wantHash ? 'computing' : 'skipped',
      fileCompleteMs,
      durationMs: fileCompleteMs,
      targetPauseMs: Math.round((pauseEndMs - attached.pauseStartMs + reapPauseMs) * 10) / 10,
      unreadableBytes,
      method: snapshot?.method ?? 'live',
      ...(snapshot?.fallbackReason ? { snapshotFallback: snapshot.fallbackReason } : {}),
      format: 'elf-core',
    };
    complete = true;
    options.onFileComplete?.({ ...saved });
    // The hash first, then the pack: built on this thread, the pack kept the worker's digest message waiting until it
    // was done (bench:dump on node: the hash showed up 1.7-1.8 s after the file, exactly the pack's time).
    const hashed = wantHash ? await digestUnlessAborted(hash, options.signal) : null;
    const hashDoneMs = Math.round(performance.now() - startedMs);
    const hashFields =
      hashed === null
        ? {}
        : 'sha256' in hashed
          ? { sha256: hashed.sha256, hash: 'done' as const, hashDoneMs }
          : { hash: 'failed' as const, hashError: hashed.error, hashDoneMs };
    if (hashed !== null) options.onHashDone?.({ ...saved, ...hashFields });
    let analysisPackMs: number | undefined;
    // The pack reads module files by path, so only once the target runs again; a held target (the capture
    // tracer's) is not released here, so it gets none rather than a longer hold.
    if (!held && options.analysisPack !== false) {
      const packStartedMs = performance.now();
      pack = await writeAnalysisPack({ coreFd: file.fd, corePath: file.path, segments: plan.segments, maps, folder, signal: options.signal }).catch(() => null);
      analysisPackMs = Math.round(performance.now() - packStartedMs);
      if (pack && options.signal?.aborted) {
        // A cancel after the file was complete stops the pack and the hash only: the core stays.
        pack.file.discardSync();
        pack = null;
      }
      if (pack) pack.file.finishSync(pack.lengthBytes);
    }
    await hash.dispose(); // stopped or idle: no thread reads the descriptor finishSync closes
    file.finishSync(layout.fileLength);
    return {
      ...saved,
      ...hashFields,
      durationMs: Math.round(performance.now() - startedMs),
      ...(analysisPackMs !== undefined ? { analysisPackMs } : {}),
      ...(pack ? { analysisPackPath: pack.file.path } : {}),
    };
  } catch (err) {
    release();
    pack?.file.discardSync();
    await hash.dispose(); // the worker reads through the descriptor discardSync closes
    // Once complete, the file is saved: a later failure (closing it) must not remove the dump that was reported.
    if (!complete) file.discardSync();
    if (err instanceof DumpError) throw err;
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ESRCH') throw goneError(pid);
    throw toFileError(err, file.path);
  } finally {
    release();
    snapshot?.finish();
    await hash.dispose();
    ring.release();
  }
}
