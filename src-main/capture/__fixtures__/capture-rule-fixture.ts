/**
 * A complete CaptureRule for tests and probes: every descendant, no filters, a mini dump at exit, the default hold
 * deadline, no dump limit and no watch timeout, with the fields a test cares about given in `over`.
 */
import { DEFAULT_HOLD_TIMEOUT_MS, type CaptureRule } from '../../../src-shared/model/capture';
import type { DumpTarget } from '../../../src-shared/model/dump';

export function testCaptureRule(target: DumpTarget, outDir: string, over: Partial<CaptureRule> = {}): CaptureRule {
  return {
    target,
    scope: 'descendants',
    nameGlob: null,
    cmdlineRegex: null,
    triggers: ['exit'],
    exitNonZeroOnly: false,
    kind: 'mini',
    outDir,
    holdTimeoutMs: DEFAULT_HOLD_TIMEOUT_MS,
    maxDumps: null,
    timeoutMs: null,
    ...over,
  };
}
