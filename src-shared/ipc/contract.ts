/*
 * The one IPC contract that the Electron main process, the preload, the browser host and the renderer compile
 * against (GitHub Desktop's channel → signature maps). Two maps: RequestMap (renderer asks, main answers once) and
 * PushMap (main tells the renderer). Every channel carries the "procscope:" prefix and plain, cloneable data only.
 * To add a feature, add entries here, a zod schema per request in request-schemas.ts and one handler in main.
 */
import type { ProcessSnapshot, ProcessStreamMessage } from '../model/process';
import type {
  DumpEventPayload,
  DumpGroupView,
  DumpJobList,
  DumpJobView,
  DumpSettingsView,
  KillTreeResult,
  ProcessTargetArgs,
  StartDumpArgs,
} from './dump-contract';
import type { CaptureEventPayload, CaptureWatchView, StartCaptureArgs } from './capture-contract';
import type { AnalysisView, AnalyzeFileArgs, SaveReportArgs } from './analysis-contract';
import type { UploadPackageProgress, UploadPackageResult } from '../model/upload-package';
import type { ViewSettingsRequestMap } from './view-settings-contract';
import type { DetailRequestMap } from './detail-contract';

export const IPC_PREFIX = 'procscope:';

export interface PollerState {
  /** 0 = paused. */
  intervalMs: number;
  /** The interval to go back to when unpausing. */
  lastRunningIntervalMs: number;
  includeHandleCount: boolean;
}

export interface AppInfo {
  name: string;
  version: string;
  /** Which backend reads the processes. */
  backendPlatform: 'linux' | 'win32' | 'fake';
  handleCount: 'cheap' | 'costly' | 'none';
  /** What this host can do, so the renderer hides what it cannot (the browser host has no native dialogs). */
  capabilities: HostCapabilities;
  /** The user the host runs as (os.userInfo().username), for the "own processes" colour; null if unknown. */
  currentUser?: string | null;
}

export interface HostCapabilities {
  /** Suspend / Resume of a process. */
  suspend: boolean;
  /** The dump file name's extension. */
  dumpFormat: 'elf-core' | 'minidump' | 'none';
  /** procscope:choose-dump-folder opens a native folder picker (Electron only). */
  chooseFolder: boolean;
  /** procscope:show-dump-in-folder opens the file manager (Electron only). */
  showInFolder: boolean;
  /** Capture… / Capture Children… (procscope:start-capture) can run here. */
  capture: boolean;
  /** Analyze Dump… shows a native open dialog (Electron); without it the user types the dump's path. */
  openDumpDialog: boolean;
  /** procscope:save-report shows a native save dialog (Electron); without it the renderer downloads the report. */
  saveReportDialog: boolean;
  /** procscope:open-properties-window opens a native window per process (Electron); without it the page opens a tab. */
  propertiesWindow?: boolean;
}

/** Menu items that the renderer carries out (the Electron menu owns no view state). */
export type MenuCommand =
  | 'expand-all'
  | 'collapse-all'
  | 'toggle-flat-list'
  | 'focus-filter'
  | 'choose-columns'
  | 'analyze-dump'
  /** Issue 14: the lower pane (Ctrl+L, Ctrl+D, Ctrl+H) and Find Handle or DLL (Ctrl+Shift+F). */
  | 'toggle-lower-pane'
  | 'lower-pane-dlls'
  | 'lower-pane-handles'
  | 'find-handle-or-dll'
  /** Issue 14: Options → Colours… and Options → Keep Exited Processes… (one dialog, two sections). */
  | 'options-colours'
  | 'options-keep-exited';

