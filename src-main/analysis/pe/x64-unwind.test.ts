import { describe, expect, it } from 'vitest';
import { buildSyntheticPe, PDATA_RVA, unwindInfo, type SyntheticFunction, type UnwindCodeSpec } from './__fixtures__/synthetic-pe';
import { PeFormatError, PeImage } from './pe-image';
import { decodeEpilog, parseUnwindInfo, primaryFunction, RIP, RSP, unwindFrame, type Registers } from './x64-unwind';

const BASE = 0x180000000n;
const STACK = 0x7000_0000n;
const RBX = 3;
const RBP = 5;
const RSI = 6;
const [PUSH, ALLOC_LARGE, ALLOC_SMALL, SET_FPREG, SAVE, SAVE_FAR, , , SAVE_XMM128, , MACHFRAME] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

async function imageOf(functions: SyntheticFunction[], code: { rva: number; bytes: Buffer }[] = [], exports: { name: string; rva: number }[] = []): Promise<PeImage> {
  const pe = buildSyntheticPe({ functions, code, exports });
  return (await PeImage.open(async (rva, length) => (rva + length <= pe.image.length ? pe.image.subarray(rva, rva + length) : null), 'test.dll'))!;
}

/** A stack of 0x1000 bytes at STACK with the given u64 words at byte offsets. */
function stack(words: Record<number, bigint>): (a: bigint) => Promise<bigint | null> {
  const mem = Buffer.alloc(0x1000);
  for (const [at, v] of Object.entries(words)) mem.writeBigUInt64LE(v, Number(at));
  return async (a) => (a >= STACK && a + 8n <= STACK + 0x1000n ? mem.readBigUInt64LE(Number(a - STACK)) : null);
}

const regs = (o: Record<number, bigint>): Registers => new Map(Object.entries(o).map(([k, v]) => [Number(k), v]));
const fn = (begin: number, end: number, prolog: number, codes: UnwindCodeSpec[], extra: Parameters<typeof unwindInfo>[0] extends infer T ? Partial<T> : never = {}): SyntheticFunction => ({
  begin, end, unwind: unwindInfo({ prolog, codes, ...extra }),
});

async function unwind(image: PeImage, rva: number, r: Registers, read: (a: bigint) => Promise<bigint | null>, exact: boolean, code: Buffer | null = null) {
  const f = await image.functionAt(rva);
  expect(f).not.toBeNull();
  return unwindFrame(image, f!, rva, r, read, { exact, code, base: BASE });
}

// push rbx (ends at 1); push rbp (2); sub rsp, 0x28 (6)
const PUSH_PUSH_ALLOC: UnwindCodeSpec[] = [[6, ALLOC_SMALL, 4], [2, PUSH, RBP], [1, PUSH, RBX]];

