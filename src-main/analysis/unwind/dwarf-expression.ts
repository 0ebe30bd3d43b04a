/*
 * The small DWARF expression evaluator CFI needs on x86-64 Linux (DWARF 5 §2.5): register-relative addresses
 * (DW_OP_breg*, bregx), loads (deref, deref_size), constants and integer arithmetic and comparisons. That covers
 * the PLT stubs' DW_CFA_def_cfa_expression and glibc's __restore_rt signal frame. Anything else (register
 * locations, pieces, calls, TLS, entry values) is refused with UnwindDataError naming the opcode.
 */
import { DwarfCursor, UnwindDataError } from './dwarf-cursor';

export interface ExpressionContext {
  /** A register's value in the frame being unwound, or undefined if it is not known. */
  register(dwarfRegister: number): bigint | undefined;
  readU64(address: bigint): Promise<bigint | null>;
}

const MAX_STACK = 64;
const MAX_STEPS = 10_000;
const mask = (v: bigint): bigint => BigInt.asUintN(64, v);
const signed = (v: bigint): bigint => BigInt.asIntN(64, v);

export async function evaluateExpression(expr: Buffer, ctx: ExpressionContext, initial: readonly bigint[] = []): Promise<bigint> {
  const c = new DwarfCursor(expr, 0n);
  const stack: bigint[] = [...initial];
  const pop = (): bigint => {
    const v = stack.pop();
    if (v === undefined) throw new UnwindDataError('A DWARF expression popped an empty stack.');
    return v;
  };
  const push = (v: bigint): void => {
    if (stack.length >= MAX_STACK) throw new UnwindDataError('A DWARF expression overflowed its stack.');
    stack.push(mask(v));
  };
  const reg = (n: number): bigint => {
    const v = ctx.register(n);
    if (v === undefined) throw new UnwindDataError(`A DWARF expression needs register ${n}, which is not known in this frame.`);
    return v;
  };
  for (let steps = 0; c.left > 0; steps++) {
    if (steps > MAX_STEPS) throw new UnwindDataError('A DWARF expression runs for more than 10,000 steps.');
    const op = c.u8();
    if (op >= 0x30 && op <= 0x4f) push(BigInt(op - 0x30)); // DW_OP_lit0..31
    else if (op >= 0x70 && op <= 0x8f) push(reg(op - 0x70) + c.sleb()); // DW_OP_breg0..31
    else {
      switch (op) {
        case 0x03: push(c.u64()); break; // addr
        case 0x06: { // deref
          const v = await ctx.readU64(pop());
          if (v === null) throw new UnwindDataError('A DWARF expression read memory the dump does not hold.');
          push(v);
          break;
        }
        case 0x94: { // deref_size
          const size = c.u8();
          if (size < 1 || size > 8) throw new UnwindDataError(`DW_OP_deref_size of ${size} bytes.`);
          const v = await ctx.readU64(pop());
          if (v === null) throw new UnwindDataError('A DWARF expression read memory the dump does not hold.');
          push(size === 8 ? v : v & ((1n << BigInt(size * 8)) - 1n));
          break;
        }
        case 0x08: push(BigInt(c.u8())); break; // const1u
        case 0x09: push(BigInt((c.u8() << 24) >> 24)); break; // const1s
        case 0x0a: push(BigInt(c.u16())); break; // const2u
        case 0x0b: push(BigInt(c.i16())); break; // const2s
        case 0x0c: push(BigInt(c.u32())); break; // const4u
        case 0x0d: push(BigInt(c.i32())); break; // const4s
        case 0x0e: push(c.u64()); break; // const8u
        case 0x0f: push(c.i64()); break; // const8s
        case 0x10: push(c.uleb()); break; // constu
        case 0x11: push(c.sleb()); break; // consts
        case 0x12: { const v = pop(); push(v); push(v); break; } // dup
        case 0x13: pop(); break; // drop
        case 0x14: { const a = pop(); const b = pop(); push(b); push(a); push(b); break; } // over
        case 0x15: { // pick
          const i = c.u8();
          const v = stack[stack.length - 1 - i];
          if (v === undefined) throw new UnwindDataError('DW_OP_pick beyond the stack.');
          push(v);
          break;
        }
        case 0x16: { const a = pop(); const b = pop(); push(a); push(b); break; } // swap
        case 0x17: { const a = pop(); const b = pop(); const d = pop(); push(a); push(d); push(b); break; } // rot
        case 0x19: { const v = signed(pop()); push(v < 0n ? -v : v); break; } // abs
        case 0x1a: { const a = pop(); push(pop() & a); break; } // and
        case 0x1b: { // div (signed)
          const a = signed(pop());
          const b = signed(pop());
          if (a === 0n) throw new UnwindDataError('A DWARF expression divided by zero.');
          push(b / a);
          break;
        }
        case 0x1c: { const a = pop(); push(pop() - a); break; } // minus
        case 0x1d: { // mod
          const a = pop();
          const b = pop();
          if (a === 0n) throw new UnwindDataError('A DWARF expression divided by zero.');
          push(b % a);
          break;
        }
        case 0x1e: { const a = pop(); push(pop() * a); break; } // mul
        case 0x1f: push(-signed(pop())); break; // neg
        case 0x20: push(~pop()); break; // not
        case 0x21: { const a = pop(); push(pop() | a); break; } // or
        case 0x22: { const a = pop(); push(pop() + a); break; } // plus
        case 0x23: push(pop() + c.uleb()); break; // plus_uconst
        case 0x24: { const a = pop(); push(a >= 64n ? 0n : pop() << a); break; } // shl
        case 0x25: { const a = pop(); push(a >= 64n ? 0n : pop() >> a); break; } // shr
        case 0x26: { const a = pop(); push(signed(pop()) >> (a >= 64n ? 63n : a)); break; } // shra
        case 0x27: { const a = pop(); push(pop() ^ a); break; } // xor
        case 0x29: case 0x2a: case 0x2b: case 0x2c: case 0x2d: case 0x2e: { // eq ge gt le lt ne (signed)
          const a = signed(pop());
          const b = signed(pop());
          const r = op === 0x29 ? b === a : op === 0x2a ? b >= a : op === 0x2b ? b > a : op === 0x2c ? b <= a : op === 0x2d ? b < a : b !== a;
          push(r ? 1n : 0n);
          break;
        }
        case 0x2f: { // skip
          const d = c.i16();
          c.pos += d;
          if (c.pos < 0 || c.pos > expr.length) throw new UnwindDataError('DW_OP_skip leaves the expression.');
          break;
        }
        case 0x28: { // bra
          const d = c.i16();
          if (pop() !== 0n) c.pos += d;
          if (c.pos < 0 || c.pos > expr.length) throw new UnwindDataError('DW_OP_bra leaves the expression.');
          break;
        }
        case 0x92: { // bregx
          const r = c.ulebNumber('DW_OP_bregx register', 1024);
          push(reg(r) + c.sleb());
          break;
        }
        case 0x96: break; // nop
        default:
          throw new UnwindDataError(`DWARF expression opcode 0x${op.toString(16)} is not supported by this unwinder.`);
      }
    }
  }
  return pop();
}

