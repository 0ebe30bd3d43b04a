/*
 * The Handles tab and Find Handle or DLL on Windows. The handle list comes from one system-wide
 * NtQuerySystemInformation(SystemExtendedHandleInformation); each handle is duplicated into our process for its
 * type (NtQueryObject ObjectTypeInformation, cached per type index) and its name. A File object is touched only on
 * koffi's worker thread with a timeout per call — NtQueryObject(ObjectNameInformation) can block forever on a
 * synchronous file another thread waits in (a pipe) — and named only when GetFileType says disk (a pipe, console or
 * socket stays unnamed). A call that times out is abandoned (its duplicate closed only once it comes back), and at
 * most two such calls can ever hold pool threads (fileCall). Other objects' names (keys, events, sections) cannot
 * block and are read directly; process and thread handles are named after the process they hold. NT device paths
 * become drive paths, \REGISTRY\MACHINE becomes HKLM. Runs in the main process / CLI.
 */
import type { FindResult, HandleDetail, HandleKind } from '../../../src-shared/model/process-detail';
import type { ProcessTarget } from '../../platform/backend';
import type { SystemHandleRecord } from '../../platform/win32/ffi/detail-structs';
import {
  dosDevices, duplicateHandleFrom, getFileTypeAsync, getProcessIdOfHandle, getThreadIdOfHandle, queryObjectName,
  queryObjectNameAsync, queryObjectTypeName, querySystemHandles,
} from '../../platform/win32/ffi/handles';
import { readTokenUserSid } from '../../platform/win32/ffi/advapi32';
import { currentProcess, openProcess, ProcessAccess } from '../../platform/win32/ffi/kernel32';
import { querySystemProcessInformation } from '../../platform/win32/ffi/ntdll';
import { enumProcessModules } from '../../platform/win32/ffi/process-memory';
import { parseSystemProcessInformation, type SystemProcessRecord } from '../../platform/win32/ffi/system-process-parse';
import { getProcessIdOfThread } from '../../platform/win32/ffi/threads';
import type { WinHandle } from '../../platform/win32/ffi/win-types';
import { isDirectoryPath } from './win32-process-parts';
import { DetailFailure, type FindCollector } from '../detail-source';
import { withIdentity } from './win32-target';

/** How long one File-object call may take before it is abandoned. */
export const NAME_TIMEOUT_MS = 250;
/**
 * File-object calls on koffi's worker pool at once, counting abandoned ones that have not come back: a blocked call
 * holds a pool thread (which Node's fs and our dumps share), so at most this many can ever be held, and while that
 * many are, File objects are listed without their name.
 */
const MAX_FILE_CALLS = 2;
const FILE_TYPE_DISK = 1;
const FILE_TYPE_CHAR = 2;
const FILE_TYPE_PIPE = 3;

let fileCalls = 0;
let stuckCalls = 0;
const waiting: (() => void)[] = [];

/**
 * Runs `start` (a call on koffi's worker that uses `dup`) within the limits above: its answer, 'timeout' (abandoned:
 * `dup` is closed only when the call comes back, since the worker still uses it), or 'skipped' while the pool holds
 * the most blocked calls allowed.
 */
export async function fileCall<T>(dup: Pick<WinHandle, 'close'>, start: () => Promise<T>): Promise<{ value: T } | 'timeout' | 'skipped'> {
  while (fileCalls >= MAX_FILE_CALLS) {
    if (stuckCalls >= MAX_FILE_CALLS) return 'skipped';
    await new Promise<void>((r) => waiting.push(r));
  }
  fileCalls++;
  const call = start();
  const done = (): void => {
    fileCalls--;
    waiting.shift()?.();
  };
  const r = await withTimeout(call, NAME_TIMEOUT_MS);
  if (r) {
    done();
    return r;
  }
  stuckCalls++;
  // Those waiting look again: with the pool's share held by blocked calls they give up instead of waiting forever.
  for (const wake of waiting.splice(0)) wake();
  void call.finally(() => {
    stuckCalls--;
    dup.close();
    done();
  });
  return 'timeout';
}

