/*
 * The one interface the hosts, the CLI's `procscope watch` and the elevated helper call to capture short-lived
 * processes (issue 12). An engine per OS (src-main/capture/linux: ptrace follow-fork; src-main/capture/win32: job
 * object + debugger) holds each matching process the instant it exists, dumps it with the same writers and file
 * rules as every dump when a trigger fires, and releases it. A watch never kills what it watches: on stop, on its
 * deadline, on any error, every held process is released and runs on as before.
 */
import type { CaptureDoneReason, CaptureEvent, CaptureRule } from '../../src-shared/model/capture';

export interface CaptureWatch {
  /** Resolves once the watch has ended, released everything and emitted its `done` event. Never rejects. */
  readonly finished: Promise<CaptureDoneReason>;
  /** Releases every held process and ends the watch with 'stopped'; resolves when `finished` has. */
  stop(): Promise<void>;
}

export interface CaptureEngine {
  /**
   * Validates the rule, arms the watch and resolves once the `armed` event has been emitted (from then on no
   * matching process can be missed); rejects with a DumpError (needs-elevation, process-gone, pid-recycled,
   * already-traced, bad-request, unsupported…) when it cannot arm. Events arrive through `onEvent` in order.
   */
  start(rule: CaptureRule, onEvent: (event: CaptureEvent) => void): Promise<CaptureWatch>;
}
