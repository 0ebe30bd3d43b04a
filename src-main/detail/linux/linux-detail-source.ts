/*
 * The Linux detail source: each Properties part read from /proc only when asked (linux-parts.ts), a thread's stack
 * by ptrace in a short-lived worker (thread-stack.ts), Suspend / Resume / Kill of one thread through the thread
 * holder (thread-holder.ts), Find Handle or DLL over every process's maps and fds.
 *
 * Identity: the target's start time (field 22 of /proc/PID/stat) is checked before anything is read and again
 * after every part is read; a pid that exited or was recycled in between refuses the whole call ('process-gone' /
 * 'pid-recycled'), so no tab ever shows a newer process's data under the old one's name.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { DetailPart, FindResult, ImageDetail, ThreadAction } from '../../../src-shared/model/process-detail';
import { processKey } from '../../../src-shared/model/process';
import type { ProcessTarget } from '../../platform/backend';
import { parseProcStat, PF_KTHREAD, statStateOf } from '../../platform/linux/proc-stat';
import { parseProcStatusUids } from '../../platform/linux/proc-status';
import { readProcessStartTimeMs, startTicksToEpochMs } from '../../platform/linux/proc-start-time';
import { createUserNameCache } from '../../platform/linux/user-names';
import {
  createFindCollector,
  DetailFailure,
  partResult,
  unsupportedThreadAction,
  type DetailSourceContext,
  type FindLimits,
  type ProcessDetailSource,
  type SourceParts,
} from '../detail-source';
import { dpkgOwnerOf } from './dpkg-owner';
import {
  readCommandLine,
  readCwd,
  readEnvironment,
  readExe,
  readHandles,
  readIs32Bit,
  readModules,
  readPerformanceSample,
  readServices,
  readServiceUnit,
  readSockets,
  readThreads,
  unitFilePath,
  type ThreadCpu,
} from './linux-parts';
import { parseMaps } from '../../dump/linux/proc-maps';
import { findSyscallInstructionSync } from '../../dump/linux/snapshot/linux-snapshot';
import { procRead } from './proc-errors';
import { createThreadHolder } from './thread-holder';
import { readThreadStackInWorker, unwindStackCopy } from './thread-stack';

export function checkLinuxIdentity(target: ProcessTarget): void {
  const start = readProcessStartTimeMs(target.pid);
  if (start === null) throw new DetailFailure('process-gone', `Process ${target.pid} has exited.`);
  if (start !== target.startTimeMs) throw new DetailFailure('pid-recycled', `Pid ${target.pid} now belongs to a newer process; the one you chose has exited.`);
}

interface ParentInfo {
  name: string | null;
  exited: boolean;
}

/** The parent's name while it runs — only if that pid's process started before the child (else it is a newer one). */
async function parentOf(ppid: number, childStartMs: number, context: DetailSourceContext): Promise<ParentInfo> {
  if (ppid === 0) return { name: null, exited: false };
  const row = context.rows()?.find((r) => r.pid === ppid);
  if (row && row.startTimeMs <= childStartMs && readProcessStartTimeMs(ppid) === row.startTimeMs) return { name: row.name, exited: false };
  const buf = await readFile(`/proc/${ppid}/stat`).catch(() => null);
  const st = buf ? parseProcStat(buf, buf.length) : null;
  if (!st || startTicksToEpochMs(st.startTicks) > childStartMs) return { name: null, exited: true };
  return { name: st.name, exited: false };
}

/**
 * The refusals before any thread of `target` is held (stack, suspend, kill): a tid that is not one of its threads,
 * Procscope's own process, a kernel thread, and the host's own children.
 */
async function refuseUnholdable(target: ProcessTarget, tid: number): Promise<void> {
  if (!Number.isSafeInteger(tid) || tid <= 0) throw new DetailFailure('failed', `${tid} is not a thread id.`);
  const tgid = await readFile(`/proc/${target.pid}/task/${tid}/status`, 'latin1').then(
    (s) => Number(/^Tgid:\s*(\d+)/m.exec(s)?.[1] ?? 0),
    () => 0,
  );
  if (tgid !== target.pid) throw new DetailFailure('process-gone', `Thread ${tid} is not (or no longer) a thread of process ${target.pid}.`);
  if (target.pid === process.pid) {
    throw new DetailFailure('unsupported', 'Procscope cannot hold one of its own threads (Linux refuses to trace a thread of the same process).');
  }
  const statBuf = await readFile(`/proc/${target.pid}/stat`).catch(() => null);
  const st = statBuf ? parseProcStat(statBuf, statBuf.length) : null;
  if (st && (st.flags & PF_KTHREAD) !== 0) throw new DetailFailure('unsupported', 'A kernel thread cannot be held: it has no user-space stack and runs no user code.');
  // A child of this process: libuv (and Chromium) wait on their children by pid, and Linux reports a ptrace stop
  // of a child to every thread of its tracer's process, so the main thread would take the hold for the child's
  // exit (and close its pipes). Holding one of our own children is refused rather than risked.
  if (st && st.ppid === process.pid) {
    throw new DetailFailure('unsupported', 'Procscope does not hold threads of its own child processes (its child-process watcher would take the hold for an exit).');
  }
}

