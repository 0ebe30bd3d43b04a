/*
 * One step of the Windows x64 unwind (learn.microsoft.com/cpp/build/exception-handling-x64): given the registers
 * of a frame and the RUNTIME_FUNCTION holding its rip, recover the caller's rip, rsp and non-volatile registers.
 * In an epilogue (recognised by its code bytes: `add rsp,imm` or `lea rsp,[fp+d]`, pops, then `ret` or a tail
 * `jmp`) the rest of the epilogue is simulated; otherwise the prologue's unwind codes whose offset has been
 * reached are undone in order (PUSH_NONVOL, ALLOC_LARGE/SMALL, SET_FPREG, SAVE_NONVOL(_FAR), the XMM saves
 * skipped, PUSH_MACHFRAME), following UNW_FLAG_CHAININFO to the primary entry. Registers use the unwind codes'
 * numbering (0 rax, 1 rcx, 2 rdx, 3 rbx, 4 rsp, 5 rbp, 6 rsi, 7 rdi, 8-15 r8-r15) plus 16 for rip.
 */
import { PeFormatError, type PeImage, type RuntimeFunction } from './pe-image';

export const RSP = 4;
export const RIP = 16;
export type Registers = Map<number, bigint>;

const UWOP_PUSH_NONVOL = 0;
const UWOP_ALLOC_LARGE = 1;
const UWOP_ALLOC_SMALL = 2;
const UWOP_SET_FPREG = 3;
const UWOP_SAVE_NONVOL = 4;
const UWOP_SAVE_NONVOL_FAR = 5;
const UWOP_EPILOG = 6; // version 2; in version 1 the old UWOP_SAVE_XMM, 2 slots either way
const UWOP_SPARE_CODE = 7; // the old UWOP_SAVE_XMM_FAR, 3 slots
const UWOP_SAVE_XMM128 = 8;
const UWOP_SAVE_XMM128_FAR = 9;
const UWOP_PUSH_MACHFRAME = 10;
export const UNW_FLAG_CHAININFO = 0x4;
const MAX_CHAIN = 32;

export interface UnwindCode {
  /** Offset in the prologue of the end of the instruction this code undoes. */
  offset: number;
  op: number;
  info: number;
  /** The operand in the following slot(s) (ALLOC_LARGE size, SAVE_* offsets before scaling), 0 for none. */
  operand: number;
}

export interface UnwindInfo {
  version: number;
  flags: number;
  prologBytes: number;
  frameRegister: number;
  /** In bytes (the stored field × 16). */
  frameOffset: number;
  codes: UnwindCode[];
  chained: RuntimeFunction | null;
}

export function slotsOf(op: number, info: number): number {
  switch (op) {
    case UWOP_ALLOC_LARGE: return info === 0 ? 2 : 3;
    case UWOP_SAVE_NONVOL: case UWOP_EPILOG: case UWOP_SAVE_XMM128: return 2;
    case UWOP_SAVE_NONVOL_FAR: case UWOP_SPARE_CODE: case UWOP_SAVE_XMM128_FAR: return 3;
    default: return 1;
  }
}

