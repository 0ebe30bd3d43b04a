/*
 * Kill Process Tree for both hosts: the subtree is taken from the poller's latest rows (the tree the user saw),
 * then each member is ended by identity (pid + start time), so a pid recycled meanwhile is never hit. Order: the
 * chosen process first, then its descendants parents-before-children, as Process Explorer does, so a supervising
 * parent cannot restart the children we are about to end. Runs in the main / serve process.
 * Neither host ends or suspends itself: a request naming one of its own pids, or a tree that contains one (the
 * tree of an ancestor), is refused before the backend is asked (issue 11, item 10).
 */
import type { KillTreeResult, ProcessTargetArgs } from '../../src-shared/ipc/dump-contract';
import type { ProcessRow } from '../../src-shared/model/process';
import { buildProcessTree, collectSubtree } from '../../src-shared/tree/process-tree';
import { ProcessActionError, type ProcessBackend } from '../platform/backend';
import { HostRequestError } from './host-request-error';

export type ProcessAction = 'kill' | 'suspend';

/**
 * Throws the typed 'own-process' refusal when the target is one of the host's pids. Suspending the host froze
 * `procscope serve` with no way left to resume it; killing it is the user's to do from outside, not by a click in it.
 * Its ancestors stay allowed for kill and suspend (neither stops the host), but not for Kill Process Tree.
 */
export function refuseOwnProcess(action: ProcessAction, target: ProcessTargetArgs, hostPids: readonly number[]): void {
  if (!hostPids.includes(target.pid)) return;
  throw new HostRequestError(
    'own-process',
    `Procscope will not ${action} PID ${target.pid}: it is Procscope itself (${action === 'kill' ? 'close the window or stop the server instead' : 'it could not resume itself'}).`,
  );
}

export async function killProcessTree(
  backend: ProcessBackend,
  rows: readonly ProcessRow[],
  target: ProcessTargetArgs,
  hostPids: readonly number[],
): Promise<KillTreeResult> {
  refuseOwnProcess('kill', target, hostPids);
  const root = rows.find((r) => r.pid === target.pid && r.startTimeMs === target.startTimeMs);
  if (!root) {
    // Not in the latest sample: still end the process itself if it is there (the backend checks identity).
    await backend.terminate(target);
    return { killedCount: 1, failures: [] };
  }
  const members = collectSubtree(buildProcessTree(rows), root);
  const own = members.find((row) => hostPids.includes(row.pid));
  if (own) {
    throw new HostRequestError(
      'own-process',
      `Procscope will not kill the tree of PID ${target.pid}: it contains Procscope itself (PID ${own.pid}). Kill the processes you mean one by one.`,
    );
  }
  await backend.terminate(target);
  const result: KillTreeResult = { killedCount: 1, failures: [] };
  for (const row of members) {
    if (row.pid === root.pid && row.startTimeMs === root.startTimeMs) continue;
    try {
      await backend.terminate({ pid: row.pid, startTimeMs: row.startTimeMs });
      result.killedCount++;
    } catch (err) {
      // A child that exited on its own (or with its parent) is what we wanted anyway.
      if (err instanceof ProcessActionError && (err.code === 'process-gone' || err.code === 'pid-recycled')) continue;
      result.failures.push({ pid: row.pid, message: err instanceof Error ? err.message : String(err) });
    }
  }
  return result;
}
