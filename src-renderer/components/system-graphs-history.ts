/*
 * The toolbar graphs' short history (renderer, pure): a fixed-size ring of the last N system totals from the
 * process stream, one entry per poll (keyed by seq, so a re-sent snapshot does not count twice), turned into
 * uPlot's columnar data. No DOM, no uPlot: system-graphs.tsx draws what this keeps.
 */
import type { SystemTotals } from '../../src-shared/model/process';

export const GRAPH_HISTORY_SAMPLES = 60;

export interface GraphSample {
  seq: number;
  timestampMs: number;
  cpuPercent: number | null;
  perCpuPercent: readonly number[] | null;
  memoryUsedBytes: number | null;
  commitBytes: number | null;
  /** The memory graph's top: the commit limit, else physical memory. */
  memoryScaleBytes: number | null;
  ioReadBytesPerSec: number | null;
  ioWriteBytesPerSec: number | null;
}

export function sampleOf(seq: number, timestampMs: number, system: SystemTotals): GraphSample {
  const used =
    system.memoryUsedBytes ??
    (system.memoryTotalBytes !== null && system.memoryAvailableBytes !== null ? system.memoryTotalBytes - system.memoryAvailableBytes : null);
  return {
    seq,
    timestampMs,
    cpuPercent: system.cpuPercent,
    perCpuPercent: system.perCpuPercent ?? null,
    memoryUsedBytes: used,
    commitBytes: system.commitBytes ?? null,
    memoryScaleBytes: Math.max(system.commitLimitBytes ?? 0, system.memoryTotalBytes ?? 0) || null,
    ioReadBytesPerSec: system.ioReadBytesPerSec ?? null,
    ioWriteBytesPerSec: system.ioWriteBytesPerSec ?? null,
  };
}

export class GraphHistory {
  private readonly ring: (GraphSample | undefined)[];
  private next = 0;
  private count = 0;

  constructor(readonly capacity = GRAPH_HISTORY_SAMPLES) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.ring = new Array<GraphSample | undefined>(capacity);
  }

  /** False when the sample is not newer than the last one (the same poll again, or an older one). */
  push(sample: GraphSample): boolean {
    const last = this.latest();
    if (last && sample.seq <= last.seq) {
      // A new stream (the host restarted, seq from 1 again) starts a new history rather than being ignored.
      if (sample.timestampMs <= last.timestampMs) return false;
      this.clear();
    }
    this.ring[this.next] = sample;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.capacity, this.count + 1);
    return true;
  }

  clear(): void {
    this.ring.fill(undefined);
    this.next = 0;
    this.count = 0;
  }

  get size(): number {
    return this.count;
  }

  /** Oldest first. */
  samples(): GraphSample[] {
    const out: GraphSample[] = [];
    const start = (this.next - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) out.push(this.ring[(start + i) % this.capacity]!);
    return out;
  }

  latest(): GraphSample | null {
    return this.count === 0 ? null : this.ring[(this.next - 1 + this.capacity) % this.capacity]!;
  }
}

/** uPlot data: [seconds, ...one array per series], the same length; null where a value was not known. */
export type GraphColumns = [number[], ...(number | null)[][]];

export function cpuColumns(samples: readonly GraphSample[]): GraphColumns {
  return [samples.map((s) => s.timestampMs / 1000), samples.map((s) => s.cpuPercent)];
}

export function memoryColumns(samples: readonly GraphSample[]): GraphColumns {
  return [samples.map((s) => s.timestampMs / 1000), samples.map((s) => s.commitBytes), samples.map((s) => s.memoryUsedBytes)];
}

export function ioColumns(samples: readonly GraphSample[]): GraphColumns {
  return [samples.map((s) => s.timestampMs / 1000), samples.map((s) => s.ioReadBytesPerSec), samples.map((s) => s.ioWriteBytesPerSec)];
}
