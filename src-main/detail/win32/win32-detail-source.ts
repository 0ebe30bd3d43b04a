/*
 * The Windows ProcessDetailSource (detail-source.ts): each Properties part read only when asked and answered on its
 * own — one failing part never blanks another — by the readers beside it (win32-process-parts.ts, win32-threads.ts,
 * win32-handles.ts); one thread's stack; single-thread actions; Find Handle or DLL. The target's identity is
 * checked before the parts and after them (a process gone or recycled meanwhile refuses the whole call). Keeps only
 * what a read needs from the previous one (CPU times for CPU %, version resources by path), dropped with the
 * process. Runs in the main process / CLI, on Windows and under Wine.
 */
import { processKey } from '../../../src-shared/model/process';
import type { DetailPart } from '../../../src-shared/model/process-detail';
import type { ProcessTarget } from '../../platform/backend';
import { currentProcessId } from '../../platform/win32/ffi/threads';
import { createFindCollector, partResult, type ProcessDetailSource, type SourceParts } from '../detail-source';
import { findHandleOrDll, readHandles } from './win32-handles';
import { readEnvironment, readImage, readModules, readPerformanceSample, readServices, readSockets, VersionCache } from './win32-process-parts';
import { checkIdentity } from './win32-target';
import { newThreadMemory, readThreads, readThreadStack, threadAction, type ThreadMemory } from './win32-threads';

/** Processes whose per-read state is kept at once; the oldest is dropped beyond it. */
const MAX_PROCESSES = 64;

interface PerProcess {
  threads: ThreadMemory;
  lastCpu: { cpuTimeMs: number; atMs: number } | null;
}

export function createWin32DetailSource(): ProcessDetailSource {
  const versions = new VersionCache();
  const state = new Map<string, PerProcess>();
  const stateOf = (t: ProcessTarget): PerProcess => {
    const key = processKey(t.pid, t.startTimeMs);
    let s = state.get(key);
    if (!s) {
      if (state.size >= MAX_PROCESSES) state.delete(state.keys().next().value!);
      s = { threads: newThreadMemory(), lastCpu: null };
      state.set(key, s);
    }
    return s;
  };
  const readPart = async (target: ProcessTarget, part: DetailPart, out: SourceParts): Promise<void> => {
    switch (part) {
      case 'image':
        out.image = await partResult(() => readImage(target, versions));
        return;
      case 'performance':
        out.performance = await partResult(() => {
          const s = stateOf(target);
          const { sample, cpuTimeMs } = readPerformanceSample(target, s.lastCpu);
          s.lastCpu = { cpuTimeMs, atMs: sample.timestampMs };
          return sample;
        });
        return;
      case 'threads':
        out.threads = await partResult(() => readThreads(target, stateOf(target).threads));
        return;
      case 'modules':
        out.modules = await partResult(() => readModules(target, versions));
        return;
      case 'handles':
        out.handles = await partResult(() => readHandles(target));
        return;
      case 'sockets':
        out.sockets = await partResult(() => readSockets(target));
        return;
      case 'services':
        out.services = await partResult(() => readServices(target));
        return;
      case 'environment':
        out.environment = await partResult(() => readEnvironment(target));
        return;
    }
  };
  return {
    platform: 'win32',
    async readParts(target, parts) {
      checkIdentity(target);
      const out: SourceParts = {};
      for (const part of new Set(parts)) await readPart(target, part, out);
      // Gone or recycled while the parts were read: the whole call is refused, none of it is shown.
      checkIdentity(target);
      return out;
    },
    readThreadStack: (target, tid) => readThreadStack(target, tid),
    threadAction: (target, tid, action) => threadAction(target, tid, action),
    findHandleOrDll: (query, limits) => findHandleOrDll(createFindCollector(query, limits), currentProcessId()),
    retainOnly(keys) {
      for (const key of state.keys()) if (!keys.has(key)) state.delete(key);
    },
    dispose() {
      state.clear();
    },
  };
}
