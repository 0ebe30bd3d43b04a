/*
 * Builds small PE32+ x64 images by the PE/COFF layout (learn.microsoft.com/windows/win32/debug/pe-format), for the
 * unwinder's and the image reader's tests: .text with the given code bytes at their RVAs, .rdata with the
 * UNWIND_INFOs and an export directory (names, and forwarders as "DLL.Name" strings inside it), .pdata with one
 * RUNTIME_FUNCTION per function (sorted). Returns both the loaded image (addressed by RVA, as a full dump holds
 * it) and the file (sections packed at a 0x200 file alignment). Tests only.
 */

export const TEXT_RVA = 0x1000;
export const RDATA_RVA = 0x3000;
export const PDATA_RVA = 0x5000;
export const SIZE_OF_IMAGE = 0x6000;
const FILE_ALIGN = 0x200;

export interface SyntheticFunction {
  begin: number;
  end: number;
  /** UNWIND_INFO bytes (see unwindInfo()); null makes the entry point at `indirect` instead. */
  unwind: Buffer | null;
  /** For an indirect entry: the index of the function whose RUNTIME_FUNCTION this one names. */
  indirect?: number;
}

export interface SyntheticPeOptions {
  timeDateStamp?: number;
  functions?: SyntheticFunction[];
  /** Code bytes to place at RVAs in .text. */
  code?: { rva: number; bytes: Buffer }[];
  exports?: ({ name: string; rva: number } | { name: string; forwarder: string })[];
  machine?: number;
}

export interface SyntheticPe {
  image: Buffer;
  file: Buffer;
  timeDateStamp: number;
  sizeOfImage: number;
  /** RVA of each function's UNWIND_INFO, in the order given. */
  unwindRvas: number[];
}

export type UnwindCodeSpec = [offset: number, op: number, info: number, ...operandSlots: number[]];

/** Encodes an UNWIND_INFO: header, code slots (padded to an even count), then a chained RUNTIME_FUNCTION. */
export function unwindInfo(o: { prolog: number; codes: UnwindCodeSpec[]; frameRegister?: number; frameOffset16?: number; flags?: number; version?: number; chained?: [number, number, number] }): Buffer {
  const slots: number[] = [];
  for (const [offset, op, info, ...rest] of o.codes) {
    slots.push(offset | ((op | (info << 4)) << 8));
    slots.push(...rest);
  }
  const padded = slots.length % 2 ? [...slots, 0] : slots;
  const b = Buffer.alloc(4 + padded.length * 2 + (o.chained ? 12 : 0));
  b[0] = (o.version ?? 1) | ((o.flags ?? (o.chained ? 4 : 0)) << 3);
  b[1] = o.prolog;
  b[2] = slots.length;
  b[3] = (o.frameRegister ?? 0) | ((o.frameOffset16 ?? 0) << 4);
  padded.forEach((s, i) => b.writeUInt16LE(s, 4 + i * 2));
  if (o.chained) o.chained.forEach((v, i) => b.writeUInt32LE(v, 4 + padded.length * 2 + i * 4));
  return b;
}

