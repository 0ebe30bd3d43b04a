import { describe, expect, it } from 'vitest';
import { analysisFrames, scannedFrameNotes } from './analysis-input-parts';
import type { AnalysisThread } from './dump-analysis-input';
import type { FrameTrust, StackFrame } from './unwind/x86-64-unwinder';

const frame = (trust: FrameTrust): StackFrame => ({
  pc: 0x401000n, sp: 0x7ff0n, trust, module: 'a.out', modulePath: '/bin/a.out', moduleOffset: 0x1000n, function: 'main', functionOffset: 4n,
});
const thread = (tid: number, trusts: FrameTrust[]): AnalysisThread => ({
  tid, name: null, userMs: null, kernelMs: null, stopSignal: null, syscall: null, frames: analysisFrames(trusts.map(frame)), stopReason: '', problems: [],
});

describe('analysis input parts', () => {
  it('copies a walked frame into the contract without the module path', () => {
    expect(analysisFrames([frame('cfi')])).toEqual([{ pc: 0x401000n, sp: 0x7ff0n, trust: 'cfi', module: 'a.out', moduleOffset: 0x1000n, function: 'main', functionOffset: 4n }]);
  });

  it('notes only the threads with scanned frames, with their counts', () => {
    expect(scannedFrameNotes([thread(1, ['context', 'cfi']), thread(2, ['context', 'scan', 'scan'])])).toEqual([
      'Thread 2: 2 of 3 frames were found by stack scanning and may be wrong.',
    ]);
  });
});
