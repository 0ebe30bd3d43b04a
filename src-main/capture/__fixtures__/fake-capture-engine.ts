/*
 * A scripted CaptureEngine for tests of what sits on top of the contract (the CLI's `procscope watch`, hosts): it
 * records each rule it is started with and each stop(), emits `armed`, then the scripted events one macrotask apart,
 * then `done` with the scripted reason — or waits for stop() when the script has none. It never touches a process;
 * it is never a stand-in for a real engine in integration tests.
 */
import type { CaptureDoneReason, CaptureEvent, CaptureRule } from '../../../src-shared/model/capture';
import type { DumpError } from '../../dump/dump-writer';
import type { CaptureEngine, CaptureWatch } from '../capture-engine';

/** An event as scripted: `atMs` is filled in when it is emitted. */
export type ScriptedCaptureEvent = CaptureEvent extends infer E ? (E extends CaptureEvent ? Omit<E, 'atMs'> : never) : never;

export interface FakeCaptureScript {
  /** start() rejects with this instead of arming. */
  startError?: DumpError;
  mechanism?: string;
  limits?: string[];
  /** Emitted after `armed`, in order, one macrotask apart. */
  events?: ScriptedCaptureEvent[];
  /** How the watch ends by itself after the last event; omitted: it runs until stop(). */
  endReason?: Exclude<CaptureDoneReason, 'stopped'>;
  /** How long stop() takes to release (a slow release, for the second Ctrl+C). */
  stopDelayMs?: number;
}

export interface FakeCaptureEngine extends CaptureEngine {
  readonly rules: CaptureRule[];
  readonly stopCalls: number;
  /** Every event emitted so far, across watches. */
  readonly emitted: CaptureEvent[];
}

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function createFakeCaptureEngine(script: FakeCaptureScript = {}): FakeCaptureEngine {
  const rules: CaptureRule[] = [];
  const emitted: CaptureEvent[] = [];
  let stopCalls = 0;

  async function start(rule: CaptureRule, onEvent: (event: CaptureEvent) => void): Promise<CaptureWatch> {
    rules.push(structuredClone(rule));
    await tick();
    if (script.startError) throw script.startError;
    let ended = false;
    let seenCount = 0;
    let dumpCount = 0;
    let resolveFinished!: (reason: CaptureDoneReason) => void;
    const finished = new Promise<CaptureDoneReason>((r) => (resolveFinished = r));
    const emit = (event: CaptureEvent): void => {
      emitted.push(event);
      onEvent(event);
    };
    const end = (reason: CaptureDoneReason): void => {
      if (ended) return;
      ended = true;
      emit({ event: 'done', atMs: Date.now(), reason, seenCount, dumpCount });
      resolveFinished(reason);
    };
    emit({ event: 'armed', atMs: Date.now(), pid: rule.target.pid, mechanism: script.mechanism ?? 'fake', limits: script.limits ?? [] });
    void (async () => {
      for (const e of script.events ?? []) {
        await tick();
        if (ended) return;
        if (e.event === 'seen') seenCount++;
        if (e.event === 'dump') dumpCount++;
        emit({ ...e, atMs: Date.now() } as CaptureEvent);
      }
      await tick();
      if (script.endReason) end(script.endReason);
    })();
    return {
      finished,
      async stop() {
        stopCalls++;
        if (script.stopDelayMs) await tick(script.stopDelayMs);
        end('stopped');
        await finished;
      },
    };
  }

  return {
    start,
    rules,
    emitted,
    get stopCalls() {
      return stopCalls;
    },
  };
}
