/*
 * Decides which memory goes into a core: the PT_LOAD segments, each with or without content. A full dump takes
 * every readable mapping except what the kernel never dumps (VM_IO, VM_PFNMAP, MADV_DONTDUMP; fs/coredump.c
 * vma_dump_size) and pseudo-mappings user space cannot read. A mini dump takes what gdb needs for threads and
 * backtraces: every thread's used stack, the first page of every mapped file (ELF headers, build ids), written
 * data segments, the vDSO, small anonymous blocks (ld.so's link maps, TLS) and windows around register values.
 * Pure: inputs are parsed /proc data and register values.
 */
import type { DumpKind } from '../../../src-shared/model/dump';
import { PF_R, PF_W, PF_X, type LoadSegment } from './elf-core-layout';
import { isAnonymousPrivate, isFileBacked, isUnreadablePseudo, type ProcMapping, type SmapsInfo } from './proc-maps';

export interface PlannedSegment extends LoadSegment {
  /** Content comes from private anonymous memory: pages absent from pagemap are zeros and need not be read. */
  anonymousPrivate: boolean;
  /** smaps says every page of the mapping is resident, so asking pagemap which ones are would be wasted time. */
  fullyResident: boolean;
}

export interface ThreadPointers {
  stackPointer: number;
  /** Every general register value (user_regs_struct), including rip, rsp and fs_base. */
  registerValues: readonly number[];
}

/** Bytes either side of a register value that a mini dump keeps. */
export const MINI_WINDOW_BYTES = 1024;
/** Anonymous mappings up to this size go into a mini dump whole (ld.so's link maps, static TLS, small arenas). */
export const MINI_SMALL_ANON_BYTES = 256 * 1024;
/** Below the stack pointer: the x86-64 red zone (128 bytes) and a little more. */
const STACK_BELOW_SP_BYTES = 512;

export function isDumpable(m: ProcMapping, smaps: SmapsInfo | undefined): boolean {
  if (!m.readable || isUnreadablePseudo(m)) return false;
  const f = smaps?.vmFlags;
  return !(f && (f.has('dd') || f.has('io') || f.has('pf')));
}

function flagsOf(m: ProcMapping): number {
  return (m.readable ? PF_R : 0) | (m.writable ? PF_W : 0) | (m.executable ? PF_X : 0);
}

type Range = [number, number];

function mergeRanges(ranges: Range[]): Range[] {
  ranges.sort((a, b) => a[0] - b[0]);
  const out: Range[] = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

function miniRanges(m: ProcMapping, smaps: SmapsInfo | undefined, threads: readonly ThreadPointers[], page: number): Range[] {
  const size = m.endAddr - m.startAddr;
  const whole: Range = [m.startAddr, m.endAddr];
  if (m.path === '[vdso]') return [whole];
  if (isFileBacked(m) && !m.shared && (smaps?.anonymousBytes ?? 0) > 0) return [whole];
  if (isAnonymousPrivate(m) && size <= MINI_SMALL_ANON_BYTES && m.path !== '[heap]') return [whole];
  const ranges: Range[] = [];
  const down = (a: number): number => Math.floor(a / page) * page;
  const up = (a: number): number => Math.ceil(a / page) * page;
  const clip = (a: number, b: number): void => {
    const lo = Math.max(m.startAddr, down(a));
    const hi = Math.min(m.endAddr, up(b));
    if (lo < hi) ranges.push([lo, hi]);
  };
  if (isFileBacked(m) && m.fileOffset === 0) clip(m.startAddr, m.startAddr + page);
  const inside = (v: number): boolean => v >= m.startAddr && v < m.endAddr;
  for (const t of threads) {
    if (inside(t.stackPointer)) clip(t.stackPointer - STACK_BELOW_SP_BYTES, m.endAddr);
    for (const v of t.registerValues) if (inside(v)) clip(v - MINI_WINDOW_BYTES, v + MINI_WINDOW_BYTES);
  }
  return mergeRanges(ranges);
}

export interface MappingPlan {
  segments: PlannedSegment[];
  /** Expected bytes on disk: resident pages of anonymous memory, all of the rest. */
  estimatedDiskBytes: number;
}

export function planSegments(
  kind: DumpKind,
  mappings: readonly ProcMapping[],
  smapsByStart: ReadonlyMap<number, SmapsInfo>,
  threads: readonly ThreadPointers[],
  pageBytes: number,
): MappingPlan {
  const segments: PlannedSegment[] = [];
  let estimatedDiskBytes = 0;
  for (const m of mappings) {
    const smaps = smapsByStart.get(m.startAddr);
    const flags = flagsOf(m);
    const anonymousPrivate = isAnonymousPrivate(m);
    const fullyResident = smaps !== undefined && smaps.rssBytes >= m.endAddr - m.startAddr;
    const push = (lo: number, hi: number, withContent: boolean): void => {
      if (hi <= lo) return;
      const len = hi - lo;
      segments.push({
        vaddr: lo,
        memBytes: len,
        fileBytes: withContent ? len : 0,
        flags,
        fileOffset: 0,
        anonymousPrivate,
        fullyResident,
      });
      if (!withContent) return;
      const share = len / (m.endAddr - m.startAddr);
      estimatedDiskBytes += anonymousPrivate && smaps ? Math.min(len, Math.ceil(smaps.rssBytes * share)) : len;
    };
    if (!isDumpable(m, smaps)) {
      push(m.startAddr, m.endAddr, false);
      continue;
    }
    if (kind === 'full') {
      push(m.startAddr, m.endAddr, true);
      continue;
    }
    let at = m.startAddr;
    for (const [lo, hi] of miniRanges(m, smaps, threads, pageBytes)) {
      push(at, lo, false);
      push(lo, hi, true);
      at = hi;
    }
    push(at, m.endAddr, false);
  }
  return { segments, estimatedDiskBytes };
}
