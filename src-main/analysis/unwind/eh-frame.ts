/*
 * .eh_frame_hdr lookup and .eh_frame CIE/FDE parsing for one module (LSB Core §10.5-10.6 "Exception Frames";
 * DWARF 5 §6.4.1): the hdr's sorted table is binary-searched for the FDE covering an address; without a usable
 * table the FDEs are parsed in order once and indexed. Augmentations z, R, P, L, S (B and G are accepted with no
 * data). All addresses are module-relative. Reads go through the module image; nothing is cached beyond one table.
 */
import type { ModuleImage } from '../modules/module-image';
import { DW_EH_PE_datarel, DW_EH_PE_omit, DW_EH_PE_sdata4, DwarfCursor, UnwindDataError, type PointerBases } from './dwarf-cursor';

export interface Cie {
  rva: bigint;
  version: number;
  augmentation: string;
  codeAlign: bigint;
  dataAlign: bigint;
  returnRegister: number;
  fdeEncoding: number;
  lsdaEncoding: number;
  signalFrame: boolean;
  instructions: DwarfCursor;
}

export interface Fde {
  rva: bigint;
  cie: Cie;
  /** Module-relative [pcBegin, pcEnd) of the function the FDE covers. */
  pcBegin: bigint;
  pcEnd: bigint;
  instructions: DwarfCursor;
}

const MAX_RECORD_BYTES = 1 << 20;
const MAX_LINEAR_FDES = 500_000;

interface TableEntry {
  pc: bigint;
  fde: bigint;
}

export class EhFrameTable {
  private readonly cies = new Map<bigint, Cie>();

  private constructor(
    private readonly image: ModuleImage,
    private readonly bases: PointerBases,
    /** The hdr's binary-search table (datarel sdata4 pairs), or null when `linear` holds the index. */
    private readonly table: Buffer | null,
    private readonly tableRva: bigint,
    private readonly count: number,
    private linear: TableEntry[] | null,
    private readonly ehFrameRva: bigint,
  ) {}

  /** Opens the module's table, or null if it has none this image can read. */
  static async open(image: ModuleImage): Promise<EhFrameTable | null> {
    const hdr = image.headers?.ehFrameHdr;
    if (!hdr || !image.unwindSource || hdr.bytes < 4) return null;
    const head = await image.read(hdr.rva, Math.min(hdr.bytes, 32));
    if (!head) return null;
    const vaddrBase = image.headers!.vaddrBase;
    const bases: PointerBases = { data: hdr.rva, vaddrBase };
    const c = new DwarfCursor(head, hdr.rva);
    const version = c.u8();
    if (version !== 1) throw new UnwindDataError(`${image.name}'s .eh_frame_hdr has version ${version}, not 1.`);
    const ptrEnc = c.u8();
    const countEnc = c.u8();
    const tableEnc = c.u8();
    const ehFrame = c.pointer(ptrEnc, bases).value;
    if (countEnc === DW_EH_PE_omit || tableEnc !== (DW_EH_PE_datarel | DW_EH_PE_sdata4)) {
      return new EhFrameTable(image, bases, null, 0n, 0, null, ehFrame);
    }
    const count = Number(c.pointer(countEnc, bases, false).value);
    const tableRva = c.rva;
    const tableBytes = count * 8;
    if (!Number.isSafeInteger(tableBytes) || tableBytes > hdr.bytes - c.pos) {
      throw new UnwindDataError(`${image.name}'s .eh_frame_hdr claims ${count} entries, more than its ${hdr.bytes} bytes hold.`);
    }
    const table = await image.read(tableRva, tableBytes);
    if (!table) return null;
    return new EhFrameTable(image, bases, table, tableRva, count, null, ehFrame);
  }