describe('x64 unwind codes', () => {
  it('undoes pushes and a small allocation in the body, recovering rbx, rbp, rsp and rip', async () => {
    const image = await imageOf([fn(0x1000, 0x1100, 6, PUSH_PUSH_ALLOC)]);
    const read = stack({ 0x28: 0xbbbbn, 0x30: 0x3333n, 0x38: BASE + 0x2222n });
    const r = await unwind(image, 0x1050, regs({ [RSP]: STACK, [RIP]: BASE + 0x1050n, [RBX]: 1n, [RBP]: 2n }), read, false);
    expect(r.regs.get(RIP)).toBe(BASE + 0x2222n);
    expect(r.regs.get(RSP)).toBe(STACK + 0x40n);
    expect(r.regs.get(RBP)).toBe(0xbbbbn);
    expect(r.regs.get(RBX)).toBe(0x3333n);
    expect(r.machineFrame).toBe(false);
  });

  it('in the prologue undoes only the codes whose offset has been reached', async () => {
    const image = await imageOf([fn(0x1000, 0x1100, 6, PUSH_PUSH_ALLOC)]);
    // At begin+2 both pushes ran, the allocation did not.
    const read = stack({ 0: 0xbbbbn, 8: 0x3333n, 16: BASE + 0x2222n });
    const r = await unwind(image, 0x1002, regs({ [RSP]: STACK, [RIP]: BASE + 0x1002n }), read, true);
    expect([r.regs.get(RIP), r.regs.get(RSP), r.regs.get(RBP), r.regs.get(RBX)]).toEqual([BASE + 0x2222n, STACK + 24n, 0xbbbbn, 0x3333n]);
    // At begin+1 only push rbx ran.
    const r1 = await unwind(image, 0x1001, regs({ [RSP]: STACK, [RIP]: BASE + 0x1001n, [RBP]: 7n }), stack({ 0: 0x3333n, 8: BASE + 0x2222n }), true);
    expect([r1.regs.get(RIP), r1.regs.get(RSP), r1.regs.get(RBP), r1.regs.get(RBX)]).toEqual([BASE + 0x2222n, STACK + 16n, 7n, 0x3333n]);
  });

  it('reads ALLOC_LARGE sizes from one slot (× 8) or two (32 bits)', async () => {
    const image = await imageOf([
      fn(0x1000, 0x1100, 8, [[8, ALLOC_LARGE, 0, 0x100 / 8]]),
      fn(0x1100, 0x1200, 8, [[8, ALLOC_LARGE, 1, 0x0340, 0x0000]]),
    ]);
    const a = await unwind(image, 0x1050, regs({ [RSP]: STACK, [RIP]: BASE + 0x1050n }), stack({ 0x100: BASE + 0x1111n }), false);
    expect([a.regs.get(RSP), a.regs.get(RIP)]).toEqual([STACK + 0x108n, BASE + 0x1111n]);
    const b = await unwind(image, 0x1150, regs({ [RSP]: STACK, [RIP]: BASE + 0x1150n }), stack({ 0x340: BASE + 0x1112n }), false);
    expect([b.regs.get(RSP), b.regs.get(RIP)]).toEqual([STACK + 0x348n, BASE + 0x1112n]);
  });

  it('with a frame register: rsp comes from rbp − offset, SAVE_NONVOL(_FAR) read from that frame', async () => {
    // push rbp (1); sub rsp,0x40 (5); lea rbp,[rsp+0x20] (10); mov [rsp+8],rsi (15); mov [rsp+0x10],rbx (far, 20)
    const codes: UnwindCodeSpec[] = [[20, SAVE_FAR, RBX, 0x10, 0], [15, SAVE, RSI, 1], [10, SET_FPREG, 0], [5, ALLOC_SMALL, 7], [1, PUSH, RBP]];
    const image = await imageOf([fn(0x1000, 0x1100, 20, codes, { frameRegister: RBP, frameOffset16: 2 })]);
    const frame = STACK + 0x100n;
    const read = stack({ 0x108: 0x5151n, 0x110: 0x3b3bn, 0x140: 0xbbbbn, 0x148: BASE + 0x2222n });
    // rsp is far below the frame (an alloca): only rbp locates it.
    const r = await unwind(image, 0x1080, regs({ [RSP]: STACK, [RBP]: frame + 0x20n, [RIP]: BASE + 0x1080n }), read, false);
    expect([r.regs.get(RIP), r.regs.get(RSP), r.regs.get(RBP), r.regs.get(RSI), r.regs.get(RBX)]).toEqual([BASE + 0x2222n, frame + 0x50n, 0xbbbbn, 0x5151n, 0x3b3bn]);
  });

  it('skips XMM saves by their slot count and still applies the codes after them', async () => {
    const codes: UnwindCodeSpec[] = [[9, SAVE_XMM128, 6, 1], [5, ALLOC_SMALL, 3], [1, PUSH, RBX]];
    const image = await imageOf([fn(0x1000, 0x1100, 9, codes)]);
    const r = await unwind(image, 0x1050, regs({ [RSP]: STACK, [RIP]: BASE + 0x1050n }), stack({ 0x20: 0x3333n, 0x28: BASE + 0x2222n }), false);
    expect([r.regs.get(RBX), r.regs.get(RSP), r.regs.get(RIP)]).toEqual([0x3333n, STACK + 0x30n, BASE + 0x2222n]);
  });

  it('a machine frame restores the interrupted rip and rsp (with and without an error code)', async () => {
    const image = await imageOf([fn(0x1000, 0x1100, 0, [[0, MACHFRAME, 1]]), fn(0x1100, 0x1200, 0, [[0, MACHFRAME, 0]])]);
    const withCode = await unwind(image, 0x1050, regs({ [RSP]: STACK, [RIP]: BASE + 0x1050n }), stack({ 0: 0xeeeen, 8: BASE + 0x4444n, 32: STACK + 0x800n }), false);
    expect([withCode.regs.get(RIP), withCode.regs.get(RSP), withCode.machineFrame]).toEqual([BASE + 0x4444n, STACK + 0x800n, true]);
    const without = await unwind(image, 0x1150, regs({ [RSP]: STACK, [RIP]: BASE + 0x1150n }), stack({ 0: BASE + 0x4445n, 24: STACK + 0x900n }), false);
    expect([without.regs.get(RIP), without.regs.get(RSP)]).toEqual([BASE + 0x4445n, STACK + 0x900n]);
  });

  it('follows UNW_FLAG_CHAININFO: the fragment\'s codes, then the primary\'s, which also names the function', async () => {
    const primary = fn(0x1000, 0x1100, 6, PUSH_PUSH_ALLOC);
    const image = await imageOf([primary, fn(0x1200, 0x1240, 4, [[4, ALLOC_SMALL, 1]], { chained: [0x1000, 0x1100, 0] })]);
    // The chained entry's UnwindInfo RVA is filled in from the synthetic layout: the first UNWIND_INFO sits at .rdata.
    const fragment = (await image.functionAt(0x1210))!;
    const chainedInfo = parseUnwindInfo((await image.read(fragment.unwindInfo, 32))!, 'fragment');
    expect(chainedInfo.chained).toMatchObject({ begin: 0x1000, end: 0x1100 });
    // Point the chain at the primary's real UNWIND_INFO.
    const img2 = await imageOf([primary, fn(0x1200, 0x1240, 4, [[4, ALLOC_SMALL, 1]], { chained: [0x1000, 0x1100, (await image.functionAt(0x1000))!.unwindInfo] })]);
    const read = stack({ 0x38: 0xbbbbn, 0x40: 0x3333n, 0x48: BASE + 0x2222n });
    const r = await unwind(img2, 0x1210, regs({ [RSP]: STACK, [RIP]: BASE + 0x1210n }), read, false);
    expect([r.regs.get(RIP), r.regs.get(RSP), r.regs.get(RBP), r.regs.get(RBX)]).toEqual([BASE + 0x2222n, STACK + 0x50n, 0xbbbbn, 0x3333n]);
    expect((await primaryFunction(img2, (await img2.functionAt(0x1210))!)).begin).toBe(0x1000);
  });

  it('an indirect RUNTIME_FUNCTION (low bit set) uses the entry it names', async () => {
    const image = await imageOf([fn(0x1000, 0x1100, 6, PUSH_PUSH_ALLOC), { begin: 0x1100, end: 0x1180, unwind: null, indirect: 0 }]);
    const f = (await image.functionAt(0x1150))!;
    expect(f.unwindInfo).toBe(PDATA_RVA + 1);
    const r = await unwindFrame(image, f, 0x1150, regs({ [RSP]: STACK, [RIP]: BASE + 0x1150n }), stack({ 0x28: 1n, 0x30: 2n, 0x38: BASE + 0x2222n }), { exact: false, code: null, base: BASE });
    expect(r.regs.get(RIP)).toBe(BASE + 0x2222n);
  });

  it('refuses malformed UNWIND_INFO with a sentence', () => {
    expect(() => parseUnwindInfo(Buffer.from([3, 0, 0, 0]), 'x')).toThrow(/version 3/);
    expect(() => parseUnwindInfo(Buffer.from([1, 0, 1, 0, 0, 0x01, 0, 0]), 'x')).toThrow(/needs 2 slots/);
    expect(() => parseUnwindInfo(Buffer.from([1, 0, 4, 0, 0, 0]), 'x')).toThrow(PeFormatError);
    expect(() => parseUnwindInfo(Buffer.from([1 | (4 << 3), 0, 0, 0]), 'x')).toThrow(/chained RUNTIME_FUNCTION is cut short/);
    expect(() => parseUnwindInfo(Buffer.from([1, 0, 1, 0, 0, 0x0b, 0, 0]), 'x')).toThrow(/unknown unwind code 11/);
  });
});

