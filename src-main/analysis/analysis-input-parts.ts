/*
 * The pieces of an AnalysisInput that the ELF core reader and the minidump reader build the same way: a walked
 * stack's frames in the contract's shape, and the quality note on threads whose frames came from stack scanning.
 */
import type { AnalysisFrame, AnalysisThread } from './dump-analysis-input';
import type { StackFrame } from './unwind/x86-64-unwinder';

/** A walked stack's frames as the report reads them (the walker's module path stays behind). */
export function analysisFrames(frames: readonly StackFrame[]): AnalysisFrame[] {
  return frames.map((f) => ({ pc: f.pc, sp: f.sp, trust: f.trust, module: f.module, moduleOffset: f.moduleOffset, function: f.function, functionOffset: f.functionOffset }));
}

/** One note for each thread with frames found by stack scanning, which may be wrong. */
export function scannedFrameNotes(threads: readonly AnalysisThread[]): string[] {
  const notes: string[] = [];
  for (const t of threads) {
    const scanned = t.frames.filter((f) => f.trust === 'scan').length;
    if (scanned > 0) notes.push(`Thread ${t.tid}: ${scanned} of ${t.frames.length} frames were found by stack scanning and may be wrong.`);
  }
  return notes;
}
