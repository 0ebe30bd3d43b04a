/*
 * The capture watches as the hosts hold them (issue 12): Capture… and Capture Children… start a watch on a process
 * by identity, with the app's own rights or in the elevated helper; every engine event is folded into the watch's
 * view with the reducer the renderer uses and broadcast on procscope:capture-event; every dump is also listed as a
 * finished dump job. Runs in the Electron main process or `procscope serve`, which must never trace anything
 * themselves: the engines the host passes in run each watch in a process of its own. Disposing stops every watch,
 * so no held process outlives the host.
 */
import type { StartCaptureArgs } from '../../src-shared/ipc/capture-contract';
import type { CaptureEvent, CaptureRule } from '../../src-shared/model/capture';
import {
  applyCaptureServiceEvent,
  newCaptureWatchView,
  type CaptureServiceEvent,
  type CaptureWatchView,
} from '../../src-shared/model/capture-watch';
import type { ProcessRow } from '../../src-shared/model/process';
import { buildProcessTree, collectSubtree } from '../../src-shared/tree/process-tree';
import type { CaptureEngine, CaptureWatch } from '../capture/capture-engine';
import { compileCaptureRule } from '../capture/capture-rule';
import { toDumpErrorInfo } from '../dump/dump-errors';
import { DumpError } from '../dump/dump-writer';
import type { DumpServices } from './dump-services';
import { HostRequestError } from './host-request-error';

export type CaptureEngineFactory = () => Promise<CaptureEngine>;

export interface CaptureEngineFactories {
  /** Runs a watch with the host's own rights in a child process (the helper through the direct elevator). */
  direct: CaptureEngineFactory;
  /** Runs it in the elevated helper (pkexec / UAC); null where this host cannot ask for rights. */
  elevated: CaptureEngineFactory | null;
}

export interface CaptureServices {
  /** False when the host was given no engines: every channel but list answers 'unsupported'. */
  readonly available: boolean;
  /** Resolves once an unelevated watch armed (or failed for lack of rights); an elevated one as soon as it starts. */
  start(args: StartCaptureArgs): Promise<CaptureWatchView>;
  /** Releases everything and ends the watch; false when it had already ended. */
  stop(watchId: string): Promise<boolean>;
  retryElevated(watchId: string): Promise<CaptureWatchView>;
  /** Takes an ended watch off the list; false while it runs. */
  dismiss(watchId: string): boolean;
  list(): CaptureWatchView[];
  dispose(): Promise<void>;
}

export interface CaptureServicesOptions {
  engines: CaptureEngineFactories | null;
  readRows: () => Promise<readonly ProcessRow[]>;
  hostPids: () => readonly number[];
  dumps: DumpServices;
  broadcast: (event: CaptureServiceEvent) => void;
  /** Makes the folder's last part when it is missing, as a dump does (createDumpFolder); tests guard it. */
  prepareFolder: (outDir: string) => Promise<void>;
  /** How long start() waits for an unelevated watch to arm before it answers with the watch still arming. */
  armingAnswerMs?: number;
}

/** Each running watch is a helper process holding a tree; more than this is a runaway renderer, not a person. */
export const MAX_RUNNING_CAPTURES = 16;
/** The helper arms in ~30-300 ms; a request is not kept waiting on one that hangs. */
const ARMING_ANSWER_MS = 15_000;
/** How long dispose() waits for a watch still arming (an unanswered pkexec prompt) before it leaves it. */
const DISPOSE_ARMING_WAIT_MS = 5_000;

interface WatchRecord {
  view: CaptureWatchView;
  /** False until start() answered: events meanwhile only update the view that watch-added then carries. */
  published: boolean;
  runner: CaptureWatch | null;
  /** The one stop() of the current runner, shared by Stop, an early Stop while arming and dispose. */
  stopping: Promise<void> | null;
  /** Settles when the current launch has armed or failed. */
  launching: Promise<void> | null;
  stopRequested: boolean;
  /** Bumped by a restart, so a late event of the runner before it is ignored. */
  generation: number;
  recordings: Set<Promise<void>>;
}

