/*
 * The services behind both transports (Electron IPC and the browser host's WebSocket): one backend, one poller,
 * the poller state the UI shows, the per-sender process-stream subscriptions, the (lazily created) dump engine and
 * the capture watches, and the dump analyses (issue 13).
 * Runs in the Electron main process or the `procscope serve` Node process. It never imports electron or ws:
 * transports hand it a HostSender, and the Electron host its native dialogs as a HostShell.
 */
import type { AppInfo, PollerState, PushChannel, PushPayload } from '../../src-shared/ipc/contract';
import { DEFAULT_REFRESH_INTERVAL_MS, type ProcessRow } from '../../src-shared/model/process';
import type { ProcessBackend } from '../platform/backend';
import type { Poller } from '../poller/poller-types';
import { createDumpFolder } from '../dump/dump-engine';
import { createCaptureServices, type CaptureEngineFactories, type CaptureServices } from './capture-services';
import { createDumpServices, type DumpEngineFactory, type DumpServices } from './dump-services';
import { createInProcessAnalysisRunner, type AnalysisRunner } from './analysis-runner';
import { createAnalysisServices, type AnalysisServices } from './analysis-services';
import { createUploadPackageService, type UploadPackageService } from '../dump/package/upload-package-service';
import { createMemoryViewSettingsStore, createViewSettingsStore, type ViewSettingsStore } from './view-settings';
import { createDetailServices, type DetailServices } from '../detail/detail-service';
import type { ProcessDetailSource } from '../detail/detail-source';
import { platformDetailSourceFactory } from '../detail/select-detail-source';
import { userInfo } from 'node:os';

/** What only a desktop host can do (Electron's dialog and shell); the browser host has none. */
export interface HostShell {
  /** A native folder picker; null when the user cancelled. */
  chooseFolder(defaultPath: string | undefined, senderId: string): Promise<string | null>;
  showItemInFolder(path: string): void;
  /** Analyze Dump…: a native open dialog for a .dmp / core; null when the user cancelled. */
  chooseDumpFile(senderId: string): Promise<string | null>;
  /** Save as: a native save dialog proposing defaultName; null when the user cancelled. */
  chooseSavePath(defaultName: string, format: 'html' | 'json', senderId: string): Promise<string | null>;
  /** Properties (issue 14): opens that process's window, or focuses it (Electron); absent: the page opens a tab. */
  openPropertiesWindow?(target: { pid: number; startTimeMs: number }): void;
}

/** One renderer as a transport sees it: an Electron webContents or one WebSocket connection. */
export interface HostSender {
  readonly id: string;
  push<C extends PushChannel>(channel: C, payload: PushPayload<C>): void;
}

export interface AppServices {
  readonly backend: ProcessBackend;
  readonly poller: Poller;
  readonly appInfo: AppInfo;
  readonly dumps: DumpServices;
  readonly captures: CaptureServices;
  readonly analysis: AnalysisServices;
  /** Prepare for upload on a finished dump job (issue 15). */
  readonly uploads: UploadPackageService;
  readonly shell: HostShell | null;
  /** The persisted main-window view (issue 14). */
  readonly viewSettings: ViewSettingsStore;
  /** Per-process detail for Properties, the lower pane and Find Handle or DLL (issue 14). */
  readonly detail: DetailServices;
  /** The pids of the host itself (its main process; Electron adds its renderer and GPU processes). */
  hostPids(): readonly number[];
  /** The latest rows the user saw (one poll first if there is no sample yet). */
  readRows(): Promise<readonly ProcessRow[]>;
  getPollerState(): PollerState;
  setRefreshInterval(intervalMs: number): PollerState;
  /** Pause when running, resume at the last interval when paused. */
  togglePause(): PollerState;
  setIncludeHandleCount(include: boolean): PollerState;
  subscribeProcesses(sender: HostSender): void;
  unsubscribeProcesses(senderId: string): void;
  /** Broadcast to every subscribed sender (poller state changes from a menu, menu commands). */
  broadcast<C extends PushChannel>(channel: C, payload: PushPayload<C>): void;
  /** Told after every change of the poller state (the Electron menu rebuilds its marks). */
  onPollerStateChange(listener: (state: PollerState) => void): () => void;
  /** Forget a sender that went away (window closed, socket closed). */
  releaseSender(senderId: string): void;
  /** Stops every capture watch, stops the poller and waits for the dump engine to cancel its jobs and write its settings. */
  dispose(): Promise<void>;
}

export interface AppServicesOptions {
  backend: ProcessBackend;
  poller: Poller;
  version: string;
  initialIntervalMs?: number;
  /** Builds the dump engine on first use; absent: the dump channels answer 'unsupported'. */
  dumpEngineFactory?: DumpEngineFactory;
  /** The engines that run capture watches in processes of their own; absent: the capture channels answer 'unsupported'. */
  captureEngines?: CaptureEngineFactories;
  /** Tests only: replaces making a missing capture folder (createDumpFolder). */
  prepareCaptureFolder?: (outDir: string) => Promise<void>;
  shell?: HostShell;
  /** Runs one analysis: the worker-thread runner in the real hosts; in-process (tests, fake host) by default. */
  analysisRunner?: AnalysisRunner;
  /** The host's other processes (Electron: renderers, GPU); kill and suspend refuse them and this process. */
  hostPids?: () => readonly number[];
  /** The folder of view-settings.json (Electron: userData; serve: its config folder); absent: kept in memory. */
  viewSettingsDir?: string;
  /** The detail source, made on first use; absent: the backend's platform's own (the fake backend's scripted one). */
  detailSourceFactory?: () => Promise<ProcessDetailSource>;
}