  /** The FDE whose range holds `rva`, or null. */
  async find(rva: bigint): Promise<Fde | null> {
    let fdeRva: bigint | null = null;
    if (this.table) {
      let lo = 0;
      let hi = this.count - 1;
      let found = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const pc = this.bases.data! + BigInt(this.table.readInt32LE(mid * 8));
        if (pc <= rva) {
          found = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      if (found < 0) return null;
      fdeRva = (this.bases.data ?? 0n) + BigInt(this.table.readInt32LE(found * 8 + 4));
    } else {
      this.linear ??= await this.indexLinearly();
      const list = this.linear;
      let lo = 0;
      let hi = list.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (list[mid]!.pc <= rva) {
          fdeRva = list[mid]!.fde;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      if (fdeRva === null) return null;
    }
    const fde = await this.parseFde(fdeRva);
    return fde && rva >= fde.pcBegin && rva < fde.pcEnd ? fde : null;
  }

  private async record(rva: bigint): Promise<{ c: DwarfCursor; end: number; idAt: bigint } | null> {
    const head = await this.image.read(rva, 12);
    if (!head) return null;
    let length = head.readUInt32LE(0);
    let headerBytes = 4;
    if (length === 0xffffffff) {
      const big = head.readBigUInt64LE(4);
      if (big > BigInt(MAX_RECORD_BYTES)) throw new UnwindDataError(`A ${big}-byte .eh_frame record is not plausible.`);
      length = Number(big);
      headerBytes = 12;
    }
    if (length === 0) return null; // the terminator
    if (length > MAX_RECORD_BYTES) throw new UnwindDataError(`A ${length}-byte .eh_frame record at module offset 0x${rva.toString(16)} is not plausible.`);
    const body = await this.image.read(rva, headerBytes + length);
    if (!body) return null;
    const c = new DwarfCursor(body, rva, headerBytes);
    return { c, end: headerBytes + length, idAt: c.rva };
  }

  private async parseCie(rva: bigint): Promise<Cie> {
    const cached = this.cies.get(rva);
    if (cached) return cached;
    const r = await this.record(rva);
    if (!r) throw new UnwindDataError(`The CIE at module offset 0x${rva.toString(16)} is not readable.`);
    const { c, end } = r;
    if (c.u32() !== 0) throw new UnwindDataError(`The record at module offset 0x${rva.toString(16)} is not a CIE.`);
    const version = c.u8();
    if (version !== 1 && version !== 3 && version !== 4) throw new UnwindDataError(`CIE version ${version} is not supported.`);
    let augmentation = '';
    for (let ch = c.u8(); ch !== 0; ch = c.u8()) {
      augmentation += String.fromCharCode(ch);
      if (augmentation.length > 32) throw new UnwindDataError('A CIE augmentation string runs past 32 characters.');
    }
    if (version === 4) {
      const addressSize = c.u8();
      c.u8(); // segment selector size
      if (addressSize !== 8) throw new UnwindDataError(`A CIE with ${addressSize}-byte addresses is not x86-64.`);
    }
    const cie: Cie = {
      rva,
      version,
      augmentation,
      codeAlign: c.uleb(),
      dataAlign: c.sleb(),
      returnRegister: version === 1 ? c.u8() : c.ulebNumber('The return register', 1024),
      fdeEncoding: 0,
      lsdaEncoding: DW_EH_PE_omit,
      signalFrame: false,
      instructions: c,
    };
    if (augmentation.startsWith('z')) {
      const augBytes = c.ulebNumber('CIE augmentation data length', MAX_RECORD_BYTES);
      const augEnd = c.pos + augBytes;
      for (const ch of augmentation.slice(1)) {
        if (ch === 'R') cie.fdeEncoding = c.u8();
        else if (ch === 'L') cie.lsdaEncoding = c.u8();
        else if (ch === 'P') c.pointer(c.u8() & 0x7f, this.bases); // the personality routine: skipped, never loaded
        else if (ch === 'S') cie.signalFrame = true;
        else if (ch === 'B' || ch === 'G') continue;
        else break; // unknown: 'z' lets us skip the rest of the data
      }
      c.pos = augEnd;
    } else if (augmentation !== '') {
      throw new UnwindDataError(`CIE augmentation '${augmentation}' without 'z' cannot be skipped.`);
    }
    if (c.pos > end) throw new UnwindDataError('A CIE header runs past its record.');
    cie.instructions = new DwarfCursor(c.buf.subarray(c.pos, end), c.baseRva + BigInt(c.pos));
    this.cies.set(rva, cie);
    return cie;
  }

  private async parseFde(rva: bigint): Promise<Fde | null> {
    const r = await this.record(rva);
    if (!r) return null;
    const { c, end, idAt } = r;
    const cieOffset = c.u32();
    if (cieOffset === 0) throw new UnwindDataError(`The table points at a CIE (module offset 0x${rva.toString(16)}), not an FDE.`);
    const cie = await this.parseCie(idAt - BigInt(cieOffset));
    const pcBegin = c.pointer(cie.fdeEncoding, this.bases).value;
    const pcRange = c.pointer(cie.fdeEncoding & 0x0f, this.bases, false).value;
    if (cie.augmentation.startsWith('z')) c.pos += c.ulebNumber('FDE augmentation data length', MAX_RECORD_BYTES);
    if (c.pos > end) throw new UnwindDataError('An FDE header runs past its record.');
    return { rva, cie, pcBegin, pcEnd: pcBegin + BigInt.asUintN(64, pcRange), instructions: new DwarfCursor(c.buf.subarray(c.pos, end), c.baseRva + BigInt(c.pos)) };
  }

  /** Without a search table: walk .eh_frame from its start to the terminator once, indexing every FDE. */
  private async indexLinearly(): Promise<TableEntry[]> {
    const out: TableEntry[] = [];
    let at = this.ehFrameRva;
    for (let n = 0; n < MAX_LINEAR_FDES; n++) {
      const r = await this.record(at);
      if (!r) break;
      const id = r.c.u32();
      if (id !== 0) {
        const fde = await this.parseFde(at);
        if (fde) out.push({ pc: fde.pcBegin, fde: at });
      }
      at += BigInt(r.end);
    }
    return out.sort((a, b) => (a.pc < b.pc ? -1 : a.pc > b.pc ? 1 : 0));
  }
}