/** Request channel → argument object and result. One argument object per call, so it validates as one schema. */
export interface RequestMap extends ViewSettingsRequestMap, DetailRequestMap {
  /** Also starts the process stream for this sender: a snapshot first, then deltas on procscope:process-stream. */
  'procscope:subscribe-processes': { args: Record<string, never>; result: PollerState };
  'procscope:unsubscribe-processes': { args: Record<string, never>; result: null };
  /** A fresh full snapshot: the renderer asks for one when it sees a gap in seq. */
  'procscope:get-snapshot': { args: Record<string, never>; result: ProcessSnapshot | null };
  'procscope:get-poller-state': { args: Record<string, never>; result: PollerState };
  /** 0 pauses; otherwise one of REFRESH_INTERVALS_MS. */
  'procscope:set-refresh-interval': { args: { intervalMs: number }; result: PollerState };
  'procscope:set-include-handle-count': { args: { include: boolean }; result: PollerState };
  /** What the poll reads beyond the steady set, because a shown column, graph or colour needs it (issue 14). */
  'procscope:set-poll-fields': { args: { io?: boolean; categories?: boolean }; result: null };
  'procscope:refresh-now': { args: Record<string, never>; result: null };
  'procscope:get-app-info': { args: Record<string, never>; result: AppInfo };
  /** Row actions, by identity: a pid that now belongs to another process is refused. */
  'procscope:kill-process': { args: ProcessTargetArgs; result: null };
  /** The process first, then its descendants (as Process Explorer), so a parent cannot restart them. */
  'procscope:kill-process-tree': { args: ProcessTargetArgs; result: KillTreeResult };
  'procscope:suspend-process': { args: ProcessTargetArgs; result: null };
  'procscope:resume-process': { args: ProcessTargetArgs; result: null };
  /** Dump jobs: progress and outcome arrive on procscope:dump-event. */
  'procscope:start-dump': { args: StartDumpArgs; result: DumpJobView };
  'procscope:start-tree-dump': { args: StartDumpArgs; result: DumpGroupView };
  /** False when the job had already finished. */
  'procscope:cancel-dump': { args: { jobId: string }; result: boolean };
  'procscope:retry-dump-elevated': { args: { jobId: string }; result: DumpJobView };
  /** Deletes the file of a finished dump and takes it off the list. */
  'procscope:delete-dump': { args: { jobId: string }; result: null };
  /** Takes a finished job off the list, leaving its file. */
  'procscope:dismiss-dump': { args: { jobId: string }; result: boolean };
  'procscope:list-dump-jobs': { args: Record<string, never>; result: DumpJobList };
  'procscope:get-dump-settings': { args: Record<string, never>; result: DumpSettingsView };
  'procscope:update-dump-settings': { args: Partial<DumpSettingsView>; result: DumpSettingsView };
  /** Electron only (capabilities.chooseFolder): a native folder picker; null when the user cancelled. */
  'procscope:choose-dump-folder': { args: { defaultPath?: string }; result: string | null };
  /** Electron only (capabilities.showInFolder): shows a finished dump's file in the file manager. */
  'procscope:show-dump-in-folder': { args: { jobId: string }; result: null };
  /** Capture watches (issue 12): events arrive on procscope:capture-event; each dump is also a dump job. */
  'procscope:start-capture': { args: StartCaptureArgs; result: CaptureWatchView };
  /** Releases everything the watch holds and ends it ('stopped'); false when it had already ended. */
  'procscope:stop-capture': { args: { watchId: string }; result: boolean };
  /** A watch that failed for lack of rights, started again through the elevated helper. */
  'procscope:retry-capture-elevated': { args: { watchId: string }; result: CaptureWatchView };
  /** Takes an ended watch off the Capture panel (its dumps stay, as jobs and files); false if it still runs. */
  'procscope:dismiss-capture': { args: { watchId: string }; result: boolean };
  'procscope:list-captures': { args: Record<string, never>; result: CaptureWatchView[] };
  /** Analyze (issue 13): the redacted report of a finished dump job's own file (the host resolves the path). */
  'procscope:analyze-job': { args: { jobId: string }; result: AnalysisView };
  /** Analyze Dump…: Electron's open dialog (no path) or a typed absolute path (browser host); null: cancelled. */
  'procscope:analyze-file': { args: AnalyzeFileArgs; result: AnalysisView | null };
  /** Electron only (capabilities.saveReportDialog): a save dialog, then the file; its path, or null when cancelled. */
  'procscope:save-report': { args: SaveReportArgs; result: string | null };
  /** The self-contained HTML page of a report the host holds (the browser host's Save as HTML downloads it). */
  'procscope:render-report-html': { args: { reportId: string }; result: string };
  /** Electron only (capabilities.propertiesWindow): opens that process's Properties window, or focuses it. */
  'procscope:open-properties-window': { args: ProcessTargetArgs; result: null };
  /** Prepare for upload (issue 15): <dump>.zst, its SHA-256 and <dump>.manifest.json beside a finished job's own
   * file (the host resolves the path); resolves when written. Progress: upload-package-progress; cancel removes it. */
  'procscope:prepare-upload-package': { args: { jobId: string }; result: UploadPackageResult };
  'procscope:upload-package-progress': { args: { jobId: string }; result: UploadPackageProgress | null };
  'procscope:cancel-upload-package': { args: { jobId: string }; result: boolean };
}