export function createAppServices(options: AppServicesOptions): AppServices {
  const { backend, poller } = options;
  const senders = new Map<string, { sender: HostSender; unsubscribe: () => void }>();
  const stateListeners = new Set<(state: PollerState) => void>();
  let includeHandleCount = false;
  let lastRunningIntervalMs = options.initialIntervalMs || DEFAULT_REFRESH_INTERVAL_MS;
  poller.setIntervalMs(options.initialIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS);
  poller.setIncludeHandleCount(false);

  const state = (): PollerState => ({
    intervalMs: poller.getIntervalMs(),
    lastRunningIntervalMs,
    includeHandleCount,
  });

  const announce = (): PollerState => {
    const next = state();
    services.broadcast('procscope:poller-state', next);
    for (const listener of stateListeners) listener(next);
    return next;
  };

  const readRows = async (): Promise<readonly ProcessRow[]> => {
    if (!poller.getSnapshot()) await poller.refreshNow();
    return poller.getSnapshot()?.rows ?? [];
  };
  const shell = options.shell ?? null;
  const dumps = createDumpServices({
    factory: options.dumpEngineFactory ?? null,
    readRows,
    broadcast: (payload) => services.broadcast('procscope:dump-event', payload),
  });

  const services: AppServices = {
    backend,
    poller,
    appInfo: {
      name: 'Procscope',
      version: options.version,
      backendPlatform: backend.platform,
      handleCount: backend.capabilities.handleCount,
      capabilities: {
        suspend: backend.capabilities.suspend,
        dumpFormat: options.dumpEngineFactory ? backend.capabilities.dumpFormat : 'none',
        chooseFolder: shell !== null,
        showInFolder: shell !== null,
        capture: options.captureEngines !== undefined,
        openDumpDialog: shell !== null,
        saveReportDialog: shell !== null,
        propertiesWindow: shell?.openPropertiesWindow !== undefined,
      },
      currentUser: currentUserName(),
    },
    dumps,
    captures: createCaptureServices({
      engines: options.captureEngines ?? null,
      readRows,
      hostPids: () => services.hostPids(),
      dumps,
      broadcast: (payload) => services.broadcast('procscope:capture-event', payload),
      prepareFolder: options.prepareCaptureFolder ?? createDumpFolder,
    }),
    analysis: createAnalysisServices({
      runner: options.analysisRunner ?? createInProcessAnalysisRunner(),
      findJob: (jobId) => dumps.peek()?.get(jobId) ?? null,
    }),
    uploads: createUploadPackageService({ findJob: (jobId) => dumps.peek()?.get(jobId) ?? null }),
    shell,
    detail: createDetailServices({ sourceFactory: options.detailSourceFactory ?? platformDetailSourceFactory(backend), poller }),
    viewSettings: options.viewSettingsDir ? createViewSettingsStore(options.viewSettingsDir) : createMemoryViewSettingsStore(),
    hostPids: () => [process.pid, ...(options.hostPids?.() ?? [])],
    readRows,
    getPollerState: state,
    setRefreshInterval(intervalMs) {
      poller.setIntervalMs(intervalMs);
      if (intervalMs > 0) lastRunningIntervalMs = intervalMs;
      return announce();
    },
    togglePause() {
      return services.setRefreshInterval(poller.getIntervalMs() === 0 ? lastRunningIntervalMs : 0);
    },
    setIncludeHandleCount(include) {
      includeHandleCount = include;
      poller.setIncludeHandleCount(include);
      return announce();
    },
    subscribeProcesses(sender) {
      services.unsubscribeProcesses(sender.id);
      const unsubscribe = poller.subscribe((message) => sender.push('procscope:process-stream', message));
      senders.set(sender.id, { sender, unsubscribe });
    },
    unsubscribeProcesses(senderId) {
      const entry = senders.get(senderId);
      if (!entry) return;
      entry.unsubscribe();
      senders.delete(senderId);
    },
    broadcast(channel, payload) {
      for (const { sender } of senders.values()) sender.push(channel, payload);
    },
    onPollerStateChange(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    releaseSender(senderId) {
      services.unsubscribeProcesses(senderId);
    },
    async dispose() {
      stateListeners.clear();
      for (const id of [...senders.keys()]) services.unsubscribeProcesses(id);
      // Watches first: they release what they hold, and their last dumps are recorded before the engine goes.
      await services.captures.dispose();
      services.analysis.dispose();
      services.uploads.dispose();
      services.detail.dispose();
      poller.dispose();
      await services.dumps.dispose();
      backend.dispose();
    },
  };
  return services;
}

/** The account this host runs as, as the backends name a row's user; null where the OS will not say. */
function currentUserName(): string | null {
  try {
    return userInfo().username || null;
  } catch {
    return null;
  }
}
