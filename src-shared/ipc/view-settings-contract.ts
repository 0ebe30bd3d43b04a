/*
 * The persisted view's channels (issue 14): the renderer reads the host's view file once at start and writes the
 * whole view back after each change (debounced). The host validates it (view-settings-schema.ts) and keeps it
 * per host: Electron's userData, the browser host's config folder.
 */
import type { ViewSettings, ViewSettingsView } from '../model/view-settings';

export type { ViewSettings, ViewSettingsView } from '../model/view-settings';

/** Spread into RequestMap (src-shared/ipc/contract.ts). */
export interface ViewSettingsRequestMap {
  /** The saved view, or null settings with a notice when the file is missing, unreadable or invalid. */
  'procscope:get-view-settings': { args: Record<string, never>; result: ViewSettingsView };
  /** Replaces the saved view (atomic write); answers what was stored. */
  'procscope:set-view-settings': { args: { settings: ViewSettings }; result: ViewSettings };
}
