/*
 * A capture watch as the hosts keep it and the Capture panel shows it (issue 12): what was asked, whether it is armed
 * and where it runs (the app's own rights or the elevated helper), every matching process it saw with its start,
 * exit and lifetime — exited ones stay listed, they are the rows a user looks for after the fact — and its dumps.
 * The main process and the renderer fold the same CaptureEvents through applyCaptureEvent, so both agree without
 * sending the whole view again on every event. Pure data and pure functions only.
 */
import type { DumpErrorInfo } from './dump';
import type { CaptureDoneReason, CaptureEvent, CaptureRule, CaptureTrigger } from './capture';

export type CaptureWatchId = string;

/** arming: the runner is starting; armed: no matching process can be missed; done: ended, everything released. */
export type CaptureWatchState = 'arming' | 'armed' | 'done';

export interface CaptureProcessView {
  pid: number;
  ppid: number;
  name: string;
  cmdline: string;
  startTimeMs: number;
  seenAtMs: number;
  /** Null while it runs (or is held). */
  exitedAtMs: number | null;
  exitCode: number | null;
  signal: string | null;
  lifetimeMs: number | null;
  /**
   * Held for a dump by `heldFor` until `heldUntilMs` (epoch ms), when it is released undumped; both null when it is
   * not held. Set by a held event, cleared by its dump, an error for it, its exit or the watch's end.
   */
  heldUntilMs: number | null;
  heldFor: CaptureTrigger | null;
  /** Dumps written of this process, by trigger, in order. */
  dumpTriggers: CaptureTrigger[];
}

export interface CaptureDumpView {
  atMs: number;
  pid: number;
  name: string;
  trigger: CaptureTrigger;
  path: string;
  fileBytes: number;
  sha256: string;
  targetPauseMs: number;
  /** The dump job the host recorded for it in the jobs panel; null until recorded (or in a host without jobs). */
  jobId: string | null;
}

export interface CaptureErrorView {
  atMs: number;
  pid: number | null;
  trigger: CaptureTrigger | null;
  error: DumpErrorInfo;
}

export interface CaptureWatchView {
  id: CaptureWatchId;
  /** The watched process as the list showed it. */
  target: { pid: number; startTimeMs: number; name: string };
  rule: CaptureRule;
  /** True when the watch runs in the elevated helper (pkexec / UAC). */
  elevated: boolean;
  state: CaptureWatchState;
  createdAtMs: number;
  armedAtMs: number | null;
  doneAtMs: number | null;
  doneReason: CaptureDoneReason | null;
  /** What runs (e.g. 'ptrace-follow-fork', 'win32-job-debugger') and what it cannot see, from the armed event. */
  mechanism: string | null;
  limits: string[];
  /** In the order seen; at most MAX_CAPTURE_PROCESSES, older ones dropped first and counted. */
  processes: CaptureProcessView[];
  droppedProcesses: number;
  dumps: CaptureDumpView[];
  /** At most MAX_CAPTURE_ERRORS, older ones dropped first and counted. */
  errors: CaptureErrorView[];
  droppedErrors: number;
  seenCount: number;
  dumpCount: number;
  /** Why the watch could not arm or ended with 'error'; null otherwise. */
  failure: DumpErrorInfo | null;
  /** It failed for lack of rights and can be started again through the elevated helper. */
  retryable: boolean;
}

export const MAX_CAPTURE_PROCESSES = 5000;
export const MAX_CAPTURE_ERRORS = 500;

/** What the capture service publishes to every subscribed renderer (push channel procscope:capture-event). */
export type CaptureServiceEvent =
  | { type: 'watch-added'; watch: CaptureWatchView }
  /** One engine event of a watch, to fold with applyCaptureEvent. */
  | { type: 'watch-event'; watchId: CaptureWatchId; event: CaptureEvent }
  /** The host recorded a capture dump as a dump job (its id goes into CaptureDumpView.jobId). */
  | { type: 'watch-dump-recorded'; watchId: CaptureWatchId; path: string; jobId: string }
  /** The watch could not arm (or its runner died): state becomes done with this failure. */
  | { type: 'watch-failed'; watchId: CaptureWatchId; atMs: number; error: DumpErrorInfo; retryable: boolean }
  /** retryElevated() started it again through the helper: the view is replaced. */
  | { type: 'watch-restarted'; watch: CaptureWatchView }
  | { type: 'watch-removed'; watchId: CaptureWatchId };

export function newCaptureWatchView(init: {
  id: CaptureWatchId;
  target: CaptureWatchView['target'];
  rule: CaptureRule;
  elevated: boolean;
  createdAtMs: number;
}): CaptureWatchView {
  return {
    ...init, state: 'arming', armedAtMs: null, doneAtMs: null, doneReason: null, mechanism: null, limits: [],
    processes: [], droppedProcesses: 0, dumps: [], errors: [], droppedErrors: 0, seenCount: 0, dumpCount: 0,
    failure: null, retryable: false,
  };
}

