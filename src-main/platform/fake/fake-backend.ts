/*
 * A scripted, deterministic ProcessBackend for UI tests and bench:ui: a seeded tree of N processes in which a fixed
 * share changes its CPU time and memory every sample, and a scripted number spawn and exit. Same seed, same
 * samples. Like the Linux backend, it hands back the same sample object for a process that did not change, so the
 * poller's cheap path is what bench:ui exercises, not a full diff of every row. It never touches the OS; it is never
 * a stand-in for the real backend in integration tests.
 */
import { emptyProcessRow, processKey } from '../../../src-shared/model/process';
import { createSeededRandom } from '../../../src-shared/seeded-random';
import {
  ProcessActionError,
  type BackendSnapshot,
  type CpuTimes,
  type ProcessBackend,
  type ProcessSample,
  type ProcessTarget,
  type SnapshotOptions,
} from '../backend';

export interface FakeBackendOptions {
  processCount?: number;
  /** Share of the rows whose counters change per sample, 0..1. */
  changingFraction?: number;
  spawnPerSample?: number;
  exitPerSample?: number;
  seed?: number;
  /** Wall-clock start of the fake machine. */
  startTimeMs?: number;
  /** Wall-clock and monotonic time advance per sample. */
  sampleStepMs?: number;
}

const NAMES = ['systemd', 'bash', 'node', 'python3', 'nginx', 'postgres', 'sshd', 'chromium', 'java', 'dockerd', 'cron', 'rsyslogd'];
const USERS = ['root', 'www-data', 'postgres', 'admin'];

/** Eight cores' cumulative times, core i busy about (10 + 10 i) % of each step: a stable, recognisable shape. */
function fakeCpuTimes(samples: number, stepMs: number): CpuTimes[] {
  return Array.from({ length: 8 }, (_, i) => ({ busyMs: Math.round(samples * stepMs * (0.1 + 0.1 * i)), totalMs: samples * stepMs }));
}

