/*
 * Walks the stack of each thread of an x86-64 Linux core, with rust-minidump's order of trust: `context` (frame 0,
 * the registers of NT_PRSTATUS) → `cfi` (the module's .eh_frame, recovering rbx rbp r12-r15 rsp rip) →
 * `frame_pointer` (after CFI fails, and first in anonymous executable memory: V8's and .NET's JIT code keeps rbp
 * chains) → `scan` (stack words pointing into a module's executable segment, checked for a call instruction just
 * before them when the code bytes are at hand). Stops at ip < 4096, a stack pointer that does not grow, a cycle,
 * 1024 frames, or a CFI rule that leaves the return address undefined (the outermost frame: _start, clone3).
 *
 * Addresses, as gdb and Breakpad print them: a frame's `pc` is the current rip for frame 0 and for a frame a
 * signal interrupted, and the return address for every other frame; `moduleOffset` = pc − module base. Lookups
 * (FDE, function name) use pc − 1 for return addresses, so a call at a function's end names that function.
 */
import type { CoreThread, ElfCore } from '../elf/elf-core-reader';
import { PF_X } from '../elf/elf-format';
import type { CoreModules } from '../modules/core-modules';
import type { ModuleImage } from '../modules/module-image';
import { unwindRowAt, type RegisterRule } from './cfa-program';
import { UnwindDataError } from './dwarf-cursor';
import { evaluateExpression, type ExpressionContext } from './dwarf-expression';
import { EhFrameTable, type Fde } from './eh-frame';
import { stopBeforeCaller } from './stack-walk-stop';

export type FrameTrust = 'context' | 'cfi' | 'frame_pointer' | 'scan';

export interface StackFrame {
  pc: bigint;
  sp: bigint;
  trust: FrameTrust;
  module: string | null;
  modulePath: string | null;
  moduleOffset: bigint | null;
  /** The symbol starting at the FDE's function start, `<fn_RVA>` when none does, null without an FDE. */
  function: string | null;
  functionOffset: bigint | null;
}

export interface ThreadStack {
  tid: number;
  frames: StackFrame[];
  stopReason: string;
  /** Sentences about unwind data that could not be used (bad tables, unsupported opcodes), deduplicated. */
  problems: string[];
}

export interface StackUnwinder {
  unwindThread(thread: CoreThread): Promise<ThreadStack>;
}

/** DWARF register numbers (System V x86-64 psABI, figure 3.36). */
const RSP = 7;
const RBP = 6;
const RIP = 16;
const CALLEE_SAVED = [3, RBP, 12, 13, 14, 15];
const MAX_FRAMES = 1024;
const SCAN_WORDS_AFTER_TRUSTED = 160;
const SCAN_WORDS_AFTER_SCAN = 80;

type Registers = Map<number, bigint>;

interface WalkState {
  regs: Registers;
  /** rip is the exact instruction (frame 0, or interrupted by a signal), not a return address. */
  exact: boolean;
}

function contextRegisters(t: CoreThread): Registers {
  const r = t.regs;
  return new Map<number, bigint>([
    [0, r.rax], [1, r.rdx], [2, r.rcx], [3, r.rbx], [4, r.rsi], [5, r.rdi], [6, r.rbp], [7, r.rsp],
    [8, r.r8], [9, r.r9], [10, r.r10], [11, r.r11], [12, r.r12], [13, r.r13], [14, r.r14], [15, r.r15], [16, r.rip],
  ]);
}

/** Length of an `FF /2` (near indirect call) whose ModRM byte is `modrm`, SIB `sib`; 0 if it is not one. */
function indirectCallLength(modrm: number, sib: number): number {
  if (((modrm >> 3) & 7) !== 2) return 0;
  const mod = modrm >> 6;
  const rm = modrm & 7;
  if (mod === 3) return 2;
  let n = 2;
  if (rm === 4) n += 1;
  if (mod === 0 && rm === 5) n += 4;
  else if (mod === 0 && rm === 4 && (sib & 7) === 5) n += 4;
  else if (mod === 1) n += 1;
  else if (mod === 2) n += 4;
  return n;
}

