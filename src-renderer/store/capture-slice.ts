/*
 * The Capture panel's state: every capture watch main has told us about (armed, running or ended — ended ones stay
 * until dismissed, with every process they saw), kept up to date from procscope:capture-event. Each engine event is
 * folded with applyCaptureServiceEvent, the reducer main uses too, so both sides agree without resending whole
 * views. A watch view is replaced, never mutated, so only the watch that changed re-renders.
 */
import type { StateCreator } from 'zustand';
import type { CaptureEventPayload, CaptureWatchView } from '../../src-shared/ipc/capture-contract';
import { applyCaptureServiceEvent } from '../../src-shared/model/capture-watch';

export interface CaptureSlice {
  captureWatches: Record<string, CaptureWatchView>;
  /** Oldest first, as main created them. */
  captureOrder: string[];
  applyCaptureServiceEvent(event: CaptureEventPayload): void;
  /** The list main held when the window subscribed; watches that events already brought are kept as they are. */
  mergeCaptureList(list: readonly CaptureWatchView[]): void;
}

type CaptureState = Pick<CaptureSlice, 'captureWatches' | 'captureOrder'>;

function putWatch(state: CaptureState, watch: CaptureWatchView): Partial<CaptureState> {
  const known = watch.id in state.captureWatches;
  return {
    captureWatches: { ...state.captureWatches, [watch.id]: watch },
    ...(known ? {} : { captureOrder: [...state.captureOrder, watch.id] }),
  };
}

export function reduceCaptureEvent(state: CaptureState, event: CaptureEventPayload): Partial<CaptureState> {
  switch (event.type) {
    case 'watch-added':
    case 'watch-restarted':
      return putWatch(state, event.watch);
    case 'watch-removed': {
      if (!(event.watchId in state.captureWatches)) return {};
      const captureWatches = { ...state.captureWatches };
      delete captureWatches[event.watchId];
      return { captureWatches, captureOrder: state.captureOrder.filter((id) => id !== event.watchId) };
    }
    case 'watch-event':
    case 'watch-dump-recorded':
    case 'watch-failed': {
      // An event for a watch this window never heard of (it came before the list) changes nothing: the list brings it.
      const watch = state.captureWatches[event.watchId];
      if (!watch) return {};
      const next = applyCaptureServiceEvent(watch, event);
      return next === watch ? {} : { captureWatches: { ...state.captureWatches, [watch.id]: next } };
    }
  }
}

export const createCaptureSlice: StateCreator<CaptureSlice, [], [], CaptureSlice> = (set, get) => ({
  captureWatches: {},
  captureOrder: [],
  applyCaptureServiceEvent: (event) => set(reduceCaptureEvent(get(), event)),
  mergeCaptureList(list) {
    const { captureWatches, captureOrder } = get();
    const fresh = list.filter((w) => !(w.id in captureWatches)).sort((a, b) => a.createdAtMs - b.createdAtMs);
    set({
      captureWatches: { ...captureWatches, ...Object.fromEntries(fresh.map((w) => [w.id, w])) },
      captureOrder: [...fresh.map((w) => w.id), ...captureOrder],
    });
  },
});
