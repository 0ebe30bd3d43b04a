/*
 * The host's process-detail service (issue 14), behind the detail channels (src-main/host/detail-handlers.ts): asks
 * the OS's source (detail-source.ts) for the parts a Properties window or the lower pane shows, adds what the host
 * keeps itself — the Performance history fed by the poller's stream — and bounds Find Handle or DLL. The source is
 * loaded on first use, so a host that never opens Properties never loads it. Never polls on its own.
 */
import type { DetailPart, FindResult, PerformanceSample, ProcessDetail, ThreadAction, ThreadStackDetail } from '../../src-shared/model/process-detail';
import { processKey, type ProcessRow } from '../../src-shared/model/process';
import type { Poller } from '../poller/poller-types';
import type { ProcessTarget } from '../platform/backend';
import { DetailFailure, type DetailSourceContext, type FindLimits, type ProcessDetailSource } from './detail-source';
import { createPerformanceHistory, type PerformanceHistory } from './performance-history';

export const FIND_LIMITS: FindLimits = { maxMatches: 2000, deadlineMs: 15_000 };
/** Every this many polls the source forgets the per-process state of processes that exited. */
const RETAIN_EVERY = 30;

export interface DetailServices {
  getProcessDetail(target: ProcessTarget, parts: readonly DetailPart[]): Promise<ProcessDetail>;
  getThreadStack(target: ProcessTarget, tid: number): Promise<ThreadStackDetail>;
  threadAction(target: ProcessTarget, tid: number, action: ThreadAction): Promise<void>;
  findHandleOrDll(query: string): Promise<FindResult>;
  readonly history: PerformanceHistory;
  dispose(): void;
}

export interface DetailServicesOptions {
  /** The OS's source, made on first use; null: every detail call answers 'unsupported'. */
  sourceFactory: (() => Promise<ProcessDetailSource>) | null;
  poller: Pick<Poller, 'subscribe' | 'getSnapshot'>;
  findLimits?: FindLimits;
}

export function createDetailServices(options: DetailServicesOptions): DetailServices {
  const history = createPerformanceHistory();
  let source: Promise<ProcessDetailSource> | null = null;
  let loaded: ProcessDetailSource | null = null;
  let disposed = false;
  let polls = 0;
  const context: DetailSourceContext = { rows: () => options.poller.getSnapshot()?.rows ?? null };

  const unsubscribe = options.poller.subscribe((message) => {
    history.onMessage(message);
    if (loaded && ++polls % RETAIN_EVERY === 0) {
      const keys = new Set((options.poller.getSnapshot()?.rows ?? []).map((r) => r.key));
      loaded.retainOnly(keys);
    }
  });

  const getSource = (): Promise<ProcessDetailSource> => {
    if (disposed) return Promise.reject(new DetailFailure('failed', 'The host is shutting down.'));
    if (!options.sourceFactory) return Promise.reject(new DetailFailure('unsupported', 'Process details are not available on this host.'));
    if (!source) {
      source = options.sourceFactory().then((s) => (loaded = s));
      // A factory that failed may succeed next time (a missing library installed meanwhile): do not keep the rejection.
      source.catch(() => (source = null));
    }
    return source;
  };

  const rowOf = (key: string): ProcessRow | null => options.poller.getSnapshot()?.rows.find((r) => r.key === key) ?? null;

  return {
    history,
    async getProcessDetail(target, parts) {
      const src = await getSource();
      const asked = [...new Set(parts)];
      const read = await src.readParts(target, asked, context);
      const detail: ProcessDetail = { pid: target.pid, startTimeMs: target.startTimeMs, timestampMs: Date.now() };
      const { performance, ...rest } = read;
      Object.assign(detail, rest);
      if (asked.includes('performance')) {
        const key = processKey(target.pid, target.startTimeMs);
        const samples = history.samples(key);
        if (performance && !performance.ok) detail.performance = performance;
        else detail.performance = { ok: true, value: withHistory(performance?.value ?? null, samples, history.latest(key), rowOf(key)) };
      }
      return detail;
    },
    async getThreadStack(target, tid) {
      return (await getSource()).readThreadStack(target, tid);
    },
    async threadAction(target, tid, action) {
      await (await getSource()).threadAction(target, tid, action);
    },
    async findHandleOrDll(query) {
      return (await getSource()).findHandleOrDll(query, options.findLimits ?? FIND_LIMITS, context);
    },
    dispose() {
      disposed = true;
      unsubscribe();
      history.clear();
      loaded?.dispose();
      loaded = null;
    },
  };
}

/** The current sample with its nulls filled from the stream's latest values, after the kept history. */
function withHistory(
  read: PerformanceSample | null,
  samples: PerformanceSample[],
  latest: ReturnType<PerformanceHistory['latest']>,
  row: ProcessRow | null,
): { current: PerformanceSample; history: PerformanceSample[] } {
  const current: PerformanceSample = read ?? {
    timestampMs: Date.now(),
    cpuPercent: null,
    privateBytes: null,
    workingSetBytes: null,
    ioReadBytes: null,
    ioWriteBytes: null,
    ioReadOps: null,
    ioWriteOps: null,
    handleCount: null,
    threadCount: null,
  };
  const known = latest ?? row;
  if (known) {
    current.cpuPercent ??= known.cpuPercent;
    current.privateBytes ??= known.privateBytes;
    current.workingSetBytes ??= known.workingSetBytes;
    current.handleCount ??= known.handleCount;
    current.threadCount ??= known.threadCount;
  }
  if (row) {
    current.ioReadBytes ??= row.ioReadBytes;
    current.ioWriteBytes ??= row.ioWriteBytes;
    current.ioReadOps ??= row.ioReadOps;
    current.ioWriteOps ??= row.ioWriteOps;
  }
  return { current, history: [...samples, current] };
}
