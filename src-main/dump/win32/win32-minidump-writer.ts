/*
 * The Windows dump writer: dbghelp MiniDumpWriteDump on koffi's worker thread, of a PSS snapshot clone where
 * Windows has PssCaptureSnapshot (8.1+) and of the live process otherwise (Wine). Runs in the main process or the
 * elevated helper. It re-checks the target's identity, creates the file exclusively with an owner-only DACL (in the
 * helper's opened folder through its handle: win32-dump-file.ts), reports progress from the file size, and removes
 * its partial file on any failure or cancel. Then, unless DumpWriteOptions.analysisPack is false, it writes the
 * analysis pack beside the dump the same way (win32-analysis-pack.ts).
 */
import { win32 } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DumpRequest, DumpResult } from '../../../src-shared/model/dump';
import { enableDebugPrivilege } from '../../platform/win32/ffi/advapi32';
import { miniDumpWriteDumpAsync, symCleanup, symInitialize } from '../../platform/win32/ffi/dbghelp';
import {
  currentProcess, getExitCodeProcess, getFileSize, getLastError, getProcessCreateTime100ns, openProcess,
  ProcessAccess, pssApi, queryFullProcessImageName, readCommittedBytes,
} from '../../platform/win32/ffi/kernel32';
import { buildExceptionParam } from '../../platform/win32/ffi/exception-param';
import { readIs32Bit } from '../../platform/win32/ffi/process-query';
import { fileTimeToUnixMs } from '../../platform/win32/ffi/win-time';
import { WinError, type WinHandle } from '../../platform/win32/ffi/win-types';
import { DumpError, HASH_CANCELLED_MESSAGE, type DumpWriteOptions, type DumpWriter } from '../dump-writer';
import { refuseWrongBitness } from './bitness-check';
import { minidumpFlagsFor } from './minidump-flags';
import { validateDumpRequest } from './validate-dump-request';
import { writeWin32AnalysisPack } from './win32-analysis-pack';
import { createDumpFile, discardDumpFile, hashDumpFile, type DumpFile } from './win32-dump-file';

const PROGRESS_INTERVAL_MS = 250;

/**
 * PssCaptureSnapshot flags (processsnapshot.h): a VA clone plus handles and thread contexts is what
 * MiniDumpWriteDump needs from a snapshot (learn.microsoft.com "Using PSS_CAPTURE_FLAGS with MiniDumpWriteDump").
 */
const PSS_FLAGS =
  0x1 /* VA_CLONE */ | 0x4 /* HANDLES */ | 0x8 /* HANDLE_NAME_INFORMATION */ | 0x10 /* HANDLE_BASIC_INFORMATION */ |
  0x20 /* HANDLE_TYPE_SPECIFIC_INFORMATION */ | 0x40 /* HANDLE_TRACE */ | 0x80 /* THREADS */ | 0x100 /* THREAD_CONTEXT */ |
  0x200 /* THREAD_CONTEXT_EXTENDED */ | 0x04000000 /* CREATE_BREAKAWAY_OPTIONAL */ | 0x08000000 /* CREATE_BREAKAWAY */ |
  0x20000000 /* CREATE_USE_VM_ALLOCATIONS */ | 0x80000000 /* CREATE_RELEASE_SECTION */;
/** CONTEXT_ALL for AMD64 (winnt.h). */
const CONTEXT_ALL_AMD64 = 0x10001f;

let debugPrivilegeTried = false;

function openTarget(request: DumpRequest): WinHandle {
  const access = ProcessAccess.QUERY_INFORMATION | ProcessAccess.VM_READ | ProcessAccess.DUP_HANDLE | ProcessAccess.CREATE_PROCESS;
  const h = openProcess(request.pid, access) ?? openProcess(request.pid, access & ~ProcessAccess.CREATE_PROCESS);
  if (h) return h;
  const error = getLastError();
  if (error === WinError.INVALID_PARAMETER) throw new DumpError('process-gone', `Process ${request.pid} has exited; nothing to dump.`);
  if (error === WinError.ACCESS_DENIED) {
    throw new DumpError('needs-elevation', `Windows denied access to process ${request.pid}: dump it again as administrator.`);
  }
  throw new DumpError('io-error', `Could not open process ${request.pid} (Windows error ${error}).`);
}