/** Parses an UNWIND_INFO from its bytes (4-byte header, the code slots, then a chained RUNTIME_FUNCTION). */
export function parseUnwindInfo(b: Buffer, what: string): UnwindInfo {
  if (b.length < 4) throw new PeFormatError(`${what}: the UNWIND_INFO is cut short.`);
  const version = b[0]! & 7;
  const flags = b[0]! >> 3;
  if (version !== 1 && version !== 2) throw new PeFormatError(`${what}: UNWIND_INFO version ${version} is not 1 or 2.`);
  const count = b[2]!;
  if (b.length < 4 + count * 2) throw new PeFormatError(`${what}: ${count} unwind codes do not fit the UNWIND_INFO.`);
  const slot = (i: number): number => b.readUInt16LE(4 + i * 2);
  const codes: UnwindCode[] = [];
  for (let i = 0; i < count;) {
    const op = b[4 + i * 2 + 1]! & 0xf;
    const info = b[4 + i * 2 + 1]! >> 4;
    const n = slotsOf(op, info);
    if (i + n > count) throw new PeFormatError(`${what}: unwind code ${op} needs ${n} slots, only ${count - i} are left.`);
    if (op > UWOP_PUSH_MACHFRAME) throw new PeFormatError(`${what}: unknown unwind code ${op}.`);
    const operand = n === 2 ? slot(i + 1) : n === 3 ? slot(i + 1) + slot(i + 2) * 0x10000 : 0;
    codes.push({ offset: b[4 + i * 2]!, op, info, operand });
    i += n;
  }
  let chained: RuntimeFunction | null = null;
  if (flags & UNW_FLAG_CHAININFO) {
    const at = 4 + ((count + 1) & ~1) * 2;
    if (b.length < at + 12) throw new PeFormatError(`${what}: the chained RUNTIME_FUNCTION is cut short.`);
    chained = { begin: b.readUInt32LE(at), end: b.readUInt32LE(at + 4), unwindInfo: b.readUInt32LE(at + 8) };
  }
  return { version, flags, prologBytes: b[1]!, frameRegister: b[3]! & 0xf, frameOffset: (b[3]! >> 4) * 16, codes, chained };
}

/** Reads and parses the UNWIND_INFO of a RUNTIME_FUNCTION (an indirect entry, low bit set, names another). */
export async function readUnwindInfo(image: PeImage, fn: RuntimeFunction): Promise<{ fn: RuntimeFunction; info: UnwindInfo }> {
  let f = fn;
  if (f.unwindInfo & 1) {
    const b = await image.read(f.unwindInfo & ~1, 12);
    if (!b) throw new PeFormatError(`${image.what}: the RUNTIME_FUNCTION named at 0x${(f.unwindInfo & ~1).toString(16)} is not readable.`);
    f = { begin: b.readUInt32LE(0), end: b.readUInt32LE(4), unwindInfo: b.readUInt32LE(8) };
    if (f.unwindInfo & 1) throw new PeFormatError(`${image.what}: an indirect RUNTIME_FUNCTION names another indirect one.`);
  }
  const what = `${image.what} UNWIND_INFO at 0x${f.unwindInfo.toString(16)}`;
  const head = await image.read(f.unwindInfo, 4);
  if (!head) throw new PeFormatError(`${what} is not readable.`);
  const count = head[2]!;
  const full = await image.read(f.unwindInfo, 4 + ((count + 1) & ~1) * 2 + 12);
  const b = full ?? (await image.read(f.unwindInfo, 4 + count * 2));
  if (!b) throw new PeFormatError(`${what} is not readable.`);
  return { fn: f, info: parseUnwindInfo(b, what) };
}

/** The primary RUNTIME_FUNCTION of a function (the end of its chain): its begin is the function's start. */
export async function primaryFunction(image: PeImage, fn: RuntimeFunction): Promise<RuntimeFunction> {
  let { fn: f, info } = await readUnwindInfo(image, fn);
  for (let i = 0; info.chained && i < MAX_CHAIN; i++) ({ fn: f, info } = await readUnwindInfo(image, info.chained));
  return f;
}

export type ReadU64 = (address: bigint) => Promise<bigint | null>;

async function load(readU64: ReadU64, address: bigint, what: string): Promise<bigint> {
  const v = await readU64(address);
  if (v === null) throw new PeFormatError(`${what} at 0x${address.toString(16)} is not in the dump.`);
  return v;
}

export type EpilogStep =
  | { k: 'add'; bytes: bigint }
  | { k: 'lea'; register: number; displacement: bigint }
  | { k: 'pop'; register: number };

/**
 * Decodes the x64 epilogue forms at `code` (the bytes at rip): optionally `add rsp, imm8/imm32` or
 * `lea rsp, [reg+disp8/disp32]` first, then `pop r64`s, then `ret` / `rep ret` / `ret imm16`, or a `jmp`
 * (rel8/rel32 outside the function, or indirect `FF /4`) as a tail call. Returns the steps before the return,
 * or null when the bytes are not an epilogue. `inFunction` tells whether a jump target lies in the function.
 */
