// The unwinder's pieces on hand-made input: LEB128 and pointer encodings, the DWARF expression of x86-64 PLT
// stubs (and refusals of what the evaluator does not do), CFA programs with remember/restore_state and restore,
// and the call-site check the stack scanner applies. Real tables are exercised in core-unwind.test.ts.
import { describe, expect, it } from 'vitest';
import { unwindRowAt } from './cfa-program';
import { DW_EH_PE_datarel, DW_EH_PE_indirect, DW_EH_PE_pcrel, DW_EH_PE_sdata4, DW_EH_PE_udata2, DW_EH_PE_uleb128, DwarfCursor, UnwindDataError } from './dwarf-cursor';
import { evaluateExpression, type ExpressionContext } from './dwarf-expression';
import type { Cie, Fde } from './eh-frame';
import { endsInCall } from './x86-64-unwinder';

const cursor = (bytes: number[], rva = 0n): DwarfCursor => new DwarfCursor(Buffer.from(bytes), rva);

describe('DWARF cursor', () => {
  it('decodes LEB128 as DWARF 5 §7.6 shows', () => {
    expect([[2], [127], [0x80, 1], [0x81, 1], [0x82, 1], [0xb9, 0x64]].map((b) => cursor(b).uleb())).toEqual([2n, 127n, 128n, 129n, 130n, 12857n]);
    expect([[2], [0x7e], [0xff, 0], [0x81, 0x7f], [0x80, 1], [0x80, 0x7f]].map((b) => cursor(b).sleb())).toEqual([2n, -2n, 127n, -127n, 128n, -128n]);
    expect(() => cursor([0x80, 0x80]).uleb()).toThrow(UnwindDataError);
  });

  it('applies pc-relative, data-relative and absolute encodings in module-relative addresses', () => {
    const bases = { data: 0x2000n, vaddrBase: 0x400000n };
    const le32 = (v: number) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
    const pc = cursor([0, 0, ...le32(-0x10)], 0x1000n);
    pc.pos = 2;
    expect(pc.pointer(DW_EH_PE_pcrel | DW_EH_PE_sdata4, bases).value).toBe(0x1002n - 0x10n);
    expect(cursor(le32(0x40)).pointer(DW_EH_PE_datarel | DW_EH_PE_sdata4, bases).value).toBe(0x2040n);
    expect(cursor([0x34, 0x12]).pointer(DW_EH_PE_udata2, bases, false).value).toBe(0x1234n);
    expect(cursor([0x80, 1]).pointer(DW_EH_PE_uleb128, bases, false).value).toBe(128n);
    const abs = Buffer.alloc(8);
    abs.writeBigUInt64LE(0x401234n);
    expect(new DwarfCursor(abs, 0n).pointer(0, bases).value).toBe(0x1234n); // an ELF address, less the image base
    expect(cursor(le32(8)).pointer(DW_EH_PE_indirect | DW_EH_PE_pcrel | DW_EH_PE_sdata4, bases).indirect).toBe(true);
    expect(() => cursor([1]).pointer(0x0f, bases)).toThrow(/Unknown pointer encoding 0xf/);
    expect(() => cursor([1, 2]).pointer(DW_EH_PE_sdata4, bases)).toThrow(/ends inside a 4-byte value/);
  });
});

describe('DWARF expressions', () => {
  const ctx = (regs: Record<number, bigint>, memory: Record<string, bigint> = {}): ExpressionContext => ({
    register: (n) => regs[n],
    readU64: async (a) => memory[a.toString()] ?? null,
  });
  // binutils' CFA for a lazy-binding PLT entry: rsp + 8, plus 8 once rip is past the entry's push (byte 11).
  const plt = Buffer.from([0x77, 0x08, 0x80, 0x00, 0x3f, 0x1a, 0x3b, 0x2a, 0x33, 0x24, 0x22]);

  it("computes a PLT stub's CFA", async () => {
    expect(await evaluateExpression(plt, ctx({ 7: 0x7ffe0000n, 16: 0x1025n }))).toBe(0x7ffe0008n);
    expect(await evaluateExpression(plt, ctx({ 7: 0x7ffe0000n, 16: 0x102cn }))).toBe(0x7ffe0010n);
  });

  it('loads through deref and pushes the CFA first for register rules', async () => {
    // __restore_rt style: the CFA is the word at rsp + 160 (uc_mcontext.rsp).
    const e = Buffer.from([0x77, 0xa0, 0x01, 0x06]);
    expect(await evaluateExpression(e, ctx({ 7: 0x1000n }, { [0x10a0]: 0x5550n }))).toBe(0x5550n);
    expect(await evaluateExpression(Buffer.from([0x23, 0x10]), ctx({}), [0x100n])).toBe(0x110n); // plus_uconst on the CFA
  });

  it('refuses what it does not evaluate, with the reason', async () => {
    await expect(evaluateExpression(Buffer.from([0x50]), ctx({}))).rejects.toThrow(/opcode 0x50 is not supported/);
    await expect(evaluateExpression(Buffer.from([0x9c]), ctx({}))).rejects.toThrow(/opcode 0x9c is not supported/);
    await expect(evaluateExpression(Buffer.from([0x77, 0x00, 0x06]), ctx({ 7: 0x10n }))).rejects.toThrow(/memory the dump does not hold/);
    await expect(evaluateExpression(Buffer.from([0x7c, 0x00]), ctx({}))).rejects.toThrow(/register 12, which is not known/);
    await expect(evaluateExpression(Buffer.from([0x1a]), ctx({}))).rejects.toThrow(/empty stack/);
    await expect(evaluateExpression(Buffer.from([0x2f, 0xfd, 0xff]), ctx({}))).rejects.toThrow(/10,000 steps/);
  });
});