const KINDS: Record<string, HandleKind> = {
  Key: 'key', Event: 'event', Process: 'process', Thread: 'thread', Section: 'section', Directory: 'other',
};

/**
 * `\Device\HarddiskVolume3\x` → `C:\x`, `\??\C:\x` → `C:\x`, `\REGISTRY\MACHINE\…` → `HKLM\…`, and our own
 * user's `\REGISTRY\USER\<sid>` → `HKCU`.
 */
export function friendlyObjectName(name: string, devices: readonly [string, string][], userSid: string | null = null): string {
  if (name.startsWith('\\??\\')) return name.slice(4);
  for (const [letter, device] of devices) {
    if (name.toLowerCase() === device.toLowerCase()) return `${letter}\\`;
    if (name.toLowerCase().startsWith(`${device.toLowerCase()}\\`)) return letter + name.slice(device.length);
  }
  const reg: [string, string][] = [['\\REGISTRY\\MACHINE', 'HKLM'], ...(userSid ? [[`\\REGISTRY\\USER\\${userSid.toUpperCase()}`, 'HKCU'] as [string, string]] : []), ['\\REGISTRY\\USER', 'HKU']];
  for (const [from, to] of reg) if (name.toUpperCase() === from || name.toUpperCase().startsWith(`${from}\\`)) return to + name.slice(from.length);
  return name;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<{ value: T } | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), ms);
    p.then((value) => {
      clearTimeout(timer);
      resolve({ value });
    }, () => {
      clearTimeout(timer);
      resolve(null);
    });
  });
}

interface NameContext {
  devices: [string, string][];
  /** Our own user's SID: its HKU branch is HKCU, as regedit and Process Explorer name it. */
  userSid: string | null;
  processes: Map<number, SystemProcessRecord>;
  types: Map<number, string>;
}

function newContext(): NameContext {
  const { bytes, baseAddress } = querySystemProcessInformation();
  return { devices: dosDevices(), userSid: readTokenUserSid(currentProcess()), processes: new Map(parseSystemProcessInformation(bytes, baseAddress).map((r) => [r.pid, r])), types: new Map() };
}

/** Type, kind and name of one handle held by `owner` (opened with PROCESS_DUP_HANDLE). */
async function describeHandle(owner: WinHandle, rec: SystemHandleRecord, ctx: NameContext): Promise<HandleDetail> {
  const detail: HandleDetail = { handle: `0x${rec.handle.toString(16)}`, kind: 'other', type: ctx.types.get(rec.objectTypeIndex) ?? 'Unknown', name: null, access: `0x${rec.grantedAccess.toString(16)}` };
  const dup = duplicateHandleFrom(owner, rec.handle);
  if (!dup) return detail;
  let keep = false;
  try {
    let type = ctx.types.get(rec.objectTypeIndex);
    if (!type) {
      type = queryObjectTypeName(dup) ?? 'Unknown';
      // Index 0 is no type (a list that leaves it unfilled): asked per handle then, never cached.
      if (type !== 'Unknown' && rec.objectTypeIndex !== 0) ctx.types.set(rec.objectTypeIndex, type);
    }
    detail.type = type;
    detail.kind = KINDS[type] ?? 'other';
    if (type === 'File') {
      const typed = await fileCall(dup, () => getFileTypeAsync(dup));
      if (typed === 'timeout') keep = true;
      if (typeof typed === 'string') return detail;
      const fileType = typed.value;
      detail.kind = fileType === FILE_TYPE_PIPE ? 'pipe' : fileType === FILE_TYPE_CHAR ? 'device' : fileType === FILE_TYPE_DISK ? 'file' : 'other';
      if (fileType === FILE_TYPE_DISK) {
        const pin: unknown[] = [];
        const named = await fileCall(dup, () => queryObjectNameAsync(dup, pin));
        if (named === 'timeout') keep = true;
        else if (named !== 'skipped') {
          detail.name = named.value ? friendlyObjectName(named.value, ctx.devices, ctx.userSid) : null;
          if (detail.name && isDirectoryPath(detail.name)) detail.kind = 'directory';
        }
      }
    } else if (type === 'Process') {
      const pid = getProcessIdOfHandle(dup);
      const p = ctx.processes.get(pid);
      detail.name = pid ? `${p?.imageName || 'Non-existent process'}(${pid})` : null;
    } else if (type === 'Thread') {
      const tid = getThreadIdOfHandle(dup);
      const pid = getProcessIdOfThread(dup);
      const p = ctx.processes.get(pid);
      detail.name = tid ? `${p?.imageName || 'Non-existent process'}(${pid}): ${tid}` : null;
    } else {
      const name = queryObjectName(dup);
      detail.name = name ? friendlyObjectName(name, ctx.devices, ctx.userSid) : null;
    }
    return detail;
  } finally {
    if (!keep) dup.close();
  }
}

