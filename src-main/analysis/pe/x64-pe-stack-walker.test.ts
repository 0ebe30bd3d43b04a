import { describe, expect, it } from 'vitest';
import { buildSyntheticPe, unwindInfo } from './__fixtures__/synthetic-pe';
import { PeImage } from './pe-image';
import { createPeStackWalker, type PeModule } from './x64-pe-stack-walker';
import { RIP, RSP } from './x64-unwind';

const BASE = 0x180000000n;
const STACK = 0x7000_0000n;
const STACK_BYTES = 0x400;
const ALLOC_SMALL = 2;
const PUSH = 0;
const RBX = 3;

/**
 * One module: main (0x1000-0x1100, push rbx; sub rsp,0x20) calls worker (0x1200-0x1280, sub rsp,0x28) which calls
 * a leaf at 0x1300 (no RUNTIME_FUNCTION). Exports: main at its start, "mid" inside worker (not its start), a
 * forwarder. The code holds `call` bytes before each return address.
 */
async function fixture(withImage: boolean) {
  const code = Buffer.alloc(0x400, 0x90);
  code.writeUInt8(0xe8, 0x1050 - 0x1000 - 5); // call worker, returning to 0x1050
  code.writeUInt8(0xe8, 0x1240 - 0x1000 - 5); // call leaf, returning to 0x1240
  const pe = buildSyntheticPe({
    functions: [
      { begin: 0x1000, end: 0x1100, unwind: unwindInfo({ prolog: 5, codes: [[5, ALLOC_SMALL, 3], [1, PUSH, RBX]] }) },
      { begin: 0x1200, end: 0x1280, unwind: unwindInfo({ prolog: 4, codes: [[4, ALLOC_SMALL, 4]] }) },
    ],
    code: [{ rva: 0x1000, bytes: code }],
    exports: [{ name: 'main', rva: 0x1000 }, { name: 'mid', rva: 0x1210 }, { name: 'Forwarded', forwarder: 'NTDLL.RtlForwarded' }],
  });
  const image = withImage ? await PeImage.open(async (rva, n) => (rva + n <= pe.image.length ? pe.image.subarray(rva, rva + n) : null), 'app.exe') : null;
  const mod: PeModule = { name: 'app.exe', path: 'C:\\app\\app.exe', base: BASE, end: BASE + BigInt(pe.sizeOfImage), image };
  const stack = Buffer.alloc(STACK_BYTES);
  const put = (at: number, v: bigint): void => void stack.writeBigUInt64LE(v, at);
  // leaf frame: [rsp] = return into worker; worker's 0x28 bytes; its return into main; main's 0x20 + saved rbx.
  put(0, BASE + 0x1240n);
  put(8 + 0x28, BASE + 0x1050n);
  put(8 + 0x28 + 8 + 0x20, 0x3b3bn);
  put(8 + 0x28 + 8 + 0x28, 0n); // main's caller: 0 ends the stack
  // A word that points into code without a call before it, below a real return address (for the scan).
  put(8, BASE + 0x1100n);
  const walker = createPeStackWalker({
    moduleAt: (a) => (a >= mod.base && a < mod.end ? mod : null),
    readMemory: async (a, n) => {
      if (a >= STACK && a + BigInt(n) <= STACK + BigInt(STACK_BYTES)) return stack.subarray(Number(a - STACK), Number(a - STACK) + n);
      if (a >= BASE && a + BigInt(n) <= BASE + BigInt(pe.image.length)) return pe.image.subarray(Number(a - BASE), Number(a - BASE) + n);
      return null;
    },
    bytesAvailableAt: (a) => (a >= STACK && a < STACK + BigInt(STACK_BYTES) ? Number(STACK + BigInt(STACK_BYTES) - a) : 0),
  });
  return { walker, image };
}

const start = new Map([[RSP, STACK], [RIP, BASE + 0x1300n], [RBX, 1n]]);

describe('x64 Windows stack walk', () => {
  it('walks leaf → .pdata frames to a zero return address, naming only exports that start the function', async () => {
    const { walker } = await fixture(true);
    const s = await walker.walk(7, start);
    expect(s.frames.map((f) => [f.trust, f.moduleOffset, f.function, f.functionOffset])).toEqual([
      ['context', 0x1300n, null, null], // no RUNTIME_FUNCTION: a leaf, return address at [rsp]
      ['cfi', 0x1240n, '<fn_1200>', 0x40n], // "mid" is exported inside worker, not at its start: not its name
      ['cfi', 0x1050n, 'main', 0x50n],
    ]);
    expect(s.stopReason).toMatch(/return address 0x0 is below 4096/);
    expect(s.frames[2]!.sp).toBe(STACK + 8n + 0x28n + 8n);
  });

  it('leaves forwarders out of the exports', async () => {
    const { image } = await fixture(true);
    const names = [...(await image!.exports()).values()];
    expect(names.sort()).toEqual(['main', 'mid']);
  });

  it('without the image, scans: words into the module preceded by a call, never the others', async () => {
    const { walker } = await fixture(false);
    const s = await walker.walk(7, start);
    expect(s.frames.map((f) => [f.trust, f.moduleOffset])).toEqual([
      ['context', 0x1300n],
      ['scan', 0x1240n],
      // BASE+0x1100 at [rsp+8] is code without a call before it: skipped.
      ['scan', 0x1050n],
    ]);
    expect(s.frames.every((f) => f.function === null)).toBe(true);
    expect(s.stopReason).toMatch(/no caller found/);
  });
});