export function decodeEpilog(code: Buffer, pc: bigint, inFunction: (target: bigint) => boolean): EpilogStep[] | null {
  const steps: EpilogStep[] = [];
  let i = 0;
  if (code.length === 0) return null;
  if ((code[0] === 0x48 || code[0] === 0x49) && code.length >= 4) {
    const b = code[0] === 0x49 ? 8 : 0; // REX.B extends lea's base register
    if (code[1] === 0x83 && code[2] === 0xc4 && code[0] === 0x48) {
      steps.push({ k: 'add', bytes: BigInt(code.readInt8(3)) });
      i = 4;
    } else if (code[1] === 0x81 && code[2] === 0xc4 && code[0] === 0x48 && code.length >= 7) {
      steps.push({ k: 'add', bytes: BigInt(code.readInt32LE(3)) });
      i = 7;
    } else if (code[1] === 0x8d && ((code[2]! >> 3) & 7) === 4) {
      const mod = code[2]! >> 6;
      const rm = code[2]! & 7;
      if (rm !== 4 && ((mod === 1 && code.length >= 4) || (mod === 2 && code.length >= 7))) {
        steps.push({ k: 'lea', register: rm + b, displacement: BigInt(mod === 1 ? code.readInt8(3) : code.readInt32LE(3)) });
        i = mod === 1 ? 4 : 7;
      }
    }
  }
  for (;;) {
    if (i >= code.length) return null;
    const c = code[i]!;
    if (c >= 0x58 && c <= 0x5f) {
      steps.push({ k: 'pop', register: c - 0x58 });
      i += 1;
    } else if ((c & 0xf0) === 0x40 && i + 1 < code.length && code[i + 1]! >= 0x58 && code[i + 1]! <= 0x5f && !(c & 8)) {
      steps.push({ k: 'pop', register: code[i + 1]! - 0x58 + (c & 1 ? 8 : 0) });
      i += 2;
    } else break;
  }
  const c = code[i];
  if (c === 0xc3 || c === 0xc2 || (c === 0xf3 && code[i + 1] === 0xc3)) return steps;
  if (c === 0xe9 && i + 5 <= code.length) return inFunction(pc + BigInt(i + 5) + BigInt(code.readInt32LE(i + 1))) ? null : steps;
  if (c === 0xeb && i + 2 <= code.length) return inFunction(pc + BigInt(i + 2) + BigInt(code.readInt8(i + 1))) ? null : steps;
  const at = (c === 0x48 || c === 0x49 ? i + 1 : i);
  if (code[at] === 0xff && at + 1 < code.length && ((code[at + 1]! >> 3) & 7) === 4) return steps;
  return null;
}

/** Runs the decoded epilogue on a copy of the registers and returns the caller's. */
export async function simulateEpilog(steps: readonly EpilogStep[], regs: Registers, readU64: ReadU64): Promise<Registers> {
  const r = new Map(regs);
  let sp = r.get(RSP)!;
  for (const s of steps) {
    if (s.k === 'add') sp = BigInt.asUintN(64, sp + s.bytes);
    else if (s.k === 'lea') {
      const base = r.get(s.register);
      if (base === undefined) throw new PeFormatError(`The epilogue's lea rsp uses register ${s.register}, which is not known in this frame.`);
      sp = BigInt.asUintN(64, base + s.displacement);
    } else {
      r.set(s.register, await load(readU64, sp, 'A register the epilogue pops'));
      sp += 8n;
    }
  }
  r.set(RIP, await load(readU64, sp, 'The return address'));
  r.set(RSP, sp + 8n);
  return r;
}

export interface UnwindResult {
  regs: Registers;
  /** A PUSH_MACHFRAME restored an interrupted rip (a trap or interrupt frame): it is an exact instruction. */
  machineFrame: boolean;
  /** The epilogue was simulated instead of the prologue codes undone. */
  epilog: boolean;
}