export function buildSyntheticPe(options: SyntheticPeOptions = {}): SyntheticPe {
  const timeDateStamp = options.timeDateStamp ?? 0x5f5e1000;
  const functions = options.functions ?? [];
  const image = Buffer.alloc(SIZE_OF_IMAGE);
  for (const c of options.code ?? []) c.bytes.copy(image, c.rva);

  // .rdata: UNWIND_INFOs (4-aligned), then the export directory.
  let at = RDATA_RVA;
  const unwindRvas = functions.map((f) => {
    if (!f.unwind) return 0;
    const rva = at;
    f.unwind.copy(image, rva);
    at = (at + f.unwind.length + 3) & ~3;
    return rva;
  });
  let exportDir: { rva: number; bytes: number } | null = null;
  const exports = [...(options.exports ?? [])].sort((a, b) => (a.name < b.name ? -1 : 1));
  if (exports.length) {
    const dir = (at + 15) & ~15;
    const n = exports.length;
    const functionsAt = dir + 40;
    const namesAt = functionsAt + n * 4;
    const ordinalsAt = namesAt + n * 4;
    let strings = ordinalsAt + n * 2;
    image.writeUInt32LE(1, dir + 16); // Base
    image.writeUInt32LE(n, dir + 20);
    image.writeUInt32LE(n, dir + 24);
    image.writeUInt32LE(functionsAt, dir + 28);
    image.writeUInt32LE(namesAt, dir + 32);
    image.writeUInt32LE(ordinalsAt, dir + 36);
    const forwarders: [number, string][] = [];
    exports.forEach((e, i) => {
      image.writeUInt32LE(strings, namesAt + i * 4);
      image.write(`${e.name}\0`, strings, 'latin1');
      strings += e.name.length + 1;
      image.writeUInt16LE(i, ordinalsAt + i * 2);
      if ('rva' in e) image.writeUInt32LE(e.rva, functionsAt + i * 4);
      else forwarders.push([i, e.forwarder]);
    });
    for (const [i, text] of forwarders) {
      image.writeUInt32LE(strings, functionsAt + i * 4);
      image.write(`${text}\0`, strings, 'latin1');
      strings += text.length + 1;
    }
    exportDir = { rva: dir, bytes: strings - dir };
    at = strings;
  }
  if (at > PDATA_RVA) throw new Error('synthetic .rdata overflows');

  // .pdata, sorted by BeginAddress.
  const order = functions.map((_, i) => i).sort((a, b) => functions[a]!.begin - functions[b]!.begin);
  order.forEach((fi, slot) => {
    const f = functions[fi]!;
    const o = PDATA_RVA + slot * 12;
    image.writeUInt32LE(f.begin, o);
    image.writeUInt32LE(f.end, o + 4);
    const unwind = f.unwind ? unwindRvas[fi]! : PDATA_RVA + order.indexOf(f.indirect!) * 12 + 1;
    image.writeUInt32LE(unwind, o + 8);
  });

  // Headers: DOS stub with e_lfanew, PE signature, COFF header, PE32+ optional header, 3 section headers.
  const pe = 0x80;
  image.write('MZ', 0, 'latin1');
  image.writeUInt32LE(pe, 0x3c);
  image.writeUInt32LE(0x4550, pe);
  image.writeUInt16LE(options.machine ?? 0x8664, pe + 4);
  image.writeUInt16LE(3, pe + 6);
  image.writeUInt32LE(timeDateStamp, pe + 8);
  const optBytes = 112 + 16 * 8;
  image.writeUInt16LE(optBytes, pe + 20);
  image.writeUInt16LE(0x2022, pe + 22);
  const opt = pe + 24;
  image.writeUInt16LE(0x20b, opt);
  image.writeBigUInt64LE(0x180000000n, opt + 24);
  image.writeUInt32LE(0x1000, opt + 32);
  image.writeUInt32LE(FILE_ALIGN, opt + 36);
  image.writeUInt32LE(SIZE_OF_IMAGE, opt + 56);
  image.writeUInt32LE(0x400, opt + 60);
  image.writeUInt32LE(16, opt + 108);
  if (exportDir) {
    image.writeUInt32LE(exportDir.rva, opt + 112);
    image.writeUInt32LE(exportDir.bytes, opt + 116);
  }
  if (functions.length) {
    image.writeUInt32LE(PDATA_RVA, opt + 112 + 3 * 8);
    image.writeUInt32LE(functions.length * 12, opt + 116 + 3 * 8);
  }
  const sections: [string, number, number, number][] = [
    ['.text', TEXT_RVA, RDATA_RVA - TEXT_RVA, 0x60000020],
    ['.rdata', RDATA_RVA, PDATA_RVA - RDATA_RVA, 0x40000040],
    ['.pdata', PDATA_RVA, SIZE_OF_IMAGE - PDATA_RVA, 0x40000040],
  ];
  const fileParts: Buffer[] = [image.subarray(0, 0x400)];
  let fileOffset = 0x400;
  sections.forEach(([name, rva, size, flags], i) => {
    const o = opt + optBytes + i * 40;
    image.write(name, o, 'latin1');
    image.writeUInt32LE(size, o + 8);
    image.writeUInt32LE(rva, o + 12);
    // Raw data: only what is used, rounded to the file alignment (the rest is zero-filled when loaded).
    let used = size;
    while (used > 0 && image[rva + used - 1] === 0) used--;
    const raw = Math.max(FILE_ALIGN, Math.ceil(used / FILE_ALIGN) * FILE_ALIGN);
    image.writeUInt32LE(raw, o + 16);
    image.writeUInt32LE(fileOffset, o + 20);
    image.writeUInt32LE(flags, o + 36);
    fileParts.push(image.subarray(rva, rva + raw));
    fileOffset += raw;
  });
  // The section headers were written after the header slice was taken: take it again.
  fileParts[0] = Buffer.from(image.subarray(0, 0x400));
  return { image, file: Buffer.concat(fileParts), timeDateStamp, sizeOfImage: SIZE_OF_IMAGE, unwindRvas };
}
