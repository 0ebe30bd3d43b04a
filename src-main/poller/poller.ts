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
import type { BackendSnapshot, CpuTimes, ProcessBackend } from '../platform/backend';
import { cpuPercentOf, perCpuPercentOf, ratePerSecOf, systemCpuPercentOf } from './cpu-usage';
import { computeRowChanges } from './process-delta';
import type { Poller, PollerListener, PollerOptions, SnapshotFields } from './poller-types';

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

/**
 * The machine's I/O rate as the sum of the rows' rates, for a backend without a system counter (Linux: only the
 * processes whose /proc/PID/io the poll could read, so root sees more than a user). Null when no row had one.
 */
function sumIoRates(rows: readonly ProcessRow[]): { read: number | null; write: number | null } {
  let read = 0;
  let write = 0;
  let any = false;
  for (const row of rows) {
    if (row.ioReadBytesPerSec !== null) {
      any = true;
      read += row.ioReadBytesPerSec;
    }
    if (row.ioWriteBytesPerSec !== null) write += row.ioWriteBytesPerSec;
  }
  return any ? { read, write } : { read: null, write: null };
}

export function createPoller(backend: ProcessBackend, options: PollerOptions = {}): Poller {
  let intervalMs = validateIntervalMs(options.intervalMs ?? DEFAULT_REFRESH_INTERVAL_MS);
  let includeHandleCount = options.includeHandleCount ?? false;
  let fields: SnapshotFields = { io: options.fields?.io ?? false, categories: options.fields?.categories ?? false };
  let running = false;
  let disposed = false;
  let timer: NodeJS.Timeout | null = null;
  let lastPollStartMs = 0;
  let queue: Promise<void> = Promise.resolve();

  let seq = 0;
  /** The rows last published, by key; updated in place each poll. */
  const published = new Map<ProcessKey, ProcessRow>();
  /** Per key: the backend's sample object last seen, and the CPU and I/O baselines (at baselineMonotonicMs). */
  const tracked = new Map<
    ProcessKey,
    { sample: ProcessRow; baselineCpuMs: number | null; baselineReadBytes: number | null; baselineWriteBytes: number | null }
  >();
  let baselineMonotonicMs: number | null = null;
  /** System-wide baselines for the per-core and I/O totals, taken with the per-process ones. */
  let baselineCpuTimes: CpuTimes[] | null = null;
  let baselineSystemIo: { readBytes: number; writeBytes: number } | null = null;
  let perCpuPercent: number[] | null = null;
  let systemIoRates: { read: number | null; write: number | null } = { read: null, write: null };
  let snapshot: ProcessSnapshot | null = null;
  const subscribers = new Set<Subscriber>();

  /** Rows with CPU % and I/O rates; an unchanged sample whose derived values did not move keeps its published row. */
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
      const ioReadBytesPerSec = reuse
        ? (before?.ioReadBytesPerSec ?? null)
        : ratePerSecOf(track?.baselineReadBytes, s.ioReadBytes, elapsedMs);
      const ioWriteBytesPerSec = reuse
        ? (before?.ioWriteBytesPerSec ?? null)
        : ratePerSecOf(track?.baselineWriteBytes, s.ioWriteBytes, elapsedMs);
      rows[i] =
        before &&
        track?.sample === s &&
        before.cpuPercent === cpuPercent &&
        before.ioReadBytesPerSec === ioReadBytesPerSec &&
        before.ioWriteBytesPerSec === ioWriteBytesPerSec
          ? before
          : { ...s, cpuPercent, ioReadBytesPerSec, ioWriteBytesPerSec };
      if (!track) {
        tracked.set(s.key, {
          sample: s,
          baselineCpuMs: s.cpuTimeMs,
          baselineReadBytes: s.ioReadBytes,
          baselineWriteBytes: s.ioWriteBytes,
        });
      } else {
        track.sample = s;
        if (!reuse) {
          track.baselineCpuMs = s.cpuTimeMs;
          track.baselineReadBytes = s.ioReadBytes;
          track.baselineWriteBytes = s.ioWriteBytes;
        }
      }
    }
    if (!reuse) {
      perCpuPercent = perCpuPercentOf(baselineCpuTimes, sample.perCpuTimes);
      baselineCpuTimes = sample.perCpuTimes ?? null;
      const io = sample.systemIo ?? null;
      systemIoRates = io
        ? {
            read: ratePerSecOf(baselineSystemIo?.readBytes, io.readBytes, elapsedMs),
            write: ratePerSecOf(baselineSystemIo?.writeBytes, io.writeBytes, elapsedMs),
          }
        : sumIoRates(rows);
      baselineSystemIo = io;
      baselineMonotonicMs = sample.monotonicMs;
    }
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
    const sample = await backend.takeSnapshot({ includeHandleCount, includeIo: fields.io, includeCategories: fields.categories });
    if (disposed) return;
    const { rows, cpuIntervalMs } = withCpu(sample);
    const system: SystemTotals = {
      cpuCount: sample.cpuCount,
      cpuPercent: systemCpuPercentOf(rows),
      memoryTotalBytes: sample.memoryTotalBytes,
      memoryAvailableBytes: sample.memoryAvailableBytes,
      processCount: rows.length,
      perCpuPercent,
      commitBytes: sample.commitBytes ?? null,
      commitLimitBytes: sample.commitLimitBytes ?? null,
      memoryUsedBytes:
        sample.memoryTotalBytes !== null && sample.memoryAvailableBytes !== null
          ? sample.memoryTotalBytes - sample.memoryAvailableBytes
          : null,
      ioReadBytesPerSec: systemIoRates.read,
      ioWriteBytesPerSec: systemIoRates.write,
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
    setSnapshotFields(next: Partial<SnapshotFields>): void {
      for (const value of Object.values(next)) {
        if (typeof value !== 'boolean') throw new TypeError('setSnapshotFields expects true or false per field.');
      }
      fields = { ...fields, ...next };
    },
    getSnapshotFields: () => ({ ...fields }),
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
