/*
 * Delta computation for the poller, pure: from the rows last published and a new sample to { added, updated,
 * removed }, keyed by process identity (pid + start time). A recycled pid has a new key, so it shows up as the old
 * key removed and a new one added, never as an update. Updates carry only the fields that changed.
 */
import { PROCESS_ROW_FIELD_SET, type MutableProcessFields, type ProcessKey, type ProcessRow, type ProcessUpdate } from '../../src-shared/model/process';

/** Every row field but the identity (pid, start time; the key is made of them). */
export const MUTABLE_FIELDS = (Object.keys(PROCESS_ROW_FIELD_SET) as (keyof typeof PROCESS_ROW_FIELD_SET)[]).filter(
  (f): f is keyof MutableProcessFields => f !== 'pid' && f !== 'startTimeMs',
);

/** Two services lists with the same names in the same order (backends reuse the array, so usually the same object). */
function sameServices(a: string[] | null, b: string[] | null): boolean {
  if (a === b) return true;
  if (a === null || b === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The fields of `next` that differ from `previous`, or null when none does. Values are primitives but services. */
export function changedFields(previous: ProcessRow, next: ProcessRow): Partial<MutableProcessFields> | null {
  let changes: Record<string, unknown> | null = null;
  for (const field of MUTABLE_FIELDS) {
    if (previous[field] !== next[field] && (field !== 'services' || !sameServices(previous.services, next.services))) {
      changes ??= {};
      changes[field] = next[field];
    }
  }
  return changes as Partial<MutableProcessFields> | null;
}

export interface RowChanges {
  added: ProcessRow[];
  updated: ProcessUpdate[];
  removed: ProcessKey[];
}

export function computeRowChanges(previous: ReadonlyMap<ProcessKey, ProcessRow>, next: readonly ProcessRow[]): RowChanges {
  const added: ProcessRow[] = [];
  const updated: ProcessUpdate[] = [];
  // Keys are unique within a sample, so when every previous key was matched nothing left: the usual poll, where a
  // set of 5,000 keys would be built only to find that.
  let matched = 0;
  for (const row of next) {
    const before = previous.get(row.key);
    if (!before) {
      added.push(row);
      continue;
    }
    matched++;
    // The poller keeps the same object for a row that did not change.
    if (before === row) continue;
    const changes = changedFields(before, row);
    if (changes) updated.push({ key: row.key, changes });
  }
  const removed: ProcessKey[] = [];
  if (matched < previous.size) {
    const seen = new Set<ProcessKey>();
    for (const row of next) seen.add(row.key);
    for (const key of previous.keys()) if (!seen.has(key)) removed.push(key);
  }
  return { added, updated, removed };
}
