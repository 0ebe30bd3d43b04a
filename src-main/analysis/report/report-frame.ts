/*
 * One frame as the report (and a live thread's Stack in Properties) shows it: addresses as 0x-hex, C++ and Rust
 * names demangled here, once for every reader, with the raw symbol kept. The unwinders' StackFrame has these fields.
 */
import type { ReportFrame } from '../../../src-shared/model/analysis-report';
import type { AnalysisFrame } from '../dump-analysis-input';
import { demangle } from './demangle';

export const hexOrNull = (v: bigint | null): string | null => (v === null ? null : `0x${v.toString(16)}`);

export function toReportFrame(f: AnalysisFrame, index: number): ReportFrame {
  const readable = f.function === null ? null : demangle(f.function);
  return {
    index,
    pc: `0x${f.pc.toString(16)}`,
    module: f.module,
    offset: hexOrNull(f.moduleOffset),
    function: readable,
    functionOffset: hexOrNull(f.functionOffset),
    mangled: readable !== f.function ? f.function : null,
    trust: f.trust,
  };
}