const NOT_HELD = { heldUntilMs: null, heldFor: null } as const;

function updateProcess(view: CaptureWatchView, pid: number, change: (p: CaptureProcessView) => CaptureProcessView): CaptureProcessView[] {
  // The newest process of that pid: a pid seen twice in one watch (reused) updates the later row.
  for (let i = view.processes.length - 1; i >= 0; i--) {
    if (view.processes[i]!.pid === pid) {
      const next = view.processes.slice();
      next[i] = change(view.processes[i]!);
      return next;
    }
  }
  return view.processes;
}

/** The view after one event of its watch; a new object, the old one untouched. Events after done are ignored. */
export function applyCaptureEvent(view: CaptureWatchView, event: CaptureEvent): CaptureWatchView {
  if (view.state === 'done') return view;
  switch (event.event) {
    case 'armed':
      return { ...view, state: 'armed', armedAtMs: event.atMs, mechanism: event.mechanism, limits: [...event.limits] };
    case 'seen': {
      const row: CaptureProcessView = {
        pid: event.pid, ppid: event.ppid, name: event.name, cmdline: event.cmdline, startTimeMs: event.startTimeMs,
        seenAtMs: event.atMs, exitedAtMs: null, exitCode: null, signal: null, lifetimeMs: null, heldUntilMs: null,
        heldFor: null, dumpTriggers: [],
      };
      const over = Math.max(0, view.processes.length + 1 - MAX_CAPTURE_PROCESSES);
      return {
        ...view, seenCount: view.seenCount + 1, processes: [...view.processes.slice(over), row],
        droppedProcesses: view.droppedProcesses + over,
      };
    }
    case 'held':
      return { ...view, processes: updateProcess(view, event.pid, (p) => ({ ...p, name: event.name || p.name, heldUntilMs: event.deadlineMs, heldFor: event.trigger })) };
    case 'exited':
      return {
        ...view,
        processes: updateProcess(view, event.pid, (p) => ({
          ...p, name: event.name || p.name, exitedAtMs: event.atMs, exitCode: event.exitCode, signal: event.signal,
          lifetimeMs: event.lifetimeMs, ...NOT_HELD,
        })),
      };
    case 'dump': {
      const dump: CaptureDumpView = {
        atMs: event.atMs, pid: event.pid, name: event.name, trigger: event.trigger, path: event.path,
        fileBytes: event.fileBytes, sha256: event.sha256, targetPauseMs: event.targetPauseMs, jobId: null,
      };
      return {
        ...view, dumpCount: view.dumpCount + 1, dumps: [...view.dumps, dump],
        // A child seen at fork carries its parent's name until it execs; its dump and exit name what it became.
        processes: updateProcess(view, event.pid, (p) => ({ ...p, name: event.name || p.name, dumpTriggers: [...p.dumpTriggers, event.trigger], ...NOT_HELD })),
      };
    }
    case 'error': {
      const over = Math.max(0, view.errors.length + 1 - MAX_CAPTURE_ERRORS);
      const row: CaptureErrorView = { atMs: event.atMs, pid: event.pid, trigger: event.trigger, error: event.error };
      const processes = event.pid === null ? view.processes : updateProcess(view, event.pid, (p) => (p.heldFor === null ? p : { ...p, ...NOT_HELD }));
      return { ...view, processes, errors: [...view.errors.slice(over), row], droppedErrors: view.droppedErrors + over };
    }
    case 'done': {
      // A watch that ends in 'error' names why: its last error without a pid (the whole watch), if any.
      const whole = event.reason === 'error' ? [...view.errors].reverse().find((e) => e.pid === null) : undefined;
      return {
        ...view, state: 'done', doneAtMs: event.atMs, doneReason: event.reason,
        failure: whole ? whole.error : view.failure,
        // The watch released everything it held.
        processes: view.processes.some((p) => p.heldFor !== null) ? view.processes.map((p) => (p.heldFor === null ? p : { ...p, ...NOT_HELD })) : view.processes,
      };
    }
  }
}

/** The view after a host-level event (everything but added / removed, which add or drop whole views). */
export function applyCaptureServiceEvent(view: CaptureWatchView, event: CaptureServiceEvent): CaptureWatchView {
  switch (event.type) {
    case 'watch-event':
      return event.watchId === view.id ? applyCaptureEvent(view, event.event) : view;
    case 'watch-dump-recorded':
      if (event.watchId !== view.id) return view;
      return { ...view, dumps: view.dumps.map((d) => (d.path === event.path && d.jobId === null ? { ...d, jobId: event.jobId } : d)) };
    case 'watch-failed':
      if (event.watchId !== view.id) return view;
      return { ...view, state: 'done', doneAtMs: view.doneAtMs ?? event.atMs, doneReason: view.doneReason ?? 'error', failure: event.error, retryable: event.retryable };
    case 'watch-restarted':
      return event.watch.id === view.id ? event.watch : view;
    case 'watch-added':
    case 'watch-removed':
      return view;
  }
}