/**
 * Unwinds one frame through `fn` (the RUNTIME_FUNCTION holding `rva`, the module-relative rip). `exact` says the
 * rip is the instruction itself (frame 0, or after a machine frame) — only then can it be in an epilogue or a
 * prologue; `code` gives the bytes at rip when they are known (the epilogue check needs them).
 */
export async function unwindFrame(
  image: PeImage,
  fn: RuntimeFunction,
  rva: number,
  regs: Registers,
  readU64: ReadU64,
  options: { exact: boolean; code: Buffer | null; base: bigint },
): Promise<UnwindResult> {
  let { fn: f, info } = await readUnwindInfo(image, fn);
  const inProlog = options.exact && rva >= f.begin && rva < f.begin + info.prologBytes;
  if (options.exact && !inProlog && options.code) {
    const steps = decodeEpilog(options.code, regs.get(RIP)!, (t) => t >= options.base + BigInt(f.begin) && t < options.base + BigInt(f.end));
    if (steps) return { regs: await simulateEpilog(steps, regs, readU64), machineFrame: false, epilog: true };
  }
  const r = new Map(regs);
  let prologOffset = inProlog ? rva - f.begin : Infinity;
  let machineFrame = false;
  for (let depth = 0; ; depth++) {
    const applies = (c: UnwindCode): boolean => c.offset <= prologOffset;
    // SAVE_* offsets count from the frame: rsp after the fixed allocation, or the frame register minus its offset.
    let frame = r.get(RSP)!;
    const setFp = info.codes.find((c) => c.op === UWOP_SET_FPREG);
    if (info.frameRegister && setFp && applies(setFp)) {
      const fp = r.get(info.frameRegister);
      if (fp === undefined) throw new PeFormatError(`The frame register ${info.frameRegister} is not known in this frame.`);
      frame = BigInt.asUintN(64, fp - BigInt(info.frameOffset));
    }
    for (const c of info.codes) {
      if (!applies(c)) continue;
      const sp = r.get(RSP)!;
      switch (c.op) {
        case UWOP_PUSH_NONVOL:
          r.set(c.info, await load(readU64, sp, `Register ${c.info} pushed in the prologue`));
          r.set(RSP, sp + 8n);
          break;
        case UWOP_ALLOC_LARGE:
          r.set(RSP, sp + BigInt(c.info === 0 ? c.operand * 8 : c.operand));
          break;
        case UWOP_ALLOC_SMALL:
          r.set(RSP, sp + BigInt(c.info * 8 + 8));
          break;
        case UWOP_SET_FPREG:
          r.set(RSP, frame);
          break;
        case UWOP_SAVE_NONVOL:
        case UWOP_SAVE_NONVOL_FAR:
          r.set(c.info, await load(readU64, frame + BigInt(c.op === UWOP_SAVE_NONVOL ? c.operand * 8 : c.operand), `Register ${c.info} saved in the prologue`));
          break;
        case UWOP_PUSH_MACHFRAME: {
          const at = sp + (c.info ? 8n : 0n);
          r.set(RIP, await load(readU64, at, 'The interrupted rip of a machine frame'));
          r.set(RSP, await load(readU64, at + 24n, 'The interrupted rsp of a machine frame'));
          machineFrame = true;
          break;
        }
        default: // UWOP_EPILOG (v2: describes epilogues, not the prologue), XMM saves: no integer register
          break;
      }
    }
    if (!info.chained) break;
    if (depth >= MAX_CHAIN) throw new PeFormatError(`${image.what}: a chain of more than ${MAX_CHAIN} UNWIND_INFOs.`);
    ({ fn: f, info } = await readUnwindInfo(image, info.chained));
    prologOffset = Infinity; // the primary's prologue ran before the chained part
  }
  if (!machineFrame) {
    const sp = r.get(RSP)!;
    r.set(RIP, await load(readU64, sp, 'The return address'));
    r.set(RSP, sp + 8n);
  }
  return { regs: r, machineFrame, epilog: false };
}
