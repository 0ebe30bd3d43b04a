/*
 * The one dump engine for every OS and for the CLI, in the main process: it queues dump jobs, runs them with the
 * platform DumpWriter off the poll loop, publishes their progress and outcome, offers "Retry as administrator"
 * when a job failed for lack of rights (through the elevated helper), and remembers the dump settings. Every
 * failure reaches listeners as a DumpErrorInfo sentence; it never throws a stack trace at a caller, and it only
 * ever deletes files it wrote itself.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute } from 'node:path';
import { DUMP_STAMP_PATTERN, type DumpProgress, type DumpResult } from '../../src-shared/model/dump';
import type { ProcessRow } from '../../src-shared/model/process';
import { buildProcessTree, collectSubtree } from '../../src-shared/tree/process-tree';
import { checkCaptureDumpFile, type CaptureDumpRecord } from './capture-dump-record';
import { cancelledInfo, toDumpErrorInfo } from './dump-errors';
import type {
  DumpEngineEvent,
  DumpEngineListener,
  DumpGroupInfo,
  DumpJobId,
  DumpJobInfo,
  DumpJobRequest,
} from './dump-jobs';
import type { DumpSettings, DumpSettingsStore } from './dump-settings';
import { DumpError, HASH_CANCELLED_MESSAGE, type DumpWriter } from './dump-writer';
import type { Elevator } from './helper/elevator';
import { createHelperDumpWriter, type HelperCommand } from './helper/helper-dump-writer';

export interface DumpElevationOptions {
  elevator: Elevator;
  /** How to start this app as the helper (defaultHelperCommand()). */
  command: HelperCommand;
  /** The requesting user's uid (process.getuid()); null on Windows. */
  uid: number | null;
}

export interface DumpEngineOptions {
  /** The platform writer, created on first use (createPlatformDumpWriter). */
  writerFactory: () => Promise<DumpWriter>;
  /** Current process rows, for Dump Process Tree (the poller's latest snapshot, or a backend snapshot). */
  readRows: () => Promise<readonly ProcessRow[]>;
  /** Absent: failures for lack of rights are reported but no retry is offered. */
  elevation?: DumpElevationOptions;
  settingsStore: DumpSettingsStore;
  /** Jobs run one at a time by default: each one stops its target, and two dumps would only share the disk. */
  maxConcurrentJobs?: number;
  /** Minimum gap between two progress events of one job (phase changes always go out). */
  progressIntervalMs?: number;
}

export interface DumpEngine {
  /** Queues one dump. Throws DumpError('bad-request') for a malformed request; everything else arrives as events. */
  start(request: DumpJobRequest): Promise<DumpJobInfo>;
  /** Dump Process Tree: one job per process of the subtree. Throws DumpError('process-gone') if the root is gone. */
  startTree(request: DumpJobRequest): Promise<DumpGroupInfo>;
  /**
   * Lists a dump a capture watch already wrote as a finished job (DumpJobInfo.capture says which watch and trigger),
   * so the jobs panel shows it with the others; a file that is gone, a link or the wrong size is listed as failed.
   */
  recordCaptureDump(record: CaptureDumpRecord): Promise<DumpJobInfo>;
  /** False if the job is unknown or already finished. */
  cancel(jobId: DumpJobId): boolean;
  /** Runs a retryable failed job again through the elevated helper. Throws DumpError('bad-request') otherwise. */
  retryElevated(jobId: DumpJobId): DumpJobInfo;
  list(): DumpJobInfo[];
  listGroups(): DumpGroupInfo[];
  get(jobId: DumpJobId): DumpJobInfo | null;
  /** Deletes the dump file of a finished job and takes the job off the list. */
  deleteDump(jobId: DumpJobId): Promise<void>;
  /** Takes a finished, failed or cancelled job off the list, leaving its file. */
  dismiss(jobId: DumpJobId): boolean;
  /** Returns the unsubscribe function. Listeners are called synchronously, in order; a throwing listener is ignored. */
  subscribe(listener: DumpEngineListener): () => void;
  /** The remembered settings, once the folder and kind of the dumps started so far are saved. */
  getSettings(): Promise<DumpSettings>;
  updateSettings(patch: Partial<DumpSettings>): Promise<DumpSettings>;
  /** Cancels every job and waits for running ones to stop and for the settings file to be written. */
  dispose(): Promise<void>;
}