export function createCaptureServices(options: CaptureServicesOptions): CaptureServices {
  const watches = new Map<string, WatchRecord>();
  let nextId = 1;
  let disposed = false;

  const apply = (record: WatchRecord, event: CaptureServiceEvent): void => {
    record.view = applyCaptureServiceEvent(record.view, event);
    if (record.published) options.broadcast(event);
  };
  const publish = (record: WatchRecord, type: 'watch-added' | 'watch-restarted'): CaptureWatchView => {
    record.published = true;
    options.broadcast({ type, watch: structuredClone(record.view) });
    return structuredClone(record.view);
  };
  const stopRunner = (record: WatchRecord): Promise<void> => {
    if (!record.runner) return Promise.resolve();
    record.stopping ??= record.runner.stop();
    return record.stopping;
  };
  const mustGet = (watchId: string): WatchRecord => {
    const record = watches.get(watchId);
    if (!record?.published) throw new HostRequestError('invalid-argument', `There is no capture watch '${watchId.slice(0, 64)}' on the list.`);
    return record;
  };
  const engines = (): CaptureEngineFactories => {
    if (!options.engines) throw new HostRequestError('unsupported', 'Capture is not available in this host: it cannot run a capture engine here.');
    if (disposed) throw new HostRequestError('unsupported', 'Procscope is shutting down; the watch was not started.');
    return options.engines;
  };

  function recordDump(record: WatchRecord, generation: number, event: Extract<CaptureEvent, { event: 'dump' }>): void {
    const seen = [...record.view.processes].reverse().find((p) => p.pid === event.pid);
    const task = (async () => {
      const engine = await options.dumps.get();
      const job = await engine.recordCaptureDump({
        watchId: record.view.id, trigger: event.trigger, pid: event.pid, startTimeMs: seen?.startTimeMs ?? 0, name: event.name,
        kind: record.view.rule.kind, path: event.path, fileBytes: event.fileBytes, sha256: event.sha256,
        targetPauseMs: event.targetPauseMs, unreadableBytes: event.unreadableBytes, elevated: record.view.elevated,
      });
      if (record.generation === generation && watches.get(record.view.id) === record) {
        apply(record, { type: 'watch-dump-recorded', watchId: record.view.id, path: event.path, jobId: job.id });
      }
    })().catch(() => {
      // A host without a dump engine lists capture dumps only in the Capture panel (jobId stays null).
    });
    record.recordings.add(task);
    void task.finally(() => record.recordings.delete(task));
  }

  /** Starts the engine; resolves once armed, rejects with the engine's DumpError when it could not arm. */
  async function launch(record: WatchRecord, elevated: boolean): Promise<void> {
    const generation = ++record.generation;
    const factory = elevated ? engines().elevated : engines().direct;
    if (!factory) throw new DumpError('unsupported', 'Procscope cannot ask for administrator rights here.');
    const onEvent = (event: CaptureEvent): void => {
      if (record.generation !== generation) return;
      apply(record, { type: 'watch-event', watchId: record.view.id, event });
      if (event.event === 'dump') recordDump(record, generation, event);
    };
    const runner = await (await factory()).start(record.view.rule, onEvent);
    record.runner = runner;
    if (record.stopRequested || disposed) void stopRunner(record);
    void runner.finished.then(() => {
      // The engine ends every watch with `done`; one that did not (its runner died) must not stay 'armed'.
      if (record.generation !== generation || record.view.state === 'done') return;
      const error = { code: 'io-error' as const, message: 'The process that ran this watch ended without finishing it; the processes it held were released.' };
      apply(record, { type: 'watch-failed', watchId: record.view.id, atMs: Date.now(), error, retryable: false });
    });
  }

  /** An elevated launch answers at once; its outcome arrives as events (a cancelled prompt may be retried). */
  function launchInBackground(record: WatchRecord): void {
    record.launching = launch(record, true).then(
      () => {},
      (err: unknown) => {
        const error = toDumpErrorInfo(err);
        apply(record, { type: 'watch-failed', watchId: record.view.id, atMs: Date.now(), error, retryable: error.code === 'elevation-cancelled' });
      },
    );
  }

  async function refuseOwnTree(rule: CaptureRule): Promise<void> {
    const own = options.hostPids();
    const { pid } = rule.target;
    if (own.includes(pid)) {
      throw new HostRequestError('own-process', `Procscope will not capture PID ${pid}: it is Procscope itself, which runs the watch.`);
    }
    if (rule.scope === 'self') return;
    const rows = await options.readRows();
    const root = rows.find((r) => r.pid === pid && r.startTimeMs === rule.target.startTimeMs);
    const inside = root ? collectSubtree(buildProcessTree(rows), root).find((r) => own.includes(r.pid)) : undefined;
    if (inside) {
      throw new HostRequestError(
        'own-process',
        `Procscope will not capture the descendants of PID ${pid}: Procscope itself (PID ${inside.pid}) is one of them. Watch a process below it instead.`,
      );
    }
  }

  return {
    available: options.engines !== null,

    async start(args) {
      const factories = engines();
      if (args.elevated && !factories.elevated) throw new HostRequestError('unsupported', 'Procscope cannot ask for administrator rights here.');
      const running = [...watches.values()].filter((r) => r.view.state !== 'done').length;
      if (running >= MAX_RUNNING_CAPTURES) {
        throw new HostRequestError('unsupported', `Procscope runs at most ${MAX_RUNNING_CAPTURES} capture watches at once. Stop one and try again.`);
      }
      const rule: CaptureRule = {
        target: { pid: args.pid, startTimeMs: args.startTimeMs }, scope: args.scope, nameGlob: args.nameGlob,
        cmdlineRegex: args.cmdlineRegex, triggers: [...args.triggers], exitNonZeroOnly: args.exitNonZeroOnly, kind: args.kind,
        outDir: args.outDir, holdTimeoutMs: args.holdTimeoutMs, maxDumps: args.maxDumps, timeoutMs: args.timeoutMs,
        ...(args.monitor ? { monitor: { ...args.monitor } } : {}),
        ...(args.execPaths ? { execPaths: [...args.execPaths] } : {}),
      };
      await refuseOwnTree(rule);
      try {
        await options.prepareFolder(rule.outDir);
      } catch (err) {
        const info = toDumpErrorInfo(err);
        throw new DumpError(info.code, info.message);
      }
      compileCaptureRule(rule);
      const name = args.name ?? (await options.readRows()).find((r) => r.pid === args.pid && r.startTimeMs === args.startTimeMs)?.name ?? `PID ${args.pid}`;
      const id = `capture-${nextId++}`;
      const view = newCaptureWatchView({ id, target: { ...rule.target, name }, rule, elevated: !!args.elevated, createdAtMs: Date.now() });
      const record: WatchRecord = { view, published: false, runner: null, stopping: null, launching: null, stopRequested: false, generation: 0, recordings: new Set() };
      watches.set(id, record);
      if (args.elevated) {
        const added = publish(record, 'watch-added');
        launchInBackground(record);
        return added;
      }
      const failed = (err: unknown): void => {
        const error = toDumpErrorInfo(err);
        const retryable = error.code === 'needs-elevation' && factories.elevated !== null;
        apply(record, { type: 'watch-failed', watchId: id, atMs: Date.now(), error, retryable });
      };
      const armed = launch(record, false).then(() => null, (err: unknown) => ({ err }));
      record.launching = armed.then(() => {});
      let timer: NodeJS.Timeout | undefined;
      const slow = new Promise<'slow'>((resolve) => (timer = setTimeout(() => resolve('slow'), options.armingAnswerMs ?? ARMING_ANSWER_MS)));
      const first = await Promise.race([armed, slow]);
      clearTimeout(timer);
      if (first === 'slow') {
        // A runner that takes this long still arms or fails in the background; the panel shows it 'arming' meanwhile.
        void armed.then((outcome) => outcome && failed(outcome.err));
        return publish(record, 'watch-added');
      }
      if (first) {
        const error = toDumpErrorInfo(first.err);
        if (error.code !== 'needs-elevation') {
          // Nothing was held and nothing was listed: the request itself answers why (gone, reused, refused…).
          watches.delete(id);
          throw new DumpError(error.code, error.message);
        }
        failed(first.err);
      }
      return publish(record, 'watch-added');
    },

    async stop(watchId) {
      const record = mustGet(watchId);
      if (record.view.state === 'done') return false;
      record.stopRequested = true;
      // Still arming (a prompt may be open): it is stopped the moment it arms, and the request does not wait for that.
      await stopRunner(record);
      return true;
    },

    async retryElevated(watchId) {
      const record = mustGet(watchId);
      if (record.view.state !== 'done' || !record.view.retryable) {
        throw new HostRequestError('invalid-argument', 'Only a watch that failed for lack of rights can be started again as administrator.');
      }
      if (!engines().elevated) throw new HostRequestError('unsupported', 'Procscope cannot ask for administrator rights here.');
      const { id, target, rule, createdAtMs } = record.view;
      Object.assign(record, { view: newCaptureWatchView({ id, target, rule, elevated: true, createdAtMs }), runner: null, stopping: null, stopRequested: false });
      const restarted = publish(record, 'watch-restarted');
      launchInBackground(record);
      return restarted;
    },

    dismiss(watchId) {
      const record = mustGet(watchId);
      if (record.view.state !== 'done') return false;
      watches.delete(watchId);
      options.broadcast({ type: 'watch-removed', watchId });
      return true;
    },

    list: () => [...watches.values()].filter((r) => r.published).map((r) => structuredClone(r.view)),

    async dispose() {
      disposed = true;
      const records = [...watches.values()];
      for (const record of records) record.stopRequested = true;
      const bounded = (p: Promise<void>) => Promise.race([p, new Promise<void>((r) => setTimeout(r, DISPOSE_ARMING_WAIT_MS).unref())]);
      // A watch that arms after this wait is stopped by launch() itself; its helper also ends with our channel.
      await Promise.all(records.map((r) => (r.launching ? bounded(r.launching) : Promise.resolve())));
      await Promise.all(records.map(stopRunner));
      await Promise.all(records.flatMap((r) => [...r.recordings]));
    },
  };
}