export function createFakeBackend(options: FakeBackendOptions = {}): ProcessBackend & { readonly sampleCount: number } {
  const processCount = Math.max(1, options.processCount ?? 200);
  const changingFraction = options.changingFraction ?? 0.02;
  const spawnPerSample = options.spawnPerSample ?? 0;
  const exitPerSample = options.exitPerSample ?? 0;
  const stepMs = options.sampleStepMs ?? 1000;
  const random = createSeededRandom(options.seed ?? 1);
  let nowMs = options.startTimeMs ?? 1_700_000_000_000;
  let monotonicMs = 0;
  let nextPid = 1;
  let sampleCount = 0;
  const rows = new Map<number, ProcessSample>();
  /** The sample object last handed out per pid, dropped when the process changes or exits (all of them when the
   * handle-count option changes), so the next snapshot makes a new one. */
  const emitted = new Map<number, ProcessSample>();
  let emittedWithHandleCount: boolean | null = null;
  let emittedWithIo: boolean | null = null;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

  function spawn(ppid: number): void {
    const pid = nextPid++;
    const name = pid === 1 ? 'init' : pick(NAMES);
    const row = emptyProcessRow(pid, ppid, name, nowMs - (pid === 1 ? 86_400_000 : 0));
    row.exePath = `/usr/bin/${name}`;
    row.commandLine = `/usr/bin/${name} --worker=${pid}`;
    row.user = pick(USERS);
    row.state = 'sleeping';
    row.threadCount = 1 + Math.floor(random() * 16);
    row.cpuTimeMs = Math.floor(random() * 100_000);
    row.workingSetBytes = Math.floor(1 + random() * 200) * 1024 * 1024;
    row.privateBytes = Math.floor(row.workingSetBytes * 0.6);
    row.virtualBytes = row.workingSetBytes * 4;
    row.priority = 0;
    // Category inputs, so the colours and legend have something of each kind to show.
    row.services = name === 'nginx' || name === 'postgres' || name === 'sshd' || name === 'cron' ? [`${name}.service`] : null;
    row.isService = row.services !== null;
    row.isDotNet = pid % 17 === 0;
    row.inJob = pid % 11 === 0;
    row.beingDebugged = pid % 29 === 0;
    row.suspended = false;
    row.ioReadBytes = Math.floor(random() * 1e9);
    row.ioWriteBytes = Math.floor(random() * 1e8);
    row.ioReadOps = Math.floor(row.ioReadBytes / 4096);
    row.ioWriteOps = Math.floor(row.ioWriteBytes / 4096);
    rows.set(pid, row);
  }

  spawn(0);
  while (rows.size < processCount) {
    // Parents among the earlier pids give a realistic mix of deep chains and wide fans.
    const parent = 1 + Math.floor(random() ** 2 * (nextPid - 1));
    spawn(parent);
  }

  function advance(): void {
    nowMs += stepMs;
    monotonicMs += stepMs;
    const live = [...rows.values()];
    const changing = Math.round(live.length * changingFraction);
    for (let i = 0; i < changing; i++) {
      const row = pick(live);
      row.cpuTimeMs = (row.cpuTimeMs ?? 0) + Math.floor(random() * stepMs * 0.5);
      row.workingSetBytes = Math.max(4096, (row.workingSetBytes ?? 0) + Math.floor((random() - 0.5) * 1024 * 1024));
      const readBytes = Math.floor(random() * 1024 * 1024);
      const writeBytes = Math.floor(random() * 256 * 1024);
      row.ioReadBytes = (row.ioReadBytes ?? 0) + readBytes;
      row.ioWriteBytes = (row.ioWriteBytes ?? 0) + writeBytes;
      row.ioReadOps = (row.ioReadOps ?? 0) + Math.ceil(readBytes / 4096);
      row.ioWriteOps = (row.ioWriteOps ?? 0) + Math.ceil(writeBytes / 4096);
      emitted.delete(row.pid);
    }
    // O(churn) per sample, not O(rows × churn): serve --fake-churn replaces hundreds of 5,000 rows per tick.
    for (let i = 0, tries = 0; i < exitPerSample && rows.size > 1 && tries < exitPerSample * 10; tries++) {
      const victim = pick(live);
      if (victim.pid === 1 || !rows.has(victim.pid)) continue;
      rows.delete(victim.pid);
      emitted.delete(victim.pid);
      i++;
    }
    const parents = spawnPerSample > 0 ? [...rows.keys()] : [];
    for (let i = 0; i < spawnPerSample; i++) spawn(pick(parents));
  }

  function check(target: ProcessTarget): ProcessSample {
    const row = rows.get(target.pid);
    if (!row) throw new ProcessActionError('process-gone', `Process ${target.pid} has exited.`);
    if (row.startTimeMs !== target.startTimeMs) {
      throw new ProcessActionError('pid-recycled', `PID ${target.pid} now belongs to another process.`);
    }
    return row;
  }

  return {
    platform: 'fake',
    capabilities: { handleCount: 'cheap', suspend: true, dumpFormat: 'none' },
    get sampleCount() {
      return sampleCount;
    },
    async takeSnapshot(snapshotOptions: SnapshotOptions): Promise<BackendSnapshot> {
      if (sampleCount > 0) advance();
      sampleCount++;
      const includeIo = snapshotOptions.includeIo ?? false;
      if (emittedWithHandleCount !== snapshotOptions.includeHandleCount || emittedWithIo !== includeIo) emitted.clear();
      emittedWithHandleCount = snapshotOptions.includeHandleCount;
      emittedWithIo = includeIo;
      const sample = [...rows.values()].map((r) => {
        const last = emitted.get(r.pid);
        if (last) return last;
        const handleCount = snapshotOptions.includeHandleCount ? 10 + (r.pid % 90) : null;
        const next = { ...r, key: processKey(r.pid, r.startTimeMs), handleCount };
        if (!includeIo) {
          // As the Linux backend: no I/O counters unless asked for.
          next.ioReadBytes = next.ioWriteBytes = next.ioReadOps = next.ioWriteOps = null;
        }
        emitted.set(r.pid, next);
        return next;
      });
      return {
        timestampMs: nowMs,
        monotonicMs,
        rows: sample,
        cpuCount: 8,
        memoryTotalBytes: 64 * 1024 ** 3,
        memoryAvailableBytes: 40 * 1024 ** 3,
        perCpuTimes: fakeCpuTimes(sampleCount, stepMs),
        commitBytes: 30 * 1024 ** 3,
        commitLimitBytes: 96 * 1024 ** 3,
      };
    },
    readStartTimeMs(pid: number): number | null {
      return rows.get(pid)?.startTimeMs ?? null;
    },
    async terminate(target: ProcessTarget): Promise<void> {
      rows.delete(check(target).pid);
      emitted.delete(target.pid);
    },
    async suspend(target: ProcessTarget): Promise<void> {
      const row = check(target);
      row.state = 'stopped';
      row.suspended = true;
      emitted.delete(target.pid);
    },
    async resume(target: ProcessTarget): Promise<void> {
      const row = check(target);
      row.state = 'sleeping';
      row.suspended = false;
      emitted.delete(target.pid);
    },
    dispose(): void {
      rows.clear();
      emitted.clear();
    },
  };
}