describe('x64 epilogues', () => {
  const inF = (t: bigint): boolean => t >= BASE + 0x1000n && t < BASE + 0x1100n;
  it('decodes add/lea rsp, pops (with REX), ret, rep ret and tail jumps out of the function', () => {
    expect(decodeEpilog(Buffer.from([0x48, 0x83, 0xc4, 0x28, 0x5b, 0x41, 0x5e, 0xc3]), BASE + 0x1050n, inF)).toEqual([
      { k: 'add', bytes: 0x28n }, { k: 'pop', register: RBX }, { k: 'pop', register: 14 },
    ]);
    expect(decodeEpilog(Buffer.from([0x48, 0x81, 0xc4, 0x00, 0x01, 0x00, 0x00, 0xf3, 0xc3]), BASE + 0x1050n, inF)).toEqual([{ k: 'add', bytes: 0x100n }]);
    expect(decodeEpilog(Buffer.from([0x48, 0x8d, 0x65, 0x10, 0x5d, 0xc3]), BASE + 0x1050n, inF)).toEqual([{ k: 'lea', register: RBP, displacement: 0x10n }, { k: 'pop', register: RBP }]);
    expect(decodeEpilog(Buffer.from([0x49, 0x8d, 0xa5, 0x00, 0x01, 0x00, 0x00, 0xc3]), BASE + 0x1050n, inF)).toEqual([{ k: 'lea', register: 13, displacement: 0x100n }]);
    // jmp rel32 to 0x2000 (outside) is a tail call; to 0x1060 (inside) is a branch in the body.
    const jmp = (target: number): Buffer => {
      const b = Buffer.from([0x5b, 0xe9, 0, 0, 0, 0]);
      b.writeInt32LE(target - (0x1050 + 6), 2);
      return b;
    };
    expect(decodeEpilog(jmp(0x2000), BASE + 0x1050n, inF)).toEqual([{ k: 'pop', register: RBX }]);
    expect(decodeEpilog(jmp(0x1060), BASE + 0x1050n, inF)).toBeNull();
    expect(decodeEpilog(Buffer.from([0x48, 0xff, 0x25, 0, 0, 0, 0]), BASE + 0x1050n, inF)).toEqual([]);
    // Not epilogues: a call, a mov, an add to another register.
    expect(decodeEpilog(Buffer.from([0xe8, 0, 0, 0, 0]), BASE + 0x1050n, inF)).toBeNull();
    expect(decodeEpilog(Buffer.from([0x48, 0x89, 0xc3, 0xc3]), BASE + 0x1050n, inF)).toBeNull();
    expect(decodeEpilog(Buffer.from([0x48, 0x83, 0xc0, 0x28, 0xc3]), BASE + 0x1050n, inF)).toBeNull();
    expect(decodeEpilog(Buffer.alloc(0), BASE + 0x1050n, inF)).toBeNull();
  });

  it('in an epilogue simulates the rest of it instead of undoing the prologue', async () => {
    // push rbx; sub rsp,0x20 — the epilogue at 0x1030: add rsp,0x20; pop rbx; ret
    const epilog = Buffer.from([0x48, 0x83, 0xc4, 0x20, 0x5b, 0xc3]);
    const image = await imageOf([fn(0x1000, 0x1040, 5, [[5, ALLOC_SMALL, 3], [1, PUSH, RBX]])], [{ rva: 0x1030, bytes: epilog }]);
    const read = stack({ 0x20: 0x3333n, 0x28: BASE + 0x2222n });
    const at = await unwind(image, 0x1030, regs({ [RSP]: STACK, [RIP]: BASE + 0x1030n }), read, true, epilog);
    expect([at.epilog, at.regs.get(RBX), at.regs.get(RSP), at.regs.get(RIP)]).toEqual([true, 0x3333n, STACK + 0x30n, BASE + 0x2222n]);
    // After the add: rsp already points at the saved rbx. Undoing the prologue there would be 0x28 bytes off.
    const afterAdd = await unwind(image, 0x1034, regs({ [RSP]: STACK + 0x20n, [RIP]: BASE + 0x1034n }), read, true, epilog.subarray(4));
    expect([afterAdd.regs.get(RBX), afterAdd.regs.get(RSP), afterAdd.regs.get(RIP)]).toEqual([0x3333n, STACK + 0x30n, BASE + 0x2222n]);
    // A return address (not exact) is never taken for an epilogue.
    const ret = await unwind(image, 0x1030, regs({ [RSP]: STACK, [RIP]: BASE + 0x1031n }), read, false, epilog);
    expect(ret.epilog).toBe(false);
  });
});
