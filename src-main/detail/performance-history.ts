/*
 * The Performance tab's history, kept by the host (issue 14: "graphs since the window opened, and since the process
 * appeared, if the app saw it"). Fed by the poller's stream (one sample per poll for every live process), so it costs
 * no read of its own. Every process gets a short ring from the moment the app sees it; a process whose detail is
 * asked for (an open Properties window) is promoted to a long ring, kept until it exits. Rings are typed arrays
 * (Float64 time; Float32 values, within 1 part in 16 million, enough for a graph; NaN = null): 28 bytes a sample,
 * so 1,000 processes × 120 samples ≈ 3.4 MB (measured: 3.2 MiB, 0.15-0.35 ms a poll), and a watched process's 600
 * samples (ten minutes at 1 s) ≈ 17 KB. A process that exits is dropped with its ring.
 */
import type { ProcessRow, ProcessStreamMessage } from '../../src-shared/model/process';
import type { PerformanceSample } from '../../src-shared/model/process-detail';

export const SHORT_HISTORY = 120;
/** Ten minutes at 1 s: every Performance read sends the whole history (~120 KB of JSON at 600 samples). */
export const LONG_HISTORY = 600;
/** Promoted (long) rings kept at once; the least recently asked is demoted beyond it. */
export const MAX_WATCHED = 32;

const FIELDS = ['cpuPercent', 'privateBytes', 'workingSetBytes', 'handleCount', 'threadCount'] as const;
type Field = (typeof FIELDS)[number];

class Ring {
  times: Float64Array;
  values: Float32Array[];
  /** Next write slot; count = samples held. */
  head = 0;
  count = 0;
  constructor(readonly capacity: number) {
    this.times = new Float64Array(capacity);
    this.values = FIELDS.map(() => new Float32Array(capacity));
  }
  push(timestampMs: number, row: Pick<ProcessRow, Field>): void {
    this.times[this.head] = timestampMs;
    FIELDS.forEach((f, i) => (this.values[i]![this.head] = row[f] ?? NaN));
    this.head = (this.head + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }
  /** Oldest first. */
  toSamples(): PerformanceSample[] {
    const out: PerformanceSample[] = [];
    const start = (this.head - this.count + this.capacity) % this.capacity;
    for (let n = 0; n < this.count; n++) {
      const i = (start + n) % this.capacity;
      const v = (f: number): number | null => {
        const x = this.values[f]![i]!;
        return Number.isNaN(x) ? null : x;
      };
      out.push({
        timestampMs: this.times[i]!,
        cpuPercent: v(0),
        privateBytes: v(1),
        workingSetBytes: v(2),
        ioReadBytes: null,
        ioWriteBytes: null,
        ioReadOps: null,
        ioWriteOps: null,
        handleCount: v(3),
        threadCount: v(4),
      });
    }
    return out;
  }
  grown(capacity: number): Ring {
    const next = new Ring(capacity);
    const start = (this.head - this.count + this.capacity) % this.capacity;
    const keep = Math.min(this.count, capacity);
    for (let n = this.count - keep; n < this.count; n++) {
      const i = (start + n) % this.capacity;
      next.times[next.head] = this.times[i]!;
      FIELDS.forEach((_, f) => (next.values[f]![next.head] = this.values[f]![i]!));
      next.head = (next.head + 1) % capacity;
      next.count++;
    }
    return next;
  }
  get bytes(): number {
    return this.capacity * (8 + 4 * FIELDS.length);
  }
}

interface Entry {
  ring: Ring;
  /** The row as the stream last said it (deltas carry only changed fields). */
  row: Pick<ProcessRow, Field>;
}

export interface PerformanceHistory {
  /** One poll's message: a snapshot replaces what is known, a delta adds, updates and drops. */
  onMessage(message: ProcessStreamMessage): void;
  /** The samples kept for the process, oldest first ([] when never seen). Promotes it to the long ring. */
  samples(key: string): PerformanceSample[];
  /** The last values the stream said for it, or null. */
  latest(key: string): Pick<ProcessRow, Field> | null;
  /** Bytes the rings hold now. */
  memoryBytes(): number;
  size(): number;
  clear(): void;
}

export function createPerformanceHistory(options: { shortCapacity?: number; longCapacity?: number; maxWatched?: number } = {}): PerformanceHistory {
  const shortCapacity = options.shortCapacity ?? SHORT_HISTORY;
  const longCapacity = options.longCapacity ?? LONG_HISTORY;
  const maxWatched = options.maxWatched ?? MAX_WATCHED;
  const entries = new Map<string, Entry>();
  /** Promoted keys, least recently asked first. */
  const watched = new Set<string>();

  const pick = (row: ProcessRow): Pick<ProcessRow, Field> => ({
    cpuPercent: row.cpuPercent,
    privateBytes: row.privateBytes,
    workingSetBytes: row.workingSetBytes,
    handleCount: row.handleCount,
    threadCount: row.threadCount,
  });
  const sampleAll = (timestampMs: number): void => {
    for (const entry of entries.values()) entry.ring.push(timestampMs, entry.row);
  };
  const drop = (key: string): void => {
    entries.delete(key);
    watched.delete(key);
  };

  return {
    onMessage(message) {
      if (message.kind === 'snapshot') {
        const { snapshot } = message;
        const live = new Set<string>();
        for (const row of snapshot.rows) {
          live.add(row.key);
          const entry = entries.get(row.key);
          if (entry) entry.row = pick(row);
          else entries.set(row.key, { ring: new Ring(shortCapacity), row: pick(row) });
        }
        for (const key of [...entries.keys()]) if (!live.has(key)) drop(key);
        sampleAll(snapshot.timestampMs);
        return;
      }
      const { delta } = message;
      for (const key of delta.removed) drop(key);
      for (const row of delta.added) entries.set(row.key, { ring: new Ring(shortCapacity), row: pick(row) });
      for (const { key, changes } of delta.updated) {
        const entry = entries.get(key);
        if (!entry) continue;
        for (const f of FIELDS) if (f in changes) entry.row[f] = changes[f] ?? null;
      }
      sampleAll(delta.timestampMs);
    },
    samples(key) {
      const entry = entries.get(key);
      if (!entry) return [];
      watched.delete(key);
      watched.add(key);
      if (entry.ring.capacity < longCapacity) entry.ring = entry.ring.grown(longCapacity);
      while (watched.size > maxWatched) {
        const oldest = watched.values().next().value as string;
        watched.delete(oldest);
        const e = entries.get(oldest);
        if (e) e.ring = e.ring.grown(shortCapacity);
      }
      return entry.ring.toSamples();
    },
    latest: (key) => entries.get(key)?.row ?? null,
    memoryBytes: () => {
      let n = 0;
      for (const e of entries.values()) n += e.ring.bytes;
      return n;
    },
    size: () => entries.size,
    clear() {
      entries.clear();
      watched.clear();
    },
  };
}
