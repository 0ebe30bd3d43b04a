/*
 * The poll loop (main process, browser host): samples the backend every interval, adds CPU percentages, and turns
 * samples into the process stream — a full snapshot for each new subscriber, then deltas with consecutive seq.
 * Polls never overlap: the timer is re-armed only after a poll finishes, and refreshNow() queues behind a running
 * poll. It never touches the OS itself; everything comes through the ProcessBackend.
 */
import {
  REFRESH_INTERVALS_MS,
  DEFAULT_REFRESH_INTERVAL_MS,
  type ProcessDelta,
  type ProcessKey,
  type ProcessRow,
  type ProcessSnapshot,
  type SystemTotals,
} from '../../src-shared/model/process';
import type { BackendSnapshot, ProcessBackend } from '../platform/backend';
import { cpuPercentOf, systemCpuPercentOf } from './cpu-usage';
import { computeRowChanges } from './process-delta';
import type { Poller, PollerListener, PollerOptions } from './poller-types';

/**
 * CPU time advances in 10 ms clock ticks; over a shorter span than this a percentage is mostly rounding noise,
 * so a quick refreshNow() after a timed poll keeps the previous percentages and the previous baseline.
 */
const MIN_CPU_INTERVAL_MS = 250;

export function validateIntervalMs(intervalMs: unknown): number {
  if (intervalMs === 0 || (REFRESH_INTERVALS_MS as readonly unknown[]).includes(intervalMs)) return intervalMs as number;
  throw new RangeError(
    `Invalid poll interval ${String(intervalMs)} ms: use 0 (paused) or one of ${REFRESH_INTERVALS_MS.join(', ')} ms.`,
  );
}

interface Subscriber {
  listener: PollerListener;
  primed: boolean;
}

