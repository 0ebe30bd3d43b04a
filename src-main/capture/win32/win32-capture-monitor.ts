/*
 * The sampled triggers on Windows (ProcDump -c, -m, -n/-s; issue 12): once a second, every process the watch samples
 * (the session's matching, running ones) is read from one SystemProcessInformation snapshot — CPU time = kernel +
 * user time of all its threads, memory = PagefileUsage, its commit charge (what ProcDump -m measures), and its create
 * time, so a reused pid is never taken for the watched one — and fed to capture/monitor.ts, the decision the Linux
 * engine uses too. A fire asks the session for a dump of the running process; monitorDumped then starts the quiet
 * period, and counts the dump if it was written.
 *
 * Why the snapshot and not GetProcessTimes / GetProcessMemoryInfo per process: under Wine 8, GetProcessTimes and
 * NtQueryInformationProcess(ProcessTimes) of another process return the caller's own CPU times, and
 * PROCESS_MEMORY_COUNTERS_EX.PrivateUsage is 0, while the snapshot's KernelTime + UserTime and PagefileUsage are the
 * process's own (probed: a busy loop gained 1470 ms of CPU in 1.5 s, a child holding 200 MB showed 297 MB of
 * commit). On Windows all of them are right; one call a second for every process is what Process Explorer does.
 */
import type { CaptureMonitor, CaptureTrigger } from '../../../src-shared/model/capture';
import { querySystemProcessInformation } from '../../platform/win32/ffi/ntdll';
import { parseSystemProcessInformation } from '../../platform/win32/ffi/system-process-parse';
import { monitorDumped, monitorFinished, monitorSample, newMonitorState, type MonitorState } from '../monitor';

export type SampledTrigger = Extract<CaptureTrigger, 'cpu' | 'memory' | 'series'>;

export interface ProcessUsage {
  /** As GetProcessTimes' creation time converts (ms since the Unix epoch): the identity check. */
  createTimeMs: number;
  cpuMs: number;
  memoryBytes: number;
}

/** One read of every process's usage, by pid. */
export type UsageReader = () => ReadonlyMap<number, ProcessUsage>;

/** What the monitor needs from the watch (Win32CaptureSession). */
export interface SampledHost {
  sampleTargets(): readonly { pid: number; startTimeMs: number | null }[];
  canDumpSampled(): boolean;
  /** Dumps the running process; resolves true when the dump was written. */
  dumpRunning(pid: number, trigger: SampledTrigger): Promise<boolean>;
}

/** ProcDump's polling interval: one sample of each watched process a second. */
export const MONITOR_INTERVAL_MS = 1000;

export function readSnapshotUsage(): Map<number, ProcessUsage> {
  const snapshot = querySystemProcessInformation();
  const out = new Map<number, ProcessUsage>();
  for (const r of parseSystemProcessInformation(snapshot.bytes, snapshot.baseAddress)) {
    out.set(r.pid, { createTimeMs: r.createTimeMs, cpuMs: r.cpuTimeMs, memoryBytes: r.pagefileUsageBytes });
  }
  return out;
}

interface Watched {
  startTimeMs: number | null;
  state: MonitorState;
}

export class Win32CaptureMonitor {
  readonly #monitor: CaptureMonitor;
  readonly #host: SampledHost;
  readonly #read: UsageReader;
  readonly #now: () => number;
  readonly #watched = new Map<number, Watched>();
  #timer: NodeJS.Timeout | null = null;
  /** A series' next sample of one process, due when its quiet period ends. */
  readonly #timers = new Set<NodeJS.Timeout>();
  #stopped = false;

  constructor(monitor: CaptureMonitor, host: SampledHost, read: UsageReader = readSnapshotUsage, now: () => number = () => performance.now()) {
    this.#monitor = monitor;
    this.#host = host;
    this.#read = read;
    this.#now = now;
  }

  /** Samples at once (a series dumps at once; a threshold takes its baseline), then every second until stop(). */
  start(intervalMs = MONITOR_INTERVAL_MS): void {
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.sample();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  /** One pass: every sampled process gets one sample, and a dump when the decision says so. */
  sample(): void {
    this.#pass(null);
  }

  /**
   * A process the session has just seen (its CREATE_PROCESS said it matches) is sampled at once, not at the next
   * tick: its first sample is a threshold's baseline, or a series' first dump, which ProcDump takes at once.
   * Processes already sampled are not sampled again here (a CPU run counts one sample a second).
   */
  sampleNew(pid: number): void {
    if (!this.#watched.has(pid)) this.#pass(pid);
  }

  #pass(only: number | null): void {
    if (this.#stopped || !this.#host.canDumpSampled()) return;
    const targets = this.#host.sampleTargets();
    if (only === null) {
      const live = new Set(targets.map((t) => t.pid));
      // A process that exited (or left the rule) is forgotten with its state: a recycled pid starts afresh.
      for (const pid of this.#watched.keys()) if (!live.has(pid)) this.#watched.delete(pid);
    }
    let usage: ReadonlyMap<number, ProcessUsage> | null = null;
    for (const t of targets) {
      if (only !== null && t.pid !== only) continue;
      let w = this.#watched.get(t.pid);
      if (!w || w.startTimeMs !== t.startTimeMs) {
        w = { startTimeMs: t.startTimeMs, state: newMonitorState() };
        this.#watched.set(t.pid, w);
      }
      // A dump asked for and not yet ended: not sampled meanwhile (monitorSample would not fire anyway).
      if (w.state.pending || monitorFinished(this.#monitor, w.state)) continue;
      usage ??= this.#read();
      const u = usage.get(t.pid);
      // Gone since the session last heard of it, or its pid already reused: nothing to sample.
      if (!u || (t.startTimeMs !== null && u.createTimeMs !== t.startTimeMs)) continue;
      const d = monitorSample(this.#monitor, w.state, { atMs: this.#now(), cpuMs: u.cpuMs, memoryBytes: u.memoryBytes });
      if (d.fire) this.#dump(t.pid, w, d.fire);
    }
  }

  #dump(pid: number, w: Watched, trigger: SampledTrigger): void {
    const m = this.#monitor;
    const ended = (written: boolean): void => {
      monitorDumped(m, w.state, this.#now(), written);
      // A series' next dump comes -s seconds after this one ended (ProcDump waits that long after a dump), not at
      // the tick after that: a dump of 250 ms would otherwise put -s 1 dumps 2 s apart. Thresholds keep the
      // once-a-second samples, since a CPU run counts samples.
      if (trigger !== 'series' || monitorFinished(m, w.state) || this.#stopped) return;
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        if (this.#watched.get(pid) === w) this.#pass(pid);
      }, m.seconds * 1000);
      this.#timers.add(timer);
    };
    void this.#host.dumpRunning(pid, trigger).then(ended, () => ended(false));
  }
}
