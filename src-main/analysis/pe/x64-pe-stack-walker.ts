/*
 * Walks an x64 Windows thread's stack from its CONTEXT, with rust-minidump's order of trust: `context` (frame 0)
 * → `cfi` (the module's .pdata/UNWIND_INFO through x64-unwind.ts, recovering rsp, rip and the non-volatile
 * registers; a function without a RUNTIME_FUNCTION in a module whose table we have is a leaf, its return address
 * at [rsp]) → `scan` (stack words pointing into a module's code, checked for a call instruction just before them
 * when the code bytes are at hand, as the Linux unwinder's endsInCall, and to lie in a RUNTIME_FUNCTION when the
 * module's .pdata is known: a function that calls is no leaf). No frame-pointer step: Windows x64 code
 * keeps no reliable rbp chains (ANALYSIS.md §4). Stops at ip < 4096, a stack pointer that does not grow, a cycle
 * or 1024 frames. Names: an export only if it starts the function (the primary RUNTIME_FUNCTION's BeginAddress),
 * else `<fn_RVA>`; addresses as Breakpad prints them (frame 0 = rip, then return addresses; lookups use pc − 1).
 */
import { stopBeforeCaller } from '../unwind/stack-walk-stop';
import { endsInCall, type FrameTrust, type StackFrame, type ThreadStack } from '../unwind/x86-64-unwinder';
import { PeFormatError, type PeImage, type RuntimeFunction } from './pe-image';
import { primaryFunction, RIP, RSP, unwindFrame, type Registers } from './x64-unwind';

export interface PeModule {
  name: string;
  path: string;
  base: bigint;
  end: bigint;
  /** The image with its headers, exports and .pdata; null when neither the dump nor a matching file has it. */
  image: PeImage | null;
}

export interface PeWalkSource {
  moduleAt(address: bigint): PeModule | null;
  readMemory(address: bigint, length: number): Promise<Buffer | null>;
  /** How many bytes the dump holds from `address` on without a gap (0 when none): how far a scan may read. */
  bytesAvailableAt(address: bigint): number;
}

const MAX_FRAMES = 1024;
const SCAN_WORDS_AFTER_TRUSTED = 160;
const SCAN_WORDS_AFTER_SCAN = 80;
const EPILOG_PROBE_BYTES = 32;

interface WalkState {
  regs: Registers;
  exact: boolean;
}

