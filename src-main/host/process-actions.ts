/*
 * Kill Process Tree for both hosts: the subtree is taken from the poller's latest rows (the tree the user saw),
 * then each member is ended by identity (pid + start time), so a pid recycled meanwhile is never hit. Order: the
 * chosen process first, then its descendants parents-before-children, as Process Explorer does, so a supervising
 * parent cannot restart the children we are about to end. Runs in the main / serve process.
 */
import type { KillTreeResult, ProcessTargetArgs } from '../../src-shared/ipc/dump-contract';
import type { ProcessRow } from '../../src-shared/model/process';
import { buildProcessTree, collectSubtree } from '../../src-shared/tree/process-tree';
import { ProcessActionError, type ProcessBackend } from '../platform/backend';

export async function killProcessTree(
  backend: ProcessBackend,
  rows: readonly ProcessRow[],
  target: ProcessTargetArgs,
): Promise<KillTreeResult> {
  const root = rows.find((r) => r.pid === target.pid && r.startTimeMs === target.startTimeMs);
  if (!root) {
    // Not in the latest sample: still end the process itself if it is there (the backend checks identity).
    await backend.terminate(target);
    return { killedCount: 1, failures: [] };
  }
  const members = collectSubtree(buildProcessTree(rows), root);
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