describe('CFA programs', () => {
  const cie = (instructions: number[]): Cie => ({
    rva: 0n, version: 1, augmentation: 'zR', codeAlign: 1n, dataAlign: -8n, returnRegister: 16,
    fdeEncoding: DW_EH_PE_pcrel | DW_EH_PE_sdata4, lsdaEncoding: 0xff, signalFrame: false, instructions: cursor(instructions),
  });
  // The usual x86-64 CIE: CFA = rsp + 8, return address at CFA - 8.
  const base = cie([0x0c, 0x07, 0x08, 0x90, 0x01]);
  const fde = (instructions: number[]): Fde => ({ rva: 0n, cie: base, pcBegin: 0x1000n, pcEnd: 0x1100n, instructions: cursor(instructions) });
  const bases = { vaddrBase: 0n };

  it('follows a push/pop prologue and epilogue with remember_state and restore_state', () => {
    // push rbx (1 byte); body; at +0x21 an early return: remember, pop rbx, CFA back to rsp+8, ret; restore.
    const f = fde([0x41, 0x0e, 0x10, 0x83, 0x02, 0x5f, 0x0a, 0x41, 0x0e, 0x08, 0xc3, 0x41, 0x0b]);
    expect(unwindRowAt(f, 0x1000n, bases)).toMatchObject({ cfa: { k: 'register', register: 7, offset: 8n } });
    const body = unwindRowAt(f, 0x1010n, bases);
    expect(body.cfa).toEqual({ k: 'register', register: 7, offset: 16n });
    expect(body.registers.get(3)).toEqual({ k: 'offset', offset: -16n });
    expect(body.registers.get(16)).toEqual({ k: 'offset', offset: -8n });
    const epilogue = unwindRowAt(f, 0x1021n, bases);
    expect(epilogue.cfa).toEqual({ k: 'register', register: 7, offset: 8n });
    expect(epilogue.registers.has(3)).toBe(false); // DW_CFA_restore: back to the CIE's (no rule)
    const after = unwindRowAt(f, 0x1022n, bases);
    expect(after.cfa).toEqual({ k: 'register', register: 7, offset: 16n });
    expect(after.registers.get(3)).toEqual({ k: 'offset', offset: -16n });
  });

  it('keeps expressions and refuses broken programs', () => {
    const f = fde([0x0f, 0x03, 0x77, 0x08, 0x06, 0x10, 0x06, 0x02, 0x77, 0x10]);
    const row = unwindRowAt(f, 0x1000n, bases);
    expect(row.cfa).toEqual({ k: 'expression', expr: Buffer.from([0x77, 0x08, 0x06]) });
    expect(row.registers.get(6)).toEqual({ k: 'expression', expr: Buffer.from([0x77, 0x10]) });
    expect(() => unwindRowAt(fde([0x0b]), 0x1000n, bases)).toThrow(/restore_state with nothing remembered/);
    expect(() => unwindRowAt(fde([0x3f]), 0x1000n, bases)).toThrow(/CFA opcode 0x3f is not supported/);
    expect(() => unwindRowAt(fde([0x05, 0x80, 0x04, 0x00]), 0x1000n, bases)).toThrow(/names register 512/);
    expect(() => unwindRowAt(fde([0x0f, 0x7f]), 0x1000n, bases)).toThrow(/ends inside a CFA expression/);
  });
});

describe('call-site check', () => {
  const before = (...tail: number[]): Buffer => Buffer.from([...Array(7 - tail.length).fill(0x90), ...tail]);
  it('accepts the bytes of E8 rel32 and FF /2 calls before a return address', () => {
    expect(endsInCall(before(0xe8, 0x10, 0x20, 0x30, 0x40))).toBe(true);
    expect(endsInCall(before(0xff, 0xd0))).toBe(true); // call rax
    expect(endsInCall(before(0x41, 0xff, 0xd7))).toBe(true); // call r15
    expect(endsInCall(before(0xff, 0x15, 1, 2, 3, 4))).toBe(true); // call [rip+disp32]
    expect(endsInCall(before(0xff, 0x54, 0x24, 0x08))).toBe(true); // call [rsp+8]
    expect(endsInCall(before(0xff, 0x90, 1, 2, 3, 4))).toBe(true); // call [rax+disp32]
  });
  it('rejects other instructions', () => {
    expect(endsInCall(before(0x48, 0x89, 0xc7))).toBe(false); // mov rdi, rax
    expect(endsInCall(before(0xff, 0xe0))).toBe(false); // jmp rax (FF /4)
    expect(endsInCall(before(0xff, 0x54, 0x24))).toBe(false); // truncated: the disp8 is missing
    expect(endsInCall(Buffer.from([0xe8]))).toBe(false);
  });
});