/** Whether the 7 bytes before a return address end in a call: E8 rel32, or FF /2 of 2-7 bytes. */
export function endsInCall(before: Buffer): boolean {
  if (before.length !== 7) return false;
  if (before[2] === 0xe8) return true;
  for (let len = 2; len <= 7; len++) {
    const i = 7 - len;
    if (before[i] === 0xff && indirectCallLength(before[i + 1]!, before[i + 2] ?? 0) === len) return true;
  }
  return false;
}

export function createStackUnwinder(core: ElfCore, modules: CoreModules): StackUnwinder {
  const tables = new Map<ModuleImage, Promise<EhFrameTable | null>>();
  const tableOf = (m: ModuleImage, problems: Set<string>): Promise<EhFrameTable | null> => {
    let t = tables.get(m);
    if (!t) {
      t = EhFrameTable.open(m).catch((err: unknown) => {
        if (!(err instanceof UnwindDataError)) throw err;
        problems.add(`${m.name}: ${err.message}`);
        return null;
      });
      tables.set(m, t);
    }
    return t;
  };
  const readU64 = async (a: bigint): Promise<bigint | null> => (await core.readMemory(a, 8))?.readBigUInt64LE(0) ?? null;
  const isAnonymousCode = (a: bigint): boolean => !modules.moduleAt(a) && ((core.segmentAt(a)?.flags ?? 0) & PF_X) !== 0;
  const isModuleCode = (a: bigint): ModuleImage | null => {
    const m = modules.moduleAt(a);
    return m && m.isExecutableRva(a - m.base) ? m : null;
  };

  async function findFde(m: ModuleImage, rva: bigint, problems: Set<string>): Promise<Fde | null> {
    const table = await tableOf(m, problems);
    if (!table) return null;
    try {
      return await table.find(rva);
    } catch (err) {
      if (!(err instanceof UnwindDataError)) throw err;
      problems.add(`${m.name}+0x${rva.toString(16)}: ${err.message}`);
      return null;
    }
  }

  async function stepCfi(s: WalkState, m: ModuleImage, fde: Fde, lookupRva: bigint): Promise<WalkState | 'end'> {
    const row = unwindRowAt(fde, lookupRva, { vaddrBase: m.headers?.vaddrBase ?? 0n });
    const ctx: ExpressionContext = { register: (n) => s.regs.get(n), readU64 };
    let cfa: bigint;
    if (row.cfa.k === 'register') {
      const base = s.regs.get(row.cfa.register);
      if (base === undefined) throw new UnwindDataError(`The CFA is based on register ${row.cfa.register}, which is not known in this frame.`);
      cfa = BigInt.asUintN(64, base + row.cfa.offset);
    } else cfa = await evaluateExpression(row.cfa.expr, ctx);
    const ra = fde.cie.returnRegister;
    const apply = async (r: number, rule: RegisterRule | undefined): Promise<bigint | undefined> => {
      if (!rule) {
        if (r === RSP) return cfa;
        return CALLEE_SAVED.includes(r) ? s.regs.get(r) : undefined;
      }
      switch (rule.k) {
        case 'undefined': return undefined;
        case 'same': return s.regs.get(r);
        case 'offset': return (await readU64(BigInt.asUintN(64, cfa + rule.offset))) ?? undefined;
        case 'valOffset': return BigInt.asUintN(64, cfa + rule.offset);
        case 'register': return s.regs.get(rule.register);
        case 'expression': return (await readU64(await evaluateExpression(rule.expr, ctx, [cfa]))) ?? undefined;
        case 'valExpression': return evaluateExpression(rule.expr, ctx, [cfa]);
      }
    };
    const raRule = row.registers.get(ra);
    if (!raRule || raRule.k === 'undefined') return 'end';
    const next: Registers = new Map();
    for (let r = 0; r <= 16; r++) {
      const v = await apply(r, r === RIP ? row.registers.get(ra) : row.registers.get(r));
      if (v !== undefined) next.set(r, v);
    }
    if (!next.has(RIP)) throw new UnwindDataError(`The return address at CFA 0x${cfa.toString(16)} is not in the dump.`);
    return { regs: next, exact: fde.cie.signalFrame };
  }

  async function stepFramePointer(s: WalkState): Promise<WalkState | null> {
    const rbp = s.regs.get(RBP);
    const sp = s.regs.get(RSP)!;
    if (rbp === undefined || rbp < sp || rbp % 8n !== 0n || rbp - sp > 0x1000000n) return null;
    const [savedRbp, ret] = [await readU64(rbp), await readU64(rbp + 8n)];
    if (savedRbp === null || ret === null || !(isModuleCode(ret) || isAnonymousCode(ret))) return null;
    return { regs: new Map([[RBP, savedRbp], [RSP, rbp + 16n], [RIP, ret]]), exact: false };
  }

  async function stepScan(s: WalkState, words: number): Promise<WalkState | null> {
    const sp = s.regs.get(RSP)!;
    const seg = core.segmentAt(sp);
    if (!seg) return null;
    const avail = Number(seg.start + BigInt(seg.fileBytes) - sp);
    const n = Math.min(words, Math.floor(avail / 8));
    if (n <= 0) return null;
    const stack = await core.readMemory(sp, n * 8);
    if (!stack) return null;
    for (let i = 0; i < n; i++) {
      const w = stack.readBigUInt64LE(i * 8);
      const m = isModuleCode(w);
      if (!m) continue;
      const before = await m.read(w - m.base - 7n, 7);
      if (before && !endsInCall(before)) continue; // with code bytes at hand, a return address follows a call
      const regs: Registers = new Map([[RSP, sp + BigInt(i + 1) * 8n], [RIP, w]]);
      const rbp = s.regs.get(RBP);
      if (rbp !== undefined) regs.set(RBP, rbp);
      return { regs, exact: false };
    }
    return null;
  }

  async function describe(pc: bigint, sp: bigint, trust: FrameTrust, exact: boolean, problems: Set<string>): Promise<{ frame: StackFrame; module: ModuleImage | null; fde: Fde | null; lookupRva: bigint }> {
    const m = modules.moduleAt(pc);
    const lookupRva = m ? pc - (exact ? 0n : 1n) - m.base : 0n;
    const fde = m ? await findFde(m, lookupRva, problems) : null;
    let fn: string | null = null;
    if (m && fde) fn = (await m.symbolStartingAt(fde.pcBegin))?.name ?? `<fn_${fde.pcBegin.toString(16)}>`;
    return {
      frame: {
        pc, sp, trust,
        module: m?.name ?? null,
        modulePath: m?.path ?? null,
        moduleOffset: m ? pc - m.base : null,
        function: fn,
        functionOffset: m && fde ? pc - m.base - fde.pcBegin : null,
      },
      module: m,
      fde,
      lookupRva,
    };
  }

  return {
    async unwindThread(thread) {
      const problems = new Set<string>();
      const frames: StackFrame[] = [];
      const seen = new Set<string>();
      let state: WalkState = { regs: contextRegisters(thread), exact: true };
      let trust: FrameTrust = 'context';
      let stopReason = `${MAX_FRAMES} frames: the stack may be longer`;
      while (frames.length < MAX_FRAMES) {
        const pc = state.regs.get(RIP)!;
        const sp = state.regs.get(RSP)!;
        const d = await describe(pc, sp, trust, state.exact, problems);
        frames.push(d.frame);
        let next: WalkState | 'end' | null = null;
        let nextTrust: FrameTrust = 'cfi';
        const jit = !d.module && isAnonymousCode(pc);
        if (d.module && d.fde) {
          try {
            next = await stepCfi(state, d.module, d.fde, d.lookupRva);
          } catch (err) {
            if (!(err instanceof UnwindDataError)) throw err;
            problems.add(`${d.module.name}+0x${d.lookupRva.toString(16)}: ${err.message}`);
          }
          if (next === 'end') {
            stopReason = 'end of stack: the CFI leaves the return address undefined';
            break;
          }
        }
        if (!next || jit) {
          const fp = await stepFramePointer(state);
          if (fp) {
            next = fp;
            nextTrust = 'frame_pointer';
          }
        }
        if (!next) {
          next = await stepScan(state, trust === 'scan' ? SCAN_WORDS_AFTER_SCAN : SCAN_WORDS_AFTER_TRUSTED);
          nextTrust = 'scan';
        }
        if (!next) {
          stopReason = 'no caller found: no unwind data, frame pointer or return address on the stack';
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
      return { tid: thread.tid, frames, stopReason, problems: [...problems] };
    },
  };
}