interface JobRecord {
  info: DumpJobInfo;
  abort: AbortController | null;
  done: Promise<void> | null;
  /** The file name's time the dialog showed (DumpRequest.stamp), or null for the writer's clock. */
  stamp: string | null;
  /** DumpRequest.snapshot: the Linux writer dumps a copy-on-write clone (its result says which mode ran). */
  snapshot: boolean;
}

const FINISHED = new Set(['done', 'failed', 'cancelled']);

export function createDumpEngine(options: DumpEngineOptions): DumpEngine {
  const jobs = new Map<DumpJobId, JobRecord>();
  const groups = new Map<string, DumpGroupInfo>();
  const listeners = new Set<DumpEngineListener>();
  const queue: DumpJobId[] = [];
  const maxRunning = Math.max(1, options.maxConcurrentJobs ?? 1);
  const progressIntervalMs = options.progressIntervalMs ?? 100;
  let running = 0;
  let nextId = 1;
  let writer: Promise<DumpWriter> | null = null;
  let elevatedWriter: DumpWriter | null = null;
  let settingsWrite: Promise<void> = Promise.resolve();

  const snapshot = (info: DumpJobInfo): DumpJobInfo => structuredClone(info);
  const emit = (event: DumpEngineEvent): void => {
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch {
        // A broken listener (a closed window) must not stop the jobs or the other listeners.
      }
    }
  };

  function checkRequest(request: DumpJobRequest): void {
    const bad = (m: string): never => {
      throw new DumpError('bad-request', m);
    };
    if (!Number.isSafeInteger(request.pid) || request.pid <= 0) bad(`Process id ${String(request.pid)} cannot be dumped.`);
    if (!Number.isSafeInteger(request.startTimeMs) || request.startTimeMs < 0) bad('The process start time is missing or invalid.');
    if (request.kind !== 'full' && request.kind !== 'mini') bad(`Unknown dump kind '${String(request.kind)}'.`);
    if (typeof request.outDir !== 'string' || !isAbsolute(request.outDir)) bad('Choose an absolute folder for the dump.');
  }

  function addJob(request: DumpJobRequest, groupId: string | null): JobRecord {
    const info: DumpJobInfo = {
      id: `dump-${nextId++}`,
      groupId,
      pid: request.pid,
      startTimeMs: request.startTimeMs,
      // The helper takes 1 to 255 characters; the writer reads the name from the OS when there is none.
      name: request.name ? request.name.slice(0, 255) : null,
      kind: request.kind,
      outDir: request.outDir,
      state: 'queued',
      elevated: false,
      progress: null,
      result: null,
      error: null,
      retryable: false,
      createdAtMs: Date.now(),
      capture: null,
    };
    const record: JobRecord = { info, abort: null, done: null, stamp: request.stamp && DUMP_STAMP_PATTERN.test(request.stamp) ? request.stamp : null,
      snapshot: request.snapshot === true,
    };
    jobs.set(info.id, record);
    queue.push(info.id);
    emit({ type: 'job-added', job: snapshot(info) });
    return record;
  }

  function pump(): void {
    while (running < maxRunning && queue.length) {
      const record = jobs.get(queue.shift()!);
      if (!record || record.info.state !== 'queued') continue;
      running++;
      // A job holds its slot until its file is complete (the target runs again): its hash, which only reads the
      // file, does not keep the next dump of a tree waiting.
      let slotHeld = true;
      const freeSlot = (): void => {
        if (!slotHeld) return;
        slotHeld = false;
        running--;
        pump();
      };
      record.done = run(record, freeSlot).finally(() => {
        record.done = null;
        freeSlot();
      });
    }
  }

  function getWriter(elevated: boolean): Promise<DumpWriter> {
    // A factory that failed (say, the native library did not load) is asked again next time, not cached.
    writer ??= options.writerFactory().catch((err: unknown) => {
      writer = null;
      throw err;
    });
    if (!elevated) return writer;
    return writer.then((w) => {
      const elevation = options.elevation;
      if (!elevation) throw new DumpError('unsupported', 'Procscope cannot ask for administrator rights here.');
      elevatedWriter ??= createHelperDumpWriter({ ...elevation, format: w.format });
      return elevatedWriter;
    });
  }

  async function run(record: JobRecord, onSaved: () => void): Promise<void> {
    const info = record.info;
    const abort = new AbortController();
    record.abort = abort;
    info.state = 'running';
    emit({ type: 'job-started', job: snapshot(info) });
    let lastProgressMs = 0;
    let lastPhase: DumpProgress['phase'] | null = null;
    const onProgress = (progress: DumpProgress): void => {
      info.progress = progress;
      const now = Date.now();
      if (progress.phase === lastPhase && now - lastProgressMs < progressIntervalMs) return;
      lastProgressMs = now;
      lastPhase = progress.phase;
      emit({ type: 'job-progress', jobId: info.id, progress });
    };
    // Saved at file complete (issue 15): the job is done and shows its file while the hash is still computing.
    let saved: DumpResult | null = null;
    const onFileComplete = (result: DumpResult): void => {
      if (saved) return;
      saved = result;
      info.state = 'done';
      info.result = result;
      info.error = null;
      emit({ type: 'job-done', jobId: info.id, result });
      onSaved();
    };
    const hashed = (result: DumpResult): void => {
      record.abort = null;
      info.result = result;
      // A job dismissed while its hash ran is gone from the list: nobody is told about it any more.
      if (jobs.get(info.id) === record) emit({ type: 'job-hashed', jobId: info.id, result });
    };
    let result: DumpResult;
    try {
      if (!info.elevated) await createDumpFolder(info.outDir);
      const w = await getWriter(info.elevated);
      if (abort.signal.aborted) throw new DumpError('cancelled', cancelledInfo().message);
      const writeOptions = { signal: abort.signal, onProgress, onFileComplete, ...(info.name !== null ? { nameHint: info.name } : {}) };
      // The dialog's time goes to our own writer only: a retry as administrator is a later dump, named when it runs.
      const stamp = !info.elevated && record.stamp ? { stamp: record.stamp } : {};
      const snapshotMode = record.snapshot ? { snapshot: true } : {};
      result = await w.write({ pid: info.pid, startTimeMs: info.startTimeMs, kind: info.kind, outDir: info.outDir, ...stamp, ...snapshotMode }, writeOptions);
    } catch (err) {
      if (saved) {
        // The file was complete before this failure (the hash, or the helper's last answer): the dump stays saved.
        const hashError = abort.signal.aborted ? { code: 'cancelled' as const, message: HASH_CANCELLED_MESSAGE } : toDumpErrorInfo(err);
        hashed({ ...(saved as DumpResult), sha256: null, hash: 'failed', hashError });
        return;
      }
      const error = abort.signal.aborted ? cancelledInfo() : toDumpErrorInfo(err);
      info.state = error.code === 'cancelled' ? 'cancelled' : 'failed';
      info.error = error;
      info.retryable = !!options.elevation && (error.code === 'needs-elevation' || error.code === 'elevation-cancelled');
      record.abort = null;
      emit({ type: 'job-failed', jobId: info.id, error, retryable: info.retryable });
      return;
    }
    if (saved) return hashed(result);
    record.abort = null;
    info.state = 'done';
    info.result = result;
    emit({ type: 'job-done', jobId: info.id, result });
  }

  function mustGet(jobId: DumpJobId): JobRecord {
    const record = jobs.get(jobId);
    if (!record) throw new DumpError('bad-request', 'That dump job is not on the list any more.');
    return record;
  }

  async function recordCheckedCaptureDump(record: CaptureDumpRecord): Promise<DumpJobInfo> {
    const checked = await checkCaptureDumpFile(record);
    const info: DumpJobInfo = {
      id: `dump-${nextId++}`,
      groupId: null,
      pid: record.pid,
      startTimeMs: record.startTimeMs,
      name: record.name.slice(0, 255) || null,
      kind: record.kind,
      outDir: dirname(record.path),
      state: 'result' in checked ? 'done' : 'failed',
      elevated: record.elevated,
      progress: null,
      result: 'result' in checked ? checked.result : null,
      error: 'error' in checked ? checked.error : null,
      retryable: false,
      createdAtMs: Date.now(),
      capture: { watchId: record.watchId, trigger: record.trigger },
    };
    jobs.set(info.id, { info, abort: null, done: null, stamp: null, snapshot: false });
    emit({ type: 'job-added', job: snapshot(info) });
    return snapshot(info);
  }

  /** Capture dumps are recorded one at a time, in the order they were reported (see recordCaptureDump). */
  let captureRecords: Promise<unknown> = Promise.resolve();

  return {
    async start(request) {
      checkRequest(request);
      // A folder that cannot be made is refused here, where the dialog shows it (and it is not remembered), rather
      // than as a failed job in the panel after the dialog has closed.
      await checkDumpFolder(request.outDir);
      const record = addJob(request, null);
      rememberChoice(request);
      pump();
      return snapshot(record.info);
    },

    async startTree(request) {
      checkRequest(request);
      await checkDumpFolder(request.outDir);
      const rows = await options.readRows();
      const root = rows.find((r) => r.pid === request.pid && r.startTimeMs === request.startTimeMs);
      if (!root) {
        throw new DumpError('process-gone', `Process ${request.pid} has exited, so its tree cannot be dumped. Refresh the list and try again.`);
      }
      const members = collectSubtree(buildProcessTree(rows), root);
      const group: DumpGroupInfo = {
        id: `group-${nextId++}`,
        rootPid: root.pid,
        rootStartTimeMs: root.startTimeMs,
        rootName: root.name,
        kind: request.kind,
        outDir: request.outDir,
        jobIds: [],
      };
      groups.set(group.id, group);
      for (const row of members) {
        const stamp = request.stamp ? { stamp: request.stamp } : {};
        const snapshotMode = request.snapshot === true ? { snapshot: true } : {};
        const job = { pid: row.pid, startTimeMs: row.startTimeMs, kind: request.kind, outDir: request.outDir, name: row.name, ...stamp, ...snapshotMode };
        const record = addJob(job, group.id);
        group.jobIds.push(record.info.id);
      }
      emit({ type: 'group-added', group: structuredClone(group) });
      rememberChoice(request);
      pump();
      return structuredClone(group);
    },

    recordCaptureDump(record) {
      // One after another, in the order the watch reported them: each check opens and reads its file, and a quick
      // refusal (a missing file) used to overtake a slower check, listing a watch's dumps out of order.
      const recorded = captureRecords.then(() => recordCheckedCaptureDump(record));
      captureRecords = recorded.catch(() => undefined);
      return recorded;
    },

    cancel,

    retryElevated(jobId) {
      const record = mustGet(jobId);
      const info = record.info;
      if (info.state !== 'failed' || !info.retryable) {
        throw new DumpError('bad-request', 'Only a dump that failed for lack of rights can be retried as administrator.');
      }
      Object.assign(info, { state: 'queued', elevated: true, error: null, progress: null, retryable: false });
      queue.push(info.id);
      emit({ type: 'job-requeued', job: snapshot(info) });
      pump();
      return snapshot(info);
    },

    list: () => [...jobs.values()].map((r) => snapshot(r.info)),
    listGroups: () => [...groups.values()].map((g) => structuredClone(g)),
    get: (jobId) => {
      const record = jobs.get(jobId);
      return record ? snapshot(record.info) : null;
    },

    async deleteDump(jobId) {
      const record = mustGet(jobId);
      const result = record.info.result;
      if (record.info.state !== 'done' || !result) throw new DumpError('bad-request', 'Only a finished dump can be deleted.');
      // Still hashing: stop it first, so nothing reads the file while it goes.
      if (record.abort) {
        record.abort.abort();
        await record.done;
      }
      try {
        await rm(result.path, { force: true });
        // Its analysis pack goes with it — only ever the file beside it, whatever else the result might name.
        if (result.analysisPackPath === `${result.path}.pack`) await rm(result.analysisPackPath, { force: true });
      } catch (err) {
        const info = toDumpErrorInfo(err);
        throw new DumpError(info.code, `The dump file could not be deleted (${info.message}) Delete ${result.path} by hand.`);
      }
      removeJob(jobId);
    },

    dismiss(jobId) {
      const record = jobs.get(jobId);
      if (!record || !FINISHED.has(record.info.state)) return false;
      removeJob(jobId);
      return true;
    },

    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    // The last dump's folder and kind are written in the background (rememberChoice); a dialog opened right after
    // a dump must see them, and a person's own change must not be overwritten by that write, so both wait for it.
    getSettings: async () => {
      await settingsWrite;
      return options.settingsStore.load();
    },
    updateSettings: async (patch) => {
      await settingsWrite;
      return options.settingsStore.update(patch);
    },

    async dispose() {
      for (const id of jobs.keys()) cancel(id);
      await Promise.all([...jobs.values()].map((r) => r.done ?? Promise.resolve()));
      await settingsWrite;
      listeners.clear();
    },
  };

  function cancel(jobId: DumpJobId): boolean {
    const record = jobs.get(jobId);
    if (!record) return false;
    if (FINISHED.has(record.info.state)) {
      // A saved dump whose hash is still computing: the cancel stops the hash only, the file stays.
      if (record.info.state !== 'done' || !record.abort) return false;
      record.abort.abort();
      return true;
    }
    if (record.info.state === 'queued') {
      record.info.state = 'cancelled';
      record.info.error = cancelledInfo();
      emit({ type: 'job-failed', jobId, error: record.info.error, retryable: false });
    } else {
      record.abort?.abort();
    }
    return true;
  }

  function removeJob(jobId: DumpJobId): void {
    jobs.delete(jobId);
    for (const group of groups.values()) {
      group.jobIds = group.jobIds.filter((id) => id !== jobId);
      if (group.jobIds.length === 0) groups.delete(group.id);
    }
    emit({ type: 'job-removed', jobId });
  }

  function rememberChoice(request: DumpJobRequest): void {
    // Remembering is a convenience: a read-only config folder must not fail the dump.
    settingsWrite = settingsWrite
      .then(() => options.settingsStore.update({ dumpDir: request.outDir, lastKind: request.kind }))
      .then(
        () => {},
        () => {},
      );
  }
}

