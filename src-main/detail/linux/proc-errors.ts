/*
 * /proc read failures in the detail vocabulary: EACCES / EPERM → 'access-denied' with the sentence the tab shows,
 * ENOENT / ESRCH → 'process-gone' (the caller then checks the identity, which may say 'pid-recycled' instead).
 */
import { DetailFailure } from '../detail-source';

export const NEEDS_ELEVATION = 'Access denied — needs elevation (another user\'s process: run Procscope as root to read it).';

export function procFailure(err: unknown, what: string): DetailFailure {
  if (err instanceof DetailFailure) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'EACCES' || code === 'EPERM') return new DetailFailure('access-denied', NEEDS_ELEVATION);
  if (code === 'ENOENT' || code === 'ESRCH') return new DetailFailure('process-gone', 'The process has exited.');
  return new DetailFailure('failed', `Reading ${what} failed: ${err instanceof Error ? err.message : String(err)}`);
}

/** Runs an async /proc read, rethrowing its failure as a DetailFailure. */
export async function procRead<T>(what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    throw procFailure(err, what);
  }
}
