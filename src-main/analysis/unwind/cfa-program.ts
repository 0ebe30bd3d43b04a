/*
 * Runs a CIE's initial instructions and an FDE's instructions up to an address and returns the unwind row there
 * (DWARF 5 §6.4.2 "Call Frame Instructions"): the CFA rule and one rule per register. Pure over the parsed
 * records; a malformed program (bad opcode, state stack underflow, runaway length) throws UnwindDataError.
 */
import { DwarfCursor, UnwindDataError, type PointerBases } from './dwarf-cursor';
import type { Fde } from './eh-frame';

export type RegisterRule =
  | { k: 'undefined' }
  | { k: 'same' }
  | { k: 'offset'; offset: bigint }
  | { k: 'valOffset'; offset: bigint }
  | { k: 'register'; register: number }
  | { k: 'expression'; expr: Buffer }
  | { k: 'valExpression'; expr: Buffer };

export type CfaRule = { k: 'register'; register: number; offset: bigint } | { k: 'expression'; expr: Buffer };

export interface UnwindRow {
  cfa: CfaRule;
  registers: Map<number, RegisterRule>;
}

const MAX_REGISTER = 127;
const MAX_STATES = 64;
const MAX_INSTRUCTIONS = 100_000;

function copyRow(r: UnwindRow): UnwindRow {
  return { cfa: r.cfa, registers: new Map(r.registers) };
}

/** The row in effect at module-relative `target` (which must lie in [fde.pcBegin, fde.pcEnd)). */
export function unwindRowAt(fde: Fde, target: bigint, bases: PointerBases): UnwindRow {
  const cie = fde.cie;
  const row: UnwindRow = { cfa: { k: 'register', register: 7, offset: 0n }, registers: new Map() };
  const run = (code: DwarfCursor, initial: UnwindRow | null, stopAt: bigint | null): UnwindRow => {
    const current = row;
    let loc = fde.pcBegin;
    const states: UnwindRow[] = [];
    const regNo = (n: bigint | number): number => {
      const r = Number(n);
      if (r > MAX_REGISTER) throw new UnwindDataError(`A CFA instruction names register ${r}.`);
      return r;
    };
    const advance = (delta: bigint): boolean => {
      loc += delta * cie.codeAlign;
      return stopAt !== null && loc > stopAt;
    };
    const restore = (r: number): void => {
      if (!initial) throw new UnwindDataError('DW_CFA_restore inside a CIE.');
      const rule = initial.registers.get(r);
      if (rule) current.registers.set(r, rule);
      else current.registers.delete(r);
    };
    for (let n = 0; code.left > 0; n++) {
      if (n > MAX_INSTRUCTIONS) throw new UnwindDataError('A CFA program runs past 100,000 instructions.');
      const byte = code.u8();
      const high = byte & 0xc0;
      const low = byte & 0x3f;
      if (high === 0x40) {
        if (advance(BigInt(low))) break;
        continue;
      }
      if (high === 0x80) {
        current.registers.set(regNo(low), { k: 'offset', offset: code.uleb() * cie.dataAlign });
        continue;
      }
      if (high === 0xc0) {
        restore(low);
        continue;
      }
      switch (byte) {
        case 0x00: break; // nop
        case 0x01: { // set_loc
          loc = code.pointer(cie.fdeEncoding, bases).value;
          if (stopAt !== null && loc > stopAt) return current;
          break;
        }
        case 0x02: if (advance(BigInt(code.u8()))) return current; break;
        case 0x03: if (advance(BigInt(code.u16()))) return current; break;
        case 0x04: if (advance(BigInt(code.u32()))) return current; break;
        case 0x05: { const r = regNo(code.uleb()); current.registers.set(r, { k: 'offset', offset: code.uleb() * cie.dataAlign }); break; }
        case 0x06: restore(regNo(code.uleb())); break;
        case 0x07: current.registers.set(regNo(code.uleb()), { k: 'undefined' }); break;
        case 0x08: current.registers.set(regNo(code.uleb()), { k: 'same' }); break;
        case 0x09: { const r = regNo(code.uleb()); current.registers.set(r, { k: 'register', register: regNo(code.uleb()) }); break; }
        case 0x0a: // remember_state
          if (states.length >= MAX_STATES) throw new UnwindDataError('DW_CFA_remember_state nests deeper than 64.');
          states.push(copyRow(current));
          break;
        case 0x0b: { // restore_state: the CFA is part of the remembered row too
          const s = states.pop();
          if (!s) throw new UnwindDataError('DW_CFA_restore_state with nothing remembered.');
          current.cfa = s.cfa;
          current.registers = s.registers;
          break;
        }
        case 0x0c: current.cfa = { k: 'register', register: regNo(code.uleb()), offset: code.uleb() }; break; // def_cfa
        case 0x0d: { // def_cfa_register
          const r = regNo(code.uleb());
          current.cfa = { k: 'register', register: r, offset: current.cfa.k === 'register' ? current.cfa.offset : 0n };
          break;
        }
        case 0x0e: // def_cfa_offset
          if (current.cfa.k !== 'register') throw new UnwindDataError('DW_CFA_def_cfa_offset after a CFA expression.');
          current.cfa = { ...current.cfa, offset: code.uleb() };
          break;
        case 0x0f: current.cfa = { k: 'expression', expr: Buffer.from(code.bytes(code.ulebNumber('An expression length', 4096), 'a CFA expression')) }; break;
        case 0x10: { const r = regNo(code.uleb()); current.registers.set(r, { k: 'expression', expr: Buffer.from(code.bytes(code.ulebNumber('An expression length', 4096), 'a register expression')) }); break; }
        case 0x11: { const r = regNo(code.uleb()); current.registers.set(r, { k: 'offset', offset: code.sleb() * cie.dataAlign }); break; }
        case 0x12: current.cfa = { k: 'register', register: regNo(code.uleb()), offset: code.sleb() * cie.dataAlign }; break; // def_cfa_sf
        case 0x13: // def_cfa_offset_sf
          if (current.cfa.k !== 'register') throw new UnwindDataError('DW_CFA_def_cfa_offset_sf after a CFA expression.');
          current.cfa = { ...current.cfa, offset: code.sleb() * cie.dataAlign };
          break;
        case 0x14: { const r = regNo(code.uleb()); current.registers.set(r, { k: 'valOffset', offset: code.uleb() * cie.dataAlign }); break; }
        case 0x15: { const r = regNo(code.uleb()); current.registers.set(r, { k: 'valOffset', offset: code.sleb() * cie.dataAlign }); break; }
        case 0x16: { const r = regNo(code.uleb()); current.registers.set(r, { k: 'valExpression', expr: Buffer.from(code.bytes(code.ulebNumber('An expression length', 4096), 'a value expression')) }); break; }
        case 0x2e: code.uleb(); break; // GNU_args_size: only matters for landing pads
        case 0x2f: { const r = regNo(code.uleb()); current.registers.set(r, { k: 'offset', offset: -code.uleb() * cie.dataAlign }); break; }
        default:
          throw new UnwindDataError(`CFA opcode 0x${byte.toString(16)} is not supported by this unwinder.`);
      }
    }
    return current;
  };
  const fresh = (c: DwarfCursor): DwarfCursor => new DwarfCursor(c.buf, c.baseRva);
  run(fresh(cie.instructions), null, null);
  const initial = copyRow(row);
  return copyRow(run(fresh(fde.instructions), initial, target));
}