export function createPeStackWalker(src: PeWalkSource): { walk(tid: number, regs: Registers): Promise<ThreadStack> } {
  const readU64 = async (a: bigint): Promise<bigint | null> => (await src.readMemory(a, 8))?.readBigUInt64LE(0) ?? null;
  const tables = new Map<PeImage, Promise<boolean>>();
  const hasTable = (img: PeImage, problems: Set<string>): Promise<boolean> => {
    let t = tables.get(img);
    if (!t) {
      t = img.hasUnwindTable().catch((err: unknown) => {
        if (!(err instanceof PeFormatError)) throw err;
        problems.add(err.message);
        return false;
      });
      tables.set(img, t);
    }
    return t;
  };
  /** Code bytes at an address: the module image (dump or matching file), else whatever the dump holds there. */
  const code = async (m: PeModule | null, address: bigint, length: number): Promise<Buffer | null> => {
    if (m?.image && address >= m.base) {
      const b = await m.image.read(Number(address - m.base), length).catch(() => null);
      if (b) return b;
    }
    return src.readMemory(address, length);
  };
  const isCode = (m: PeModule, address: bigint): boolean => (m.image ? m.image.isExecutableRva(Number(address - m.base)) : true);

  async function stepScan(s: WalkState, words: number, problems: Set<string>): Promise<WalkState | null> {
    const sp = s.regs.get(RSP)!;
    const n = Math.min(words, Math.floor(src.bytesAvailableAt(sp) / 8));
    if (n <= 0) return null;
    const stack = await src.readMemory(sp, n * 8);
    if (!stack) return null;
    for (let i = 0; i < n; i++) {
      const w = stack.readBigUInt64LE(i * 8);
      const m = src.moduleAt(w);
      if (!m || !isCode(m, w)) continue;
      const before = await code(m, w - 7n, 7);
      if (before && !endsInCall(before)) continue; // with code bytes at hand, a return address follows a call
      // A function that calls is not a leaf: in a module whose .pdata we have, its return address lies in an entry.
      if (m.image && (await hasTable(m.image, problems)) && !(await m.image.functionAt(Number(w - 1n - m.base)).catch(() => null))) continue;
      const regs: Registers = new Map(s.regs);
      regs.set(RSP, sp + BigInt(i + 1) * 8n);
      regs.set(RIP, w);
      return { regs, exact: false };
    }
    return null;
  }

  return {
    async walk(tid, initial) {
      const problems = new Set<string>();
      const frames: StackFrame[] = [];
      const seen = new Set<string>();
      let state: WalkState = { regs: new Map(initial), exact: true };
      let trust: FrameTrust = 'context';
      let stopReason = `${MAX_FRAMES} frames: the stack may be longer`;
      while (frames.length < MAX_FRAMES) {
        const pc = state.regs.get(RIP)!;
        const sp = state.regs.get(RSP)!;
        const m = src.moduleAt(pc);
        const img = m?.image ?? null;
        const lookupRva = m ? Number(pc - (state.exact ? 0n : 1n) - m.base) : 0;
        let fn: RuntimeFunction | null = null;
        let table = false;
        let name: string | null = null;
        let functionOffset: bigint | null = null;
        if (m && img && (await hasTable(img, problems))) {
          table = true;
          try {
            fn = await img.functionAt(lookupRva);
            if (fn) {
              const primary = await primaryFunction(img, fn);
              name = (await img.exports()).get(primary.begin) ?? `<fn_${primary.begin.toString(16)}>`;
              functionOffset = pc - m.base - BigInt(primary.begin);
            }
          } catch (err) {
            if (!(err instanceof PeFormatError)) throw err;
            problems.add(`${m.name}+0x${lookupRva.toString(16)}: ${err.message}`);
            fn = null;
          }
        }
        frames.push({ pc, sp, trust, module: m?.name ?? null, modulePath: m?.path ?? null, moduleOffset: m ? pc - m.base : null, function: name, functionOffset });

        let next: WalkState | null = null;
        let nextTrust: FrameTrust = 'cfi';
        if (m && img && table) {
          try {
            if (fn) {
              const bytes = state.exact ? ((await code(m, pc, EPILOG_PROBE_BYTES)) ?? (await code(m, pc, 8))) : null; // shorter near a region's end
              const r = await unwindFrame(img, fn, lookupRva, state.regs, readU64, { exact: state.exact, code: bytes, base: m.base });
              next = { regs: r.regs, exact: r.machineFrame };
            } else {
              // No RUNTIME_FUNCTION: a leaf, which moves neither rsp nor any non-volatile register.
              const ret = await readU64(sp);
              if (ret !== null) {
                const regs = new Map(state.regs);
                regs.set(RIP, ret);
                regs.set(RSP, sp + 8n);
                next = { regs, exact: false };
              }
            }
          } catch (err) {
            if (!(err instanceof PeFormatError)) throw err;
            problems.add(`${m.name}+0x${lookupRva.toString(16)}: ${err.message}`);
            next = null;
          }
        }
        if (!next) {
          next = await stepScan(state, trust === 'scan' ? SCAN_WORDS_AFTER_SCAN : SCAN_WORDS_AFTER_TRUSTED, problems);
          nextTrust = 'scan';
        }
        if (!next) {
          stopReason = 'no caller found: no unwind data or return address on the stack';
          break;
        }
        const stop = stopBeforeCaller(sp, { pc: next.regs.get(RIP)!, sp: next.regs.get(RSP), exact: next.exact }, seen);
        if (stop) {
          stopReason = stop;
          break;
        }
        state = next;
        trust = nextTrust;
      }
      return { tid, frames, stopReason, problems: [...problems] };
    },
  };
}
