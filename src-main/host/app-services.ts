/*
 * The services behind both transports (Electron IPC and the browser host's WebSocket): one backend, one poller,
 * the poller state the UI shows, and the per-sender process-stream subscriptions. Runs in the Electron main process
 * or the `procscope serve` Node process. It never imports electron or ws: transports hand it a HostSender.
 */
import type { AppInfo, PollerState, PushChannel, PushPayload } from '../../src-shared/ipc/contract';
import { DEFAULT_REFRESH_INTERVAL_MS } from '../../src-shared/model/process';
import type { ProcessBackend } from '../platform/backend';
import type { Poller } from '../poller/poller-types';

/** One renderer as a transport sees it: an Electron webContents or one WebSocket connection. */
export interface HostSender {
  readonly id: string;
  push<C extends PushChannel>(channel: C, payload: PushPayload<C>): void;
}

export interface AppServices {
  readonly backend: ProcessBackend;
  readonly poller: Poller;
  readonly appInfo: AppInfo;
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
  dispose(): void;
}

export interface AppServicesOptions {
  backend: ProcessBackend;
  poller: Poller;
  version: string;
  initialIntervalMs?: number;
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

  const services: AppServices = {
    backend,
    poller,
    appInfo: {
      name: 'Procscope',
      version: options.version,
      backendPlatform: backend.platform,
      handleCount: backend.capabilities.handleCount,
    },
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
    dispose() {
      stateListeners.clear();
      for (const id of [...senders.keys()]) services.unsubscribeProcesses(id);
      poller.dispose();
      backend.dispose();
    },
  };
  return services;
}
