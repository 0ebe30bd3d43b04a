/*
 * The Linux detail source: each Properties part read from /proc only when asked (linux-parts.ts), a thread's stack
 * by ptrace in a short-lived worker (thread-stack.ts), Find Handle or DLL over every process's maps and fds.
 *
 * Identity: the target's start time (field 22 of /proc/PID/stat) is checked before anything is read and again
 * after every part is read; a pid that exited or was recycled in between refuses the whole call ('process-gone' /
 * 'pid-recycled'), so no tab ever shows a newer process's data under the old one's name.
 */
import { readFile } from 'node:fs/promises';
import type { DetailPart, FindResult, ImageDetail, ThreadAction } from '../../../src-shared/model/process-detail';
import { processKey } from '../../../src-shared/model/process';
import type { ProcessTarget } from '../../platform/backend';
import { parseProcStat, PF_KTHREAD } from '../../platform/linux/proc-stat';
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
import { procRead } from './proc-errors';
import { readThreadStackInWorker } from './thread-stack';

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

export function createLinuxDetailSource(): ProcessDetailSource {
  const userName = createUserNameCache();
  /** Per process: each thread's CPU time at the previous Threads read. */
  const threadCpu = new Map<string, Map<number, ThreadCpu>>();
  let stackQueue: Promise<unknown> = Promise.resolve();

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
              out.threads = await partResult(() => readThreads(pid, previous));
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
      const tgid = await readFile(`/proc/${target.pid}/task/${tid}/status`, 'latin1').then(
        (s) => Number(/^Tgid:\s*(\d+)/m.exec(s)?.[1] ?? 0),
        () => 0,
      );
      if (tgid !== target.pid) throw new DetailFailure('process-gone', `Thread ${tid} is not (or no longer) a thread of process ${target.pid}.`);
      if (target.pid === process.pid) {
        throw new DetailFailure('unsupported', 'Procscope cannot hold one of its own threads to read its stack (Linux refuses to trace a thread of the same process).');
      }
      const statBuf = await readFile(`/proc/${target.pid}/stat`).catch(() => null);
      const st = statBuf ? parseProcStat(statBuf, statBuf.length) : null;
      if (st && (st.flags & PF_KTHREAD) !== 0) throw new DetailFailure('unsupported', 'A kernel thread has no user-space stack to read.');
      // A child of this process: libuv (and Chromium) wait on their children by pid, and Linux reports a ptrace stop
      // of a child to every thread of its tracer's process, so the main thread would take the hold for the child's
      // exit (and close its pipes). Holding one of our own children is refused rather than risked.
      if (st && st.ppid === process.pid) {
        throw new DetailFailure('unsupported', 'Procscope does not hold threads of its own child processes (its child-process watcher would take the hold for an exit).');
      }
      // One hold at a time: a second SEIZE of a thread we hold would fail, and holds should not pile up.
      const run = stackQueue.then(() => readThreadStackInWorker(target.pid, tid));
      stackQueue = run.catch(() => undefined);
      const stack = await run;
      checkLinuxIdentity(target);
      return stack;
    },

    async threadAction(target, tid, action: ThreadAction) {
      checkLinuxIdentity(target);
      if (action === 'kill') {
        throw unsupportedThreadAction('kill', 'Linux has no call that ends one thread of another process; only the whole process can be killed.');
      }
      throw unsupportedThreadAction(
        action,
        'Linux stops and continues whole processes (SIGSTOP / SIGCONT reach every thread); holding one thread would need a debugger attached to it for as long as it stays suspended.',
      );
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
    },
  };
}