/**
 * What a dump's folder must be before its job is queued: a folder, or a missing last part whose parent is a folder
 * (the job makes it, as createDumpFolder does). Anything else that stops us looking (no rights to look) is left to
 * the job, which can then offer a retry as administrator.
 */
export async function checkDumpFolder(outDir: string): Promise<void> {
  const kindOf = async (path: string): Promise<'folder' | 'other' | 'missing' | 'unknown'> => {
    try {
      return (await stat(path)).isDirectory() ? 'folder' : 'other';
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'unknown';
    }
  };
  const here = await kindOf(outDir);
  if (here === 'other') throw new DumpError('folder-unwritable', `'${outDir}' is a file, not a folder. Choose a folder.`);
  if (here !== 'missing') return;
  const parent = await kindOf(dirname(outDir));
  if (parent === 'missing' || parent === 'other') {
    throw new DumpError('folder-unwritable', `The folder '${dirname(outDir)}' does not exist, so '${basename(outDir)}' cannot be made in it. Choose an existing folder.`);
  }
}

/**
 * Makes the chosen folder when it is missing (the first dump into the default folder), but only its last part:
 * a mistyped path is refused with a sentence rather than silently built. Dumps hold secrets, so a folder we
 * create is for this user only.
 */
export async function createDumpFolder(outDir: string): Promise<void> {
  try {
    await mkdir(outDir, { mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code === 'ENOENT') {
      throw new DumpError('folder-unwritable', `The folder '${dirname(outDir)}' does not exist, so '${basename(outDir)}' cannot be made in it. Choose an existing folder.`);
    }
    throw err;
  }
}
