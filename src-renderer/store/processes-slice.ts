/*
 * The live process table in the renderer: a snapshot replaces it, a delta is applied in place (rows mutated, no
 * copy of 5,000 rows per tick) and `version` is bumped so views recompute. New rows are marked for one interval,
 * removed rows stay one interval marked as exiting, as Process Explorer shows them. A gap in seq is reported to the
 * caller, which then asks main for a fresh snapshot.
 */
import type { StateCreator } from 'zustand';
import type { ProcessDelta, ProcessKey, ProcessRow, ProcessSnapshot, SystemTotals } from '../../src-shared/model/process';

export type RowStatus = 'new' | 'exiting';

/**
 * Fields that change all the time but never move a row in the unsorted tree: a delta touching only these leaves
 * structureVersion alone, so the view can keep its row order and just repaint the cells on screen.
 */
export const VALUE_FIELDS: ReadonlySet<string> = new Set([
  'cpuPercent',
  'cpuTimeMs',
  'workingSetBytes',
  'privateBytes',
  'virtualBytes',
  'threadCount',
  'handleCount',
  'priority',
  'state',
]);
export type DeltaOutcome = 'applied' | 'stale' | 'gap';

export interface ProcessesSlice {
  rows: Map<ProcessKey, ProcessRow>;
  rowStatus: Map<ProcessKey, RowStatus>;
  /** Per-row change counter, so a row view can skip rendering when its (in-place mutated) row did not change. */
  rowRevision: Map<ProcessKey, number>;
  seq: number | null;
  system: SystemTotals | null;
  sampleTimestampMs: number | null;
  /** Bumped on every change; selectors depend on it because the maps are mutated in place. */
  version: number;
  /** Bumped when rows come or go or a non-value field (parent, name, command line, ...) changes. */
  structureVersion: number;
  applySnapshot(snapshot: ProcessSnapshot): void;
  applyDelta(delta: ProcessDelta): DeltaOutcome;
}

export const createProcessesSlice: StateCreator<ProcessesSlice, [], [], ProcessesSlice> = (set, get) => ({
  rows: new Map(),
  rowStatus: new Map(),
  rowRevision: new Map(),
  seq: null,
  system: null,
  sampleTimestampMs: null,
  version: 0,
  structureVersion: 0,
  applySnapshot(snapshot) {
    const rows = new Map<ProcessKey, ProcessRow>();
    for (const row of snapshot.rows) rows.set(row.key, { ...row });
    set({
      rows,
      rowStatus: new Map(),
      rowRevision: new Map(),
      seq: snapshot.seq,
      system: snapshot.system,
      sampleTimestampMs: snapshot.timestampMs,
      version: get().version + 1,
      structureVersion: get().structureVersion + 1,
    });
  },
  applyDelta(delta) {
    const { seq, rows, rowStatus, rowRevision } = get();
    const touch = (key: ProcessKey) => rowRevision.set(key, (rowRevision.get(key) ?? 0) + 1);
    if (seq === null) return 'gap';
    if (delta.seq <= seq) return 'stale';
    if (delta.seq !== seq + 1) return 'gap';
    let structural = delta.added.length > 0;
    // Last interval's exits leave now, last interval's arrivals stop being new.
    for (const [key, status] of rowStatus) {
      if (status !== 'exiting') continue;
      rows.delete(key);
      rowRevision.delete(key);
      structural = true;
    }
    for (const key of rowStatus.keys()) touch(key);
    rowStatus.clear();
    for (const row of delta.added) {
      rows.set(row.key, { ...row });
      rowStatus.set(row.key, 'new');
    }
    for (const update of delta.updated) {
      const row = rows.get(update.key);
      if (!row) continue;
      Object.assign(row, update.changes);
      touch(update.key);
      if (!structural) for (const field in update.changes) if (!VALUE_FIELDS.has(field)) structural = true;
    }
    for (const key of delta.removed) {
      if (!rows.has(key)) continue;
      rowStatus.set(key, 'exiting');
      touch(key);
    }
    set({
      seq: delta.seq,
      system: delta.system,
      sampleTimestampMs: delta.timestampMs,
      version: get().version + 1,
      structureVersion: get().structureVersion + (structural ? 1 : 0),
    });
    return 'applied';
  },
});