/**
 * Handles described a batch at a time: their worker-thread queries overlap on koffi's pool (the sync parts still run
 * one after another on the JS thread), which makes a Find over every process several times faster.
 */
const BATCH = 16;

function describeBatch(owner: WinHandle, recs: readonly SystemHandleRecord[], ctx: NameContext): Promise<HandleDetail[]> {
  return Promise.all(recs.map((rec) => describeHandle(owner, rec, ctx)));
}

export async function readHandles(target: ProcessTarget): Promise<HandleDetail[]> {
  return withIdentity(target, async () => {
    const { handles } = querySystemHandles(target.pid);
    const owner = openProcess(target.pid, ProcessAccess.DUP_HANDLE | ProcessAccess.QUERY_LIMITED_INFORMATION);
    if (!owner) throw new DetailFailure('access-denied', `Access denied — needs elevation (process ${target.pid}'s handles).`);
    try {
      const ctx = newContext();
      const out: HandleDetail[] = [];
      for (let i = 0; i < handles.length; i += BATCH) out.push(...(await describeBatch(owner, handles.slice(i, i + BATCH), ctx)));
      return out;
    } finally {
      owner.close();
    }
  });
}

/**
 * Every readable process's modules and named handles whose name holds the collector's query, until the collector
 * is full (its match limit or deadline). Our own process's handles are left out: they are the search's own
 * duplicates.
 */
export async function findHandleOrDll(collector: FindCollector, ownPid: number): Promise<FindResult> {
  const ctx = newContext();
  let byPid = new Map<number, SystemHandleRecord[]>();
  try {
    for (const h of querySystemHandles(null).handles) {
      const list = byPid.get(h.pid);
      if (list) list.push(h);
      else byPid.set(h.pid, [h]);
    }
  } catch {
    byPid = new Map();
  }
  for (const p of ctx.processes.values()) {
    if (collector.full()) break;
    if (p.pid === 0 || p.pid === 4) continue;
    const base = { pid: p.pid, startTimeMs: p.createTimeMs, processName: p.imageName };
    const h = openProcess(p.pid, ProcessAccess.QUERY_INFORMATION | ProcessAccess.VM_READ | ProcessAccess.DUP_HANDLE);
    if (!h) {
      collector.countUnreadable();
      continue;
    }
    try {
      for (const m of enumProcessModules(h) ?? []) {
        if (collector.matches(m.path) && !collector.add({ ...base, kind: 'module', name: m.path, handle: null })) break;
      }
      if (p.pid === ownPid) continue;
      const list = byPid.get(p.pid) ?? [];
      for (let i = 0; i < list.length && !collector.full(); i += BATCH) {
        for (const d of await describeBatch(h, list.slice(i, i + BATCH), ctx)) {
          if (d.name && collector.matches(d.name) && !collector.add({ ...base, kind: d.kind, name: d.name, handle: d.handle })) break;
        }
      }
    } finally {
      h.close();
    }
  }
  return collector.result();
}
