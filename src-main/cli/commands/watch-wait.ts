/*
 * `procscope watch --wait NAME` (ProcDump -w): polls the process list until exactly one process whose name matches
 * the glob exists, then hands back its identity (several at once are refused with their pids, as ProcDump's
 * "Multiple processes match the specified name"). On Linux it scans /proc itself (comm and exe of every pid,
 * ~14 µs a process) every 10 ms, or ten passes' cost when that is longer, so it never takes more than ~10 % of a
 * core; elsewhere it takes the backend's snapshot every 250 ms. Any name-based poll misses a process that lives less
 * than one interval, and the found process runs on unheld until the watch seizes it — that is why --wait is for
 * finding the long-lived parent (the service), and `watch <parent> --children --name` the way that never misses.
 * Runs in the CLI process; never holds or signals what it sees.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { DumpError } from '../../dump/dump-writer';
import { compileNameGlob } from '../../capture/capture-pattern';
import type { ProcessBackend } from '../../platform/backend';

/** The backend snapshot's interval (Windows and others): a full snapshot costs milliseconds per pass. */
export const WAIT_POLL_MS = 250;
/** The Linux /proc scan's shortest interval. */
export const LINUX_WAIT_POLL_MS = 10;

/** What a poll needs of a process; a lister without start times leaves it null and the match's is read then. */
export interface WaitCandidate {
  pid: number;
  name: string;
  exePath: string | null;
  startTimeMs: number | null;
}

/** One pass over the process list. */
export type WaitLister = () => WaitCandidate[] | Promise<WaitCandidate[]>;

/**
 * One pass over /proc: comm (cut at 15 characters) and, when it was cut, the exe link's file name (readable for
 * our own processes, or all as root). A process that ends mid-pass is skipped.
 */
export function listProcForWait(): WaitCandidate[] {
  const out: WaitCandidate[] = [];
  for (const entry of readdirSync('/proc')) {
    const c = entry.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    let name: string;
    try {
      name = readFileSync(`/proc/${entry}/comm`, 'utf8').replace(/\n$/, '');
    } catch {
      continue;
    }
    let exePath: string | null = null;
    if (name.length >= 15) {
      try {
        exePath = readlinkSync(`/proc/${entry}/exe`);
      } catch {
        // Another user's process as non-root, or a kernel thread: its comm is all we can read.
      }
    }
    out.push({ pid: Number(entry), name, exePath, startTimeMs: null });
  }
  return out;
}

/** The backend's snapshot as a lister (every platform). */
export function backendLister(backend: ProcessBackend): WaitLister {
  return async () => (await backend.takeSnapshot({ includeHandleCount: false })).rows.map((r) => ({ pid: r.pid, name: r.name, exePath: r.exePath, startTimeMs: r.startTimeMs }));
}

export interface WaitedProcess {
  pid: number;
  startTimeMs: number;
  name: string;
}

export interface WaitOptions {
  /** The shortest interval; a pass that costs more than a tenth of it stretches it to ten passes. */
  pollMs: number;
  signal: AbortSignal;
  /** Pids never matched: the CLI itself (`--wait 'node*'` must not find the watcher). */
  excludePids: ReadonlySet<number>;
}

/**
 * Resolves with the one matching process (its start time from the backend, so a recycled pid is refused later), or
 * null when aborted; rejects with a DumpError when several match.
 */
export async function waitForProcess(
  list: WaitLister,
  backend: ProcessBackend,
  glob: string,
  options: WaitOptions,
): Promise<WaitedProcess | null> {
  // The rule's own glob (capture-pattern.ts): the same reading as --name, linear whatever the glob.
  const pattern = compileNameGlob(glob);
  // Linux's comm is cut at 15 characters and Windows names carry .exe: a name, its .exe-less form or the
  // executable's file name may match.
  const matches = (name: string, exePath: string | null): boolean =>
    pattern.test(name) || pattern.test(name.replace(/\.exe$/i, '')) || (exePath !== null && pattern.test(basename(exePath)));
  while (!options.signal.aborted) {
    const passStart = performance.now();
    const found = (await list()).filter((r) => !options.excludePids.has(r.pid) && matches(r.name, r.exePath));
    const passMs = performance.now() - passStart;
    if (found.length > 1) {
      const pids = found.slice(0, 10).map((r) => r.pid).join(', ');
      throw new DumpError('bad-request', `${found.length} processes match '${glob}' (pids ${pids}${found.length > 10 ? ', …' : ''}): give the pid of the one to watch.`);
    }
    if (found.length === 1) {
      const startTimeMs = found[0]!.startTimeMs ?? backend.readStartTimeMs(found[0]!.pid);
      // Gone between the pass and now: keep waiting for the next one.
      if (startTimeMs !== null) return { pid: found[0]!.pid, startTimeMs, name: found[0]!.name };
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(options.pollMs, Math.ceil(passMs * 10)));
      function done(): void {
        clearTimeout(timer);
        options.signal.removeEventListener('abort', done);
        resolve();
      }
      options.signal.addEventListener('abort', done);
    });
  }
  return null;
}