export function createLinuxDetailSource(): ProcessDetailSource {
  const userName = createUserNameCache();
  /** Per process: each thread's CPU time at the previous Threads read. */
  const threadCpu = new Map<string, Map<number, ThreadCpu>>();
  const holder = createThreadHolder();
  // One thread operation at a time (stack, suspend, resume, kill): a stack worker and the holder must never try to
  // trace the same thread at once (the second SEIZE would fail), and holds should not pile up.
  let threadQueue: Promise<unknown> = Promise.resolve();
  const queued = <T>(run: () => Promise<T>): Promise<T> => {
    const done = threadQueue.then(run);
    threadQueue = done.catch(() => undefined);
    return done;
  };

  async function readImage(target: ProcessTarget, context: DetailSourceContext): Promise<ImageDetail> {
    const { pid } = target;
    const status = await procRead('the process status', () => readFile(`/proc/${pid}/status`, 'latin1'));
    const ppid = Number(/^PPid:\s*(\d+)/m.exec(status)?.[1] ?? 0);
    const uids = parseProcStatusUids(status);
    const [exePath, commandLine, currentDirectory, parent, unit, is32Bit] = await Promise.all([
      readExe(pid),
      readCommandLine(pid),
      readCwd(pid),
      parentOf(ppid, target.startTimeMs, context),
      readServiceUnit(pid).catch(() => null),
      readIs32Bit(pid),
    ]);
    const [packageOwner, autostartLocation] = await Promise.all([
      exePath && !exePath.endsWith(' (deleted)') ? dpkgOwnerOf(exePath) : Promise.resolve(null),
      unit ? unitFilePath(unit, null) : Promise.resolve(null),
    ]);
    return {
      exePath,
      commandLine,
      currentDirectory,
      parentPid: ppid,
      parentName: parent.name,
      parentExited: parent.exited,
      user: uids ? userName(uids.effectiveUid) : null,
      startTimeMs: target.startTimeMs,
      description: null,
      companyName: null,
      version: null,
      packageOwner,
      is32Bit,
      elevated: uids ? uids.effectiveUid === 0 : null,
      integrityLevel: null,
      autostartLocation,
    };
  }

  return {
    platform: 'linux',
    async readParts(target, parts: readonly DetailPart[], context): Promise<SourceParts> {
      checkLinuxIdentity(target);
      const { pid } = target;
      const key = processKey(pid, target.startTimeMs);
      const out: SourceParts = {};
      await Promise.all(
        parts.map(async (part) => {
          switch (part) {
            case 'image':
              out.image = await partResult(() => readImage(target, context));
              break;
            case 'performance':
              out.performance = await partResult(() => readPerformanceSample(pid));
              break;
            case 'threads': {
              let previous = threadCpu.get(key);
              if (!previous) threadCpu.set(key, (previous = new Map()));
              // A thread Procscope holds shows as suspended (its /proc state, 't', says only "traced").
              out.threads = await partResult(async () => (await readThreads(pid, previous)).map((t) => (holder.isHeld(t.tid) ? { ...t, state: 'suspended' } : t)));
              break;
            }
            case 'modules':
              out.modules = await partResult(() => readModules(pid));
              break;
            case 'handles':
              out.handles = await partResult(() => readHandles(pid));
              break;
            case 'sockets':
              out.sockets = await partResult(() => readSockets(pid));
              break;
            case 'services':
              out.services = await partResult(() => readServices(pid));
              break;
            case 'environment':
              out.environment = await partResult(() => readEnvironment(pid));
              break;
          }
        }),
      );
      // A part that failed because the process went away, or anything read from a pid that was recycled meanwhile.
      checkLinuxIdentity(target);
      return out;
    },

    async readThreadStack(target, tid) {
      checkLinuxIdentity(target);
      await refuseUnholdable(target, tid);
      const stack = await queued(async () => {
        // A suspended thread is traced by the holder already (a second tracer's SEIZE fails): its tracer copies it.
        if (holder.isHeld(tid)) {
          const read = await unwindStackCopy(target.pid, tid, await holder.copyStack(target.pid, tid));
          const stays = 'The thread stays suspended (Resume lets it go).';
          return { ...read, note: read.note ? `${read.note} ${stays}` : stays };
        }
        return readThreadStackInWorker(target.pid, tid);
      });
      checkLinuxIdentity(target);
      return stack;
    },

    async threadAction(target, tid, action: ThreadAction) {
      checkLinuxIdentity(target);
      if (action === 'resume') {
        if (!Number.isSafeInteger(tid) || tid <= 0) throw new DetailFailure('failed', `${tid} is not a thread id.`);
        await queued(async () => {
          if (!holder.isHeld(tid)) {
            const state = await readFile(`/proc/${target.pid}/task/${tid}/stat`, 'latin1').then(statStateOf, () => null);
            if (state === null) throw new DetailFailure('process-gone', `Thread ${tid} is not (or no longer) a thread of process ${target.pid}.`);
            const why = state === 'T' ? ' (it is stopped with its whole process: resume the process instead)' : state === 't' ? ' (another tracer, a debugger or strace, holds it)' : '';
            throw new DetailFailure('failed', `Thread ${tid} is not suspended by Procscope, so there is nothing to resume${why}.`);
          }
          await holder.release(target.pid, tid);
        });
        return;
      }
      await refuseUnholdable(target, tid);
      if (action === 'suspend') {
        await queued(async () => {
          if (holder.isHeld(tid)) throw new DetailFailure('failed', `Thread ${tid} is already suspended.`);
          await holder.hold(target.pid, tid);
        });
        checkLinuxIdentity(target);
        return;
      }
      // Kill: Linux has no call that ends one thread of another process (tgkill with a fatal signal ends them all),
      // so the thread is made to call exit(2) itself, which ends only the calling thread.
      if (process.arch !== 'x64') throw unsupportedThreadAction('kill', 'a single thread is killed by making it call exit, which Procscope does on x86-64 only.');
      if (tid === target.pid) {
        throw unsupportedThreadAction('kill', 'the main thread of a Linux process stays behind as a zombie while the others run on, which tools take for a dead process; kill the process instead.');
      }
      await queued(() =>
        holder.exitThread(target.pid, tid, async () => {
          const maps = await procRead('the memory map', () => readFile(`/proc/${target.pid}/maps`, 'latin1'));
          return findSyscallInstructionSync(target.pid, parseMaps(maps));
        }),
      );
      if (existsSync(`/proc/${target.pid}/task/${tid}`)) throw new DetailFailure('failed', `Thread ${tid} called exit but is still listed in /proc/${target.pid}/task.`);
    },

    async findHandleOrDll(query: string, limits: FindLimits, context): Promise<FindResult> {
      const found = createFindCollector(query, limits);
      const rows = context.rows() ?? [];
      const pids = rows;
      for (let i = 0; i < pids.length && !found.full(); i += 16) {
        await Promise.all(
          pids.slice(i, i + 16).map(async (row) => {
            const modules = await readModules(row.pid, false).catch(() => null);
            const handles = await readHandles(row.pid, { light: true }).catch(() => null);
            if (readProcessStartTimeMs(row.pid) !== row.startTimeMs) return; // exited or recycled meanwhile
            if (modules === null && handles === null) {
              found.countUnreadable();
              return;
            }
            const base = { pid: row.pid, startTimeMs: row.startTimeMs, processName: row.name };
            for (const m of modules ?? []) if (found.matches(m.path) && !found.add({ ...base, kind: 'module', name: m.path, handle: null })) return;
            if (handles === null) found.countUnreadable();
            for (const h of handles ?? []) {
              if (h.name !== null && found.matches(h.name) && !found.add({ ...base, kind: h.kind, name: h.name, handle: h.handle })) return;
            }
          }),
        );
      }
      return found.result();
    },

    retainOnly(keys) {
      for (const key of [...threadCpu.keys()]) if (!keys.has(key)) threadCpu.delete(key);
    },
    dispose() {
      threadCpu.clear();
      // Every suspended thread runs on.
      holder.dispose();
    },
  };
}
