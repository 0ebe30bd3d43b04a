/*
 * A read cursor over a Buffer that holds module bytes starting at a known module-relative address, with the
 * encodings .eh_frame uses (DWARF 5 §7.6 LEB128; LSB "Linux Standard Base Core Specification", §10.5 DWARF
 * Extensions, DW_EH_PE_*). Running off the end throws UnwindDataError, so a malformed table fails one lookup.
 */

export class UnwindDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnwindDataError';
  }
}

export const DW_EH_PE_omit = 0xff;
export const DW_EH_PE_absptr = 0x00;
export const DW_EH_PE_uleb128 = 0x01;
export const DW_EH_PE_udata2 = 0x02;
export const DW_EH_PE_udata4 = 0x03;
export const DW_EH_PE_udata8 = 0x04;
export const DW_EH_PE_sleb128 = 0x09;
export const DW_EH_PE_sdata2 = 0x0a;
export const DW_EH_PE_sdata4 = 0x0b;
export const DW_EH_PE_sdata8 = 0x0c;
export const DW_EH_PE_pcrel = 0x10;
export const DW_EH_PE_textrel = 0x20;
export const DW_EH_PE_datarel = 0x30;
export const DW_EH_PE_funcrel = 0x40;
export const DW_EH_PE_aligned = 0x50;
export const DW_EH_PE_indirect = 0x80;

const U64 = (1n << 64n) - 1n;

/** Bases the relative encodings add (module-relative): .text for textrel, .eh_frame_hdr (or GOT) for datarel. */
export interface PointerBases {
  text?: bigint;
  data?: bigint;
  func?: bigint;
  /** ELF address of module-relative 0: absolute pointers are ELF addresses and are converted by subtracting it. */
  vaddrBase: bigint;
}

export class DwarfCursor {
  constructor(
    readonly buf: Buffer,
    /** Module-relative address of buf[0]. */
    readonly baseRva: bigint,
    public pos = 0,
  ) {}

  get rva(): bigint {
    return this.baseRva + BigInt(this.pos);
  }

  get left(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.buf.length || this.pos < 0) throw new UnwindDataError(`Unwind data ends inside ${what} at module offset 0x${this.rva.toString(16)}.`);
  }

  u8(): number {
    this.need(1, 'a byte');
    return this.buf[this.pos++]!;
  }
  u16(): number {
    this.need(2, 'a 2-byte value');
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  i16(): number {
    this.need(2, 'a 2-byte value');
    const v = this.buf.readInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4, 'a 4-byte value');
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.need(4, 'a 4-byte value');
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    this.need(8, 'an 8-byte value');
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }
  i64(): bigint {
    this.need(8, 'an 8-byte value');
    const v = this.buf.readBigInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  uleb(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.u8();
      if (shift < 64n) result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) return result & U64;
      if (shift > 640n) throw new UnwindDataError('A LEB128 number runs on for more than 90 bytes.');
    }
  }

  sleb(): bigint {
    let result = 0n;
    let shift = 0n;
    let b: number;
    do {
      b = this.u8();
      if (shift < 64n) result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (shift > 640n) throw new UnwindDataError('A LEB128 number runs on for more than 90 bytes.');
    } while (b & 0x80);
    if (b & 0x40 && shift < 64n) result -= 1n << shift;
    return BigInt.asIntN(64, result);
  }

  /** uleb that must fit a small count or offset (a register number, a length). */
  ulebNumber(what: string, max = 0x7fffffff): number {
    const v = this.uleb();
    if (v > BigInt(max)) throw new UnwindDataError(`${what} is ${v}, more than ${max}.`);
    return Number(v);
  }

  bytes(n: number, what: string): Buffer {
    this.need(n, what);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /**
   * A pointer in `encoding`, as a module-relative address (or a plain value for a size when `relative` is
   * false). Indirect pointers are returned as the address of the pointer, flagged, for the caller to load.
   */
  pointer(encoding: number, bases: PointerBases, relative = true): { value: bigint; indirect: boolean } {
    if (encoding === DW_EH_PE_omit) throw new UnwindDataError('A pointer with the omit encoding was read.');
    const at = this.rva;
    let raw: bigint;
    switch (encoding & 0x0f) {
      case DW_EH_PE_absptr: raw = this.u64(); break;
      case DW_EH_PE_uleb128: raw = this.uleb(); break;
      case DW_EH_PE_udata2: raw = BigInt(this.u16()); break;
      case DW_EH_PE_udata4: raw = BigInt(this.u32()); break;
      case DW_EH_PE_udata8: raw = this.u64(); break;
      case DW_EH_PE_sleb128: raw = this.sleb(); break;
      case DW_EH_PE_sdata2: raw = BigInt(this.i16()); break;
      case DW_EH_PE_sdata4: raw = BigInt(this.i32()); break;
      case DW_EH_PE_sdata8: raw = this.i64(); break;
      default: throw new UnwindDataError(`Unknown pointer encoding 0x${encoding.toString(16)}.`);
    }
    if (!relative) return { value: raw, indirect: false };
    let value: bigint;
    switch (encoding & 0x70) {
      case 0: value = BigInt.asUintN(64, raw) - bases.vaddrBase; break;
      case DW_EH_PE_pcrel: value = at + raw; break;
      case DW_EH_PE_textrel:
        if (bases.text === undefined) throw new UnwindDataError('A text-relative pointer with no text base.');
        value = bases.text + raw;
        break;
      case DW_EH_PE_datarel:
        if (bases.data === undefined) throw new UnwindDataError('A data-relative pointer with no data base.');
        value = bases.data + raw;
        break;
      case DW_EH_PE_funcrel:
        if (bases.func === undefined) throw new UnwindDataError('A function-relative pointer outside an FDE.');
        value = bases.func + raw;
        break;
      default: throw new UnwindDataError(`Unsupported pointer application 0x${(encoding & 0x70).toString(16)}.`);
    }
    return { value, indirect: (encoding & DW_EH_PE_indirect) !== 0 };
  }
}
