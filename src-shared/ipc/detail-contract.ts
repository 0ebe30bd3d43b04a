/*
 * Process detail as it crosses IPC (issue 14): the Properties window's tabs, the lower pane, a thread's stack and
 * single-thread actions, and Find Handle or DLL. Main answers each part on its own (src-shared/model/process-detail.ts);
 * the target is always the (pid, start time) identity, so a recycled pid answers 'pid-recycled', never another
 * process's data. The environment is a part like any other, but the renderer asks for it only after its warning.
 */
import type { ProcessTargetArgs } from './dump-contract';
import type { DetailPart, FindResult, ProcessDetail, ThreadAction, ThreadStackDetail } from '../model/process-detail';

export type * from '../model/process-detail';

export interface GetProcessDetailArgs extends ProcessTargetArgs {
  parts: DetailPart[];
}

export interface ThreadTargetArgs extends ProcessTargetArgs {
  tid: number;
}

export interface ThreadActionArgs extends ThreadTargetArgs {
  action: ThreadAction;
}

export interface FindHandleOrDllArgs {
  /** A case-insensitive substring of a module path or a handle / fd name; 1–260 characters. */
  query: string;
}

/** Spread into RequestMap (src-shared/ipc/contract.ts). */
export interface DetailRequestMap {
  /** The parts asked, each answered or refused on its own; a gone or recycled target refuses the whole call. */
  'procscope:get-process-detail': { args: GetProcessDetailArgs; result: ProcessDetail };
  /** Holds that one thread briefly (Linux: ptrace interrupt of that tid; Windows: SuspendThread), unwinds, lets go. */
  'procscope:get-thread-stack': { args: ThreadTargetArgs; result: ThreadStackDetail };
  'procscope:thread-action': { args: ThreadActionArgs; result: null };
  /** Every readable process's modules and handles / fds whose name holds the query. */
  'procscope:find-handle-or-dll': { args: FindHandleOrDllArgs; result: FindResult };
}