export function createPoller(backend: ProcessBackend, options: PollerOptions = {}): Poller {
  let intervalMs = validateIntervalMs(options.intervalMs ?? DEFAULT_REFRESH_INTERVAL_MS);
  let includeHandleCount = options.includeHandleCount ?? false;
  let running = false;
  let disposed = false;
  let timer: NodeJS.Timeout | null = null;
  let lastPollStartMs = 0;
  let queue: Promise<void> = Promise.resolve();

  let seq = 0;
  /** The rows last published, by key; updated in place each poll. */
  const published = new Map<ProcessKey, ProcessRow>();
  /** Per key: the backend's sample object last seen, and the CPU baseline (cpuTimeMs at baselineMonotonicMs). */
  const tracked = new Map<ProcessKey, { sample: ProcessRow; baselineCpuMs: number | null }>();
  let baselineMonotonicMs: number | null = null;
  let snapshot: ProcessSnapshot | null = null;
  const subscribers = new Set<Subscriber>();

  /** Rows with CPU %; an unchanged sample whose percentage did not move keeps its published row object. */
  function withCpu(sample: BackendSnapshot): { rows: ProcessRow[]; cpuIntervalMs: number } {
    const elapsedMs = baselineMonotonicMs === null ? 0 : sample.monotonicMs - baselineMonotonicMs;
    const reuse = baselineMonotonicMs !== null && elapsedMs < MIN_CPU_INTERVAL_MS;
    const rows: ProcessRow[] = new Array<ProcessRow>(sample.rows.length);
    for (let i = 0; i < sample.rows.length; i++) {
      const s = sample.rows[i]!;
      const before = published.get(s.key);
      const track = tracked.get(s.key);
      const cpuPercent = reuse
        ? (before?.cpuPercent ?? null)
        : cpuPercentOf(track?.baselineCpuMs, s.cpuTimeMs, elapsedMs, sample.cpuCount);
      rows[i] = before && track?.sample === s && before.cpuPercent === cpuPercent ? before : { ...s, cpuPercent };
      if (!track) tracked.set(s.key, { sample: s, baselineCpuMs: s.cpuTimeMs });
      else {
        track.sample = s;
        if (!reuse) track.baselineCpuMs = s.cpuTimeMs;
      }
    }
    if (!reuse) baselineMonotonicMs = sample.monotonicMs;
    return { rows, cpuIntervalMs: reuse ? (snapshot?.intervalMs ?? 0) : Math.round(elapsedMs) };
  }

  function notify(delta: ProcessDelta): void {
    for (const sub of [...subscribers]) {
      if (!subscribers.has(sub)) continue;
      if (sub.primed) {
        sub.listener({ kind: 'delta', delta });
      } else if (snapshot) {
        sub.primed = true;
        sub.listener({ kind: 'snapshot', snapshot });
      }
    }
  }

  async function pollOnce(): Promise<void> {
    if (disposed) return;
    lastPollStartMs = performance.now();
    const sample = await backend.takeSnapshot({ includeHandleCount });
    if (disposed) return;
    const { rows, cpuIntervalMs } = withCpu(sample);
    const system: SystemTotals = {
      cpuCount: sample.cpuCount,
      cpuPercent: systemCpuPercentOf(rows),
      memoryTotalBytes: sample.memoryTotalBytes,
      memoryAvailableBytes: sample.memoryAvailableBytes,
      processCount: rows.length,
    };
    const changes = computeRowChanges(published, rows);
    seq++;
    for (const row of rows) if (published.get(row.key) !== row) published.set(row.key, row);
    for (const key of changes.removed) {
      published.delete(key);
      tracked.delete(key);
    }
    snapshot = { seq, timestampMs: sample.timestampMs, intervalMs: cpuIntervalMs, rows, system };
    notify({ seq, timestampMs: sample.timestampMs, intervalMs: cpuIntervalMs, ...changes, system });
  }

  function enqueuePoll(): Promise<void> {
    const next = queue.then(pollOnce);
    queue = next.catch(() => undefined);
    return next;
  }

  function clearTimer(): void {
    if (timer) clearTimeout(timer);
    timer = null;
  }

  function schedule(): void {
    clearTimer();
    if (!running || disposed || intervalMs === 0) return;
    const waitMs = Math.max(0, lastPollStartMs + intervalMs - performance.now());
    timer = setTimeout(() => {
      timer = null;
      enqueuePoll()
        .catch((err: unknown) => {
          // A failed poll (say /proc unmounted for a moment) must not end the loop; the next one may work.
          console.error(`procscope poller: ${err instanceof Error ? err.message : String(err)}`);
        })
        .finally(schedule);
    }, waitMs);
  }

  return {
    start(): void {
      if (disposed || running) return;
      running = true;
      lastPollStartMs = performance.now() - intervalMs;
      schedule();
    },
    stop(): void {
      running = false;
      clearTimer();
    },
    setIntervalMs(next: number): void {
      intervalMs = validateIntervalMs(next);
      schedule();
    },
    getIntervalMs: () => intervalMs,
    setIncludeHandleCount(include: boolean): void {
      if (typeof include !== 'boolean') throw new TypeError('setIncludeHandleCount expects true or false.');
      includeHandleCount = include;
    },
    refreshNow(): Promise<void> {
      if (disposed) return Promise.reject(new Error('The poller has been disposed.'));
      return enqueuePoll();
    },
    subscribe(listener: PollerListener): () => void {
      const sub: Subscriber = { listener, primed: false };
      subscribers.add(sub);
      // Deliver the current snapshot after subscribe() has returned, unless a poll has primed it first.
      queueMicrotask(() => {
        if (!sub.primed && snapshot && subscribers.has(sub)) {
          sub.primed = true;
          listener({ kind: 'snapshot', snapshot });
        }
      });
      return () => {
        subscribers.delete(sub);
      };
    },
    getSnapshot: () => snapshot,
    dispose(): void {
      disposed = true;
      running = false;
      clearTimer();
      subscribers.clear();
      published.clear();
      tracked.clear();
    },
  };
}
