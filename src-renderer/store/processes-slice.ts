/*
 * The live process table in the renderer: a snapshot replaces it, a delta is applied in place (rows mutated, no
 * copy of 5,000 rows per tick) and `version` is bumped so views recompute. New rows are marked new, removed rows
 * stay marked as exited (greyed, not actionable): each for one interval, as Process Explorer shows them, or for
 * the chosen highlight time (newHighlightMs, keepExitedMs), measured in sample time, so a paused poller keeps them.
 * A gap in seq is reported to the caller, which then asks main for a fresh snapshot.
 */
import type { StateCreator } from 'zustand';
import type { ProcessDelta, ProcessKey, ProcessRow, ProcessSnapshot, SystemTotals } from '../../src-shared/model/process';
import { createLiveProcessTree, type LiveProcessTree } from '../../src-shared/tree/live-process-tree';

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
  // Issue 14: the I/O counters move every poll for a busy process while an I/O column shows; the category states
  // change a row's colour, not its place.
  'ioReadBytes',
  'ioWriteBytes',
  'ioReadOps',
  'ioWriteOps',
  'ioReadBytesPerSec',
  'ioWriteBytesPerSec',
  'suspended',
  'beingDebugged',
]);
/** Fields a row's place in the tree depends on: a change of one rebuilds the tree instead of relinking one row. */
const LINK_FIELDS: ReadonlySet<string> = new Set(['pid', 'ppid', 'startTimeMs']);

export type DeltaOutcome = 'applied' | 'stale' | 'gap';

export interface ProcessesSlice {
  rows: Map<ProcessKey, ProcessRow>;
  /** The tree of `rows`, relinked row by row per delta (mutated in place; structureVersion tells when). */
  tree: LiveProcessTree;
  rowStatus: Map<ProcessKey, RowStatus>;
  /** The sample time at which each rowStatus entry began. */
  rowStatusSinceMs: Map<ProcessKey, number>;
  /** How long a new row stays marked new; 0 = one interval. */
  newHighlightMs: number;
  /** How long an exited row stays; 0 = one interval. */
  keepExitedMs: number;
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
  setHighlightDurations(durations: { newHighlightMs?: number; keepExitedMs?: number }): void;
}

/** The longest keep-exited / new-highlight time the Options offer (and the persisted view allows). */
export const MAX_HIGHLIGHT_MS = 60_000;

export const createProcessesSlice: StateCreator<ProcessesSlice, [], [], ProcessesSlice> = (set, get) => ({
  rows: new Map(),
  tree: createLiveProcessTree(),
  rowStatus: new Map(),
  rowStatusSinceMs: new Map(),
  newHighlightMs: 0,
  keepExitedMs: 0,
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
      tree: createLiveProcessTree(rows.values()),
      rowStatus: new Map(),
      rowStatusSinceMs: new Map(),
      rowRevision: new Map(),
      seq: snapshot.seq,
      system: snapshot.system,
      sampleTimestampMs: snapshot.timestampMs,
      version: get().version + 1,
      structureVersion: get().structureVersion + 1,
    });
  },
  applyDelta(delta) {
    const { seq, rows, tree, rowStatus, rowStatusSinceMs, rowRevision, newHighlightMs, keepExitedMs } = get();
    const touch = (key: ProcessKey) => rowRevision.set(key, (rowRevision.get(key) ?? 0) + 1);
    if (seq === null) return 'gap';
    if (delta.seq <= seq) return 'stale';
    if (delta.seq !== seq + 1) return 'gap';
    let structural = delta.added.length > 0;
    // Each row is relinked on its own; one the live tree cannot relink alone (a shared pid, a moved parent) makes
    // it rebuild once, after the whole delta.
    let relink = true;
    // Exits whose time is up leave now, arrivals whose time is up stop being new (0: after one interval).
    for (const [key, status] of rowStatus) {
      const age = delta.timestampMs - (rowStatusSinceMs.get(key) ?? 0);
      if (age < (status === 'exiting' ? keepExitedMs : newHighlightMs)) continue;
      rowStatus.delete(key);
      rowStatusSinceMs.delete(key);
      if (status === 'exiting') {
        const gone = rows.get(key);
        if (relink && gone) relink = tree.remove(gone);
        rows.delete(key);
        rowRevision.delete(key);
        structural = true;
      } else touch(key);
    }
    for (const added of delta.added) {
      const row = { ...added };
      rows.set(row.key, row);
      if (relink) relink = tree.add(row);
      rowStatus.set(row.key, 'new');
      rowStatusSinceMs.set(row.key, delta.timestampMs);
    }
    for (const update of delta.updated) {
      const row = rows.get(update.key);
      if (!row) continue;
      Object.assign(row, update.changes);
      touch(update.key);
      if (!structural) for (const field in update.changes) if (!VALUE_FIELDS.has(field)) structural = true;
      if (relink) for (const field in update.changes) if (LINK_FIELDS.has(field)) relink = false;
    }
    for (const key of delta.removed) {
      if (!rows.has(key) || rowStatus.get(key) === 'exiting') continue;
      rowStatus.set(key, 'exiting');
      rowStatusSinceMs.set(key, delta.timestampMs);
      touch(key);
    }
    if (!relink) tree.reset(rows.values());
    set({
      seq: delta.seq,
      system: delta.system,
      sampleTimestampMs: delta.timestampMs,
      version: get().version + 1,
      structureVersion: get().structureVersion + (structural ? 1 : 0),
    });
    return 'applied';
  },
  setHighlightDurations(durations) {
    const clamp = (ms: number | undefined, current: number) =>
      ms === undefined || !Number.isFinite(ms) ? current : Math.min(MAX_HIGHLIGHT_MS, Math.max(0, Math.round(ms)));
    set({ newHighlightMs: clamp(durations.newHighlightMs, get().newHighlightMs), keepExitedMs: clamp(durations.keepExitedMs, get().keepExitedMs) });
  },
});
