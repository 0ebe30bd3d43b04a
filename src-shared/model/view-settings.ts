/*
 * The main window's view as the host keeps it, one file per host (issue 14): columns (order, widths), sort,
 * tree or flat list, the lower pane's flags, refresh rate, highlight durations, the category colours and how long
 * exited processes stay. Plain data; src-shared/ipc/view-settings-schema.ts is the one gate for what the renderer
 * sends and for what the file holds.
 */
import { PROCESS_ROW_FIELD_SET } from './process';

/**
 * Every id a column may have: a column is named after the ProcessRow field it shows (src-renderer/format/columns.ts;
 * a test there checks each of its ids is here): every row field but the key (PROCESS_ROW_FIELD_SET).
 */
export const COLUMN_ID_SET = PROCESS_ROW_FIELD_SET;

export const KNOWN_COLUMN_IDS: readonly string[] = Object.keys(COLUMN_ID_SET);

/**
 * The row categories of Options → Colours, in priority order (the first that applies colours a row), as Process
 * Explorer decides: a state (suspended, being debugged) beats what a process is, and the narrower kind beats the
 * broader one (.NET, job, elevated, service, then merely "yours"). New and exited highlights beat all of them.
 */
export const CATEGORY_IDS = ['suspended', 'debugged', 'dotnet', 'job', 'elevated', 'service', 'own'] as const;
export type CategoryId = (typeof CATEGORY_IDS)[number];

export interface CategoryStyle {
  /** #rrggbb */
  color: string;
  enabled: boolean;
}

export interface ViewSettings {
  version: 1;
  /** Visible columns, left to right; 'name' (Process) is always first. */
  columns: string[];
  /** Width per column id (shown or not), in CSS pixels. */
  widthsPx: Record<string, number>;
  sort: { column: string; direction: 'asc' | 'desc' } | null;
  flatList: boolean;
  lowerPane: { visible: boolean; view: 'dlls' | 'handles' };
  /** One of REFRESH_INTERVALS_MS (the last running one: a paused poller is not restored paused). */
  refreshIntervalMs: number;
  /** How long a new process stays green; 0 = one interval, as Process Explorer. */
  newHighlightMs: number;
  /** How long an exited process stays, greyed and marked exited; 0 = one interval. */
  keepExitedMs: number;
  categories: Record<CategoryId, CategoryStyle>;
}

export const MAX_VIEW_COLUMNS = 64;
export const MIN_SETTINGS_COLUMN_WIDTH_PX = 20;
export const MAX_SETTINGS_COLUMN_WIDTH_PX = 2000;
export const MAX_HIGHLIGHT_MS = 60_000;

/** Light colours dark text stays readable on; the dark theme dims them (styles.css). */
export const DEFAULT_CATEGORY_STYLES: Readonly<Record<CategoryId, CategoryStyle>> = {
  suspended: { color: '#9e9e9e', enabled: true },
  debugged: { color: '#ffb74d', enabled: true },
  dotnet: { color: '#ffff80', enabled: true },
  job: { color: '#d0a878', enabled: true },
  elevated: { color: '#ffc0a0', enabled: true },
  service: { color: '#ffd0e0', enabled: true },
  own: { color: '#d0d0ff', enabled: true },
};

/** What the host answers: the settings, and a sentence when the file could not be used (the defaults are then given). */
export interface ViewSettingsView {
  /** Null: nothing saved yet (or the file was unusable): the renderer keeps its own defaults. */
  settings: ViewSettings | null;
  notice: string | null;
}
