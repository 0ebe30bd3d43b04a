/*
 * `procscope watch --wait NAME` (ProcDump -w): polls the process list until exactly one process whose name matches
 * the glob exists, then hands back its identity. A poll can miss a process that lives less than one interval —
 * that is why the watch itself holds children at birth, and why --wait is for finding the long-lived parent (the
 * service), not the short-lived child. Runs in the CLI process; never holds or signals what it sees.
 */
import { basename } from 'node:path';
import { DumpError } from '../../dump/dump-writer';
import type { ProcessBackend } from '../../platform/backend';

export const WAIT_POLL_MS = 250;

/** `*` any run, `?` one character, anchored, case-insensitive: the same reading as the rule's --name. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'is');
}

export interface WaitedProcess {
  pid: number;
  startTimeMs: number;
  name: string;
}

export interface WaitOptions {
  pollMs: number;
  signal: AbortSignal;
  /** Pids never matched: the CLI itself (`--wait 'node*'` must not find the watcher). */
  excludePids: ReadonlySet<number>;
}

/** Resolves with the one matching process, or null when aborted; rejects with a DumpError when several match. */
export async function waitForProcess(backend: ProcessBackend, glob: string, options: WaitOptions): Promise<WaitedProcess | null> {
  const pattern = globToRegExp(glob);
  // Linux's comm is cut at 15 characters and Windows names carry .exe: a name, its .exe-less form or the
  // executable's file name may match.
  const matches = (name: string, exePath: string | null): boolean =>
    pattern.test(name) || pattern.test(name.replace(/\.exe$/i, '')) || (exePath !== null && pattern.test(basename(exePath)));
  while (!options.signal.aborted) {
    const snapshot = await backend.takeSnapshot({ includeHandleCount: false });
    const found = snapshot.rows.filter((r) => !options.excludePids.has(r.pid) && matches(r.name, r.exePath));
    if (found.length > 1) {
      const pids = found.slice(0, 10).map((r) => r.pid).join(', ');
      throw new DumpError('bad-request', `${found.length} processes match '${glob}' (pids ${pids}${found.length > 10 ? ', …' : ''}): give the pid of the one to watch.`);
    }
    if (found.length === 1) return { pid: found[0]!.pid, startTimeMs: found[0]!.startTimeMs, name: found[0]!.name };
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, options.pollMs);
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