async function writeMinidump(request: DumpRequest, options: DumpWriteOptions = {}): Promise<DumpResult> {
  const folder = options.folder;
  if (folder && folder.platform !== 'win32') throw new DumpError('bad-request', 'The opened folder is not a Windows folder.');
  // An opened folder is the truth about where the file goes: its path is not looked at again.
  validateDumpRequest(request, win32.isAbsolute, { folderExists: !folder });
  const { signal, onProgress } = options;
  if (signal?.aborted) throw new DumpError('cancelled', 'The dump was cancelled before it started.');
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  onProgress?.({ bytesWritten: 0, estimatedTotalBytes: null, elapsedMs: 0, phase: 'attaching' });
  if (!debugPrivilegeTried) {
    debugPrivilegeTried = true;
    enableDebugPrivilege(currentProcess());
  }
  let target: WinHandle | null = openTarget(request);
  let file: DumpFile | null = null;
  let snapshot: WinHandle | null = null;
  try {
    const created = getProcessCreateTime100ns(target);
    const startTimeMs = created === null ? null : created === 0n ? 0 : fileTimeToUnixMs(created);
    if (startTimeMs !== request.startTimeMs) {
      throw new DumpError('pid-recycled', `Process ${request.pid} is no longer the one you selected: its id was reused.`);
    }
    refuseWrongBitness(request.pid, readIs32Bit(target), process.arch);
    const image = queryFullProcessImageName(target);
    const name = options.nameHint ?? (image ? win32.basename(image).replace(/\.exe$/i, '') : `pid${request.pid}`);
    file = createDumpFile(request, name, { folder, readerSid: options.readerSid });

    let method: DumpResult['method'] = 'live';
    let pauseStart = performance.now();
    const pss = pssApi();
    if (pss) {
      const r = pss.capture(target, PSS_FLAGS, CONTEXT_ALL_AMD64);
      if (r.snapshot) {
        snapshot = r.snapshot;
        method = 'snapshot';
      }
    }
    // With a snapshot the target ran again as soon as the clone existed; live, dbghelp suspends it throughout.
    let targetPauseMs = method === 'snapshot' ? Math.round(performance.now() - pauseStart) : 0;
    pauseStart = performance.now();

    // A full dump copies every readable committed page, so their sum is the size to expect; a mini dump's size
    // depends on stacks and what they point to, which only dbghelp knows.
    const estimatedTotalBytes = request.kind === 'full' ? readCommittedBytes(target) : null;
    symInitialize(target);
    let cancelled = false;
    const onAbort = (): void => {
      cancelled = true;
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const outFile = file.handle;
    const timer = setInterval(() => {
      onProgress?.({ bytesWritten: getFileSize(outFile), estimatedTotalBytes, elapsedMs: elapsed(), phase: 'writing' });
    }, PROGRESS_INTERVAL_MS);
    // Read while the debug event still freezes the faulting thread; kept referenced until dbghelp has returned.
    const exception = options.exception ? buildExceptionParam(options.exception.threadId, options.exception.exceptionRecord) : null;
    const dumpPromise = miniDumpWriteDumpAsync(snapshot ?? target, request.pid, file.handle, minidumpFlagsFor(request.kind), {
      shouldCancel: () => cancelled,
      isSnapshot: snapshot !== null,
    }, exception?.param ?? null).finally(() => void exception?.keepAlive);
    let ok: boolean;
    try {
      ok = await Promise.race([
        dumpPromise,
        new Promise<boolean>((resolve) => signal?.addEventListener('abort', () => resolve(false), { once: true })),
      ]);
    } finally {
      clearInterval(timer);
      signal?.removeEventListener('abort', onAbort);
    }
    if (cancelled) {
      // Where dbghelp never calls the Cancel callback (Wine), the call cannot be interrupted: it finishes in the
      // background and its file is closed and removed then. The caller hears "cancelled" now.
      const [t, f, s] = [target, file, snapshot];
      target = null;
      file = null;
      snapshot = null;
      void dumpPromise.catch(() => false).then(() => {
        symCleanup(t);
        s?.close();
        discardDumpFile(f);
        t.close();
      });
      throw new DumpError('cancelled', 'The dump was cancelled; its partial file is removed.');
    }
    symCleanup(target);
    if (method === 'live') targetPauseMs = Math.round(performance.now() - pauseStart);
    onProgress?.({ bytesWritten: getFileSize(file.handle), estimatedTotalBytes, elapsedMs: elapsed(), phase: 'finishing' });
    if (!ok) {
      const STILL_ACTIVE = 259;
      const alive = getExitCodeProcess(target) === STILL_ACTIVE;
      throw alive
        ? new DumpError('io-error', `MiniDumpWriteDump failed for process ${request.pid}; the partial file was removed.`)
        : new DumpError('process-gone', `Process ${request.pid} exited during the dump; the partial file was removed.`);
    }
    // The file is complete and the target runs: saved from here on (issue 15). The hash follows, read back through
    // our own handle (the requester may rename entries of their folder, but not this object), then the pack.
    const fileBytes = getFileSize(file.handle);
    const fileCompleteMs = elapsed();
    const wantHash = options.hash !== false;
    const saved: DumpResult = {
      path: file.path,
      kind: request.kind,
      pid: request.pid,
      bytesOnDisk: fileBytes,
      fileBytes,
      sha256: null,
      hash: wantHash ? 'computing' : 'skipped',
      fileCompleteMs,
      durationMs: fileCompleteMs,
      targetPauseMs,
      // dbghelp skips unreadable ranges (IgnoreInaccessibleMemory) without telling how many bytes they were.
      unreadableBytes: 0,
      method,
      format: 'minidump',
    };
    const done = file;
    file = null; // no failure from here on removes the saved dump
    options.onFileComplete?.({ ...saved });
    let hashed: Partial<DumpResult> = {};
    if (wantHash) {
      try {
        hashed = { sha256: (await hashDumpFile(done, signal)).sha256, hash: 'done' };
      } catch (err) {
        const cancelled = signal?.aborted === true;
        hashed = {
          hash: 'failed',
          hashError: cancelled
            ? { code: 'cancelled', message: HASH_CANCELLED_MESSAGE }
            : { code: 'io-error', message: `The SHA-256 could not be computed (${(err as Error).message}); the dump file is saved.` },
        };
      }
      hashed.hashDoneMs = elapsed();
    }
    // The analysis pack (modules' headers, .pdata, UNWIND_INFO, exports) beside it; the dump never fails for it.
    let packPath: string | null = null;
    let analysisPackMs: number | undefined;
    if (options.analysisPack !== false && !signal?.aborted) {
      const packStarted = performance.now();
      onProgress?.({ bytesWritten: fileBytes, estimatedTotalBytes, elapsedMs: elapsed(), phase: 'finishing' });
      packPath = (await writeWin32AnalysisPack(done, { folder, readerSid: options.readerSid, signal, target }).catch(() => null))?.path ?? null;
      analysisPackMs = Math.round(performance.now() - packStarted);
    }
    const result: DumpResult = {
      ...saved,
      ...hashed,
      durationMs: elapsed(),
      ...(analysisPackMs !== undefined ? { analysisPackMs } : {}),
      ...(packPath ? { analysisPackPath: packPath } : {}),
    };
    done.handle.close();
    return result;
  } finally {
    snapshot?.close();
    if (file) discardDumpFile(file);
    target?.close();
  }
}

export function createWin32MinidumpWriter(): DumpWriter {
  return { format: 'minidump', write: writeMinidump };
}