/** Push channel → payload, main → renderer. */
export interface PushMap {
  'procscope:process-stream': ProcessStreamMessage;
  'procscope:poller-state': PollerState;
  'procscope:menu-command': { command: MenuCommand };
  /** Every dump-engine event, to every subscribed renderer. */
  'procscope:dump-event': DumpEventPayload;
  /** Every capture-service event, to every subscribed renderer. */
  'procscope:capture-event': CaptureEventPayload;
}

export type RequestChannel = keyof RequestMap;
export type PushChannel = keyof PushMap;
export type RequestArgs<C extends RequestChannel> = RequestMap[C]['args'];
export type RequestResult<C extends RequestChannel> = RequestMap[C]['result'];
export type PushPayload<C extends PushChannel> = PushMap[C];

/** Runtime lists (the preload's allow-lists). `satisfies` makes a missing or extra channel a compile error. */
const REQUEST_CHANNEL_SET = {
  'procscope:subscribe-processes': true,
  'procscope:unsubscribe-processes': true,
  'procscope:get-snapshot': true,
  'procscope:get-poller-state': true,
  'procscope:set-refresh-interval': true,
  'procscope:set-include-handle-count': true,
  'procscope:set-poll-fields': true,
  'procscope:refresh-now': true,
  'procscope:get-app-info': true,
  'procscope:kill-process': true,
  'procscope:kill-process-tree': true,
  'procscope:suspend-process': true,
  'procscope:resume-process': true,
  'procscope:start-dump': true,
  'procscope:start-tree-dump': true,
  'procscope:cancel-dump': true,
  'procscope:retry-dump-elevated': true,
  'procscope:delete-dump': true,
  'procscope:dismiss-dump': true,
  'procscope:list-dump-jobs': true,
  'procscope:get-dump-settings': true,
  'procscope:update-dump-settings': true,
  'procscope:choose-dump-folder': true,
  'procscope:show-dump-in-folder': true,
  'procscope:start-capture': true,
  'procscope:stop-capture': true,
  'procscope:retry-capture-elevated': true,
  'procscope:dismiss-capture': true,
  'procscope:list-captures': true,
  'procscope:analyze-job': true,
  'procscope:analyze-file': true,
  'procscope:save-report': true,
  'procscope:render-report-html': true,
  'procscope:open-properties-window': true,
  'procscope:get-view-settings': true,
  'procscope:set-view-settings': true,
  'procscope:get-process-detail': true,
  'procscope:get-thread-stack': true,
  'procscope:thread-action': true,
  'procscope:find-handle-or-dll': true,
  'procscope:prepare-upload-package': true,
  'procscope:upload-package-progress': true,
  'procscope:cancel-upload-package': true,
} as const satisfies Record<RequestChannel, true>;

const PUSH_CHANNEL_SET = {
  'procscope:process-stream': true,
  'procscope:poller-state': true,
  'procscope:menu-command': true,
  'procscope:dump-event': true,
  'procscope:capture-event': true,
} as const satisfies Record<PushChannel, true>;

export const REQUEST_CHANNELS = Object.keys(REQUEST_CHANNEL_SET) as RequestChannel[];
export const PUSH_CHANNELS = Object.keys(PUSH_CHANNEL_SET) as PushChannel[];

export function isRequestChannel(value: unknown): value is RequestChannel {
  return typeof value === 'string' && Object.hasOwn(REQUEST_CHANNEL_SET, value);
}

export function isPushChannel(value: unknown): value is PushChannel {
  return typeof value === 'string' && Object.hasOwn(PUSH_CHANNEL_SET, value);
}

/**
 * Names a channel that is not in the contract, for an error sentence. Never String(value): an object such as
 * {"toString": 1} from a WebSocket frame or a page makes that throw, and the code that refuses it must not.
 */
export function describeUnknownChannel(value: unknown): string {
  return typeof value === 'string' ? `'${value.slice(0, 80)}'` : `given as ${value === null ? 'null' : typeof value}`;
}
