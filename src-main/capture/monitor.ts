/*
 * The decision of the sampled triggers (ProcDump -c, -m, -n/-s): fed one sample of a process a second, it says when to
 * dump it. Pure and OS-independent — the Linux engine feeds it /proc/PID/stat and status, the Windows engine
 * (win32/win32-capture-monitor.ts) the process snapshot's CPU times and commit — so both apply ProcDump's semantics the
 * same way. Semantics, from ProcDump for Linux (Monitor.cpp, Process.cpp) and ProcDump's documented -s: CPU is a
 * percentage of ONE core (a busy thread is 100, the most is 100 × cores, as ProcDump for Linux's MAXIMUM_CPU), measured
 * over the last sample interval (ProcDump for Linux averages over the whole lifetime, which a long-idle process never
 * crosses) and it must hold for `seconds` consecutive samples (ProcDump's -s on Windows); memory (resident + swap on
 * Linux, as ProcDump for Linux) fires on the first sample at or above it; a series (no threshold) dumps at once, then
 * every `seconds`. After a dump nothing counts for `seconds` (ProcDump waits ThresholdSeconds), and at most `count`
 * dumps are taken of one process.
 */
import type { CaptureMonitor, CaptureTrigger } from '../../src-shared/model/capture';

export interface MonitorSample {
  /** performance.now() of the sample. */
  atMs: number;
  /** CPU time the process has used so far (user + system, every thread), in ms. */
  cpuMs: number;
  /** Resident + swapped bytes (Linux), or commit (Windows). */
  memoryBytes: number;
}

export interface MonitorState {
  last: MonitorSample | null;
  /** Consecutive samples at or above the CPU threshold. */
  cpuRun: number;
  /** No sample counts before this time (the pause after a dump). */
  quietUntilMs: number;
  dumps: number;
  /** A dump was asked for and has not been reported done: nothing else is asked meanwhile. */
  pending: boolean;
}

export interface MonitorDecision {
  fire: Extract<CaptureTrigger, 'cpu' | 'memory' | 'series'> | null;
  /** CPU over the last interval, % of one core (null on the first sample). */
  cpuPercent: number | null;
  memoryMb: number;
}

export function newMonitorState(): MonitorState {
  return { last: null, cpuRun: 0, quietUntilMs: -Infinity, dumps: 0, pending: false };
}

/** One sample in, whether to dump now. The caller reports the dump's end with monitorDumped (written or failed). */
export function monitorSample(m: CaptureMonitor, state: MonitorState, sample: MonitorSample): MonitorDecision {
  const prev = state.last;
  state.last = sample;
  const memoryMb = sample.memoryBytes / (1024 * 1024);
  const elapsed = prev ? sample.atMs - prev.atMs : 0;
  const cpuPercent = prev && elapsed > 0 ? (Math.max(0, sample.cpuMs - prev.cpuMs) / elapsed) * 100 : null;
  const result = (fire: MonitorDecision['fire']): MonitorDecision => {
    if (fire) {
      state.pending = true;
      state.cpuRun = 0;
    }
    return { fire, cpuPercent, memoryMb };
  };
  if (state.pending || state.dumps >= m.count) return result(null);
  if (sample.atMs < state.quietUntilMs) {
    state.cpuRun = 0;
    return result(null);
  }
  if (m.cpuPercent === null && m.memoryMb === null) return result('series');
  if (m.cpuPercent !== null) {
    state.cpuRun = cpuPercent !== null && cpuPercent >= m.cpuPercent ? state.cpuRun + 1 : 0;
    if (state.cpuRun >= m.seconds) return result('cpu');
  }
  if (m.memoryMb !== null && memoryMb >= m.memoryMb) return result('memory');
  return result(null);
}

/** The asked-for dump ended at `atMs` (written: counts toward `count`; failed: does not). Quiet for `seconds` either way. */
export function monitorDumped(m: CaptureMonitor, state: MonitorState, atMs: number, written: boolean): void {
  state.pending = false;
  if (written) state.dumps++;
  state.cpuRun = 0;
  state.quietUntilMs = atMs + m.seconds * 1000 - MONITOR_SLACK_MS;
}

/** Samples come every 1000 ms give or take a timer's lateness: a pause of S seconds lets the S-th next sample count. */
const MONITOR_SLACK_MS = 100;

/** Every process gets at most `count` dumps: the monitor is done with it. */
export function monitorFinished(m: CaptureMonitor, state: MonitorState): boolean {
  return state.dumps >= m.count;
}
