/*
 * The NT_X86_XSTATE note in the layout gdb 13 reads. The kernel hands out XSAVE state in the standard format with
 * the CPU's own component offsets (CPUID leaf 0xD; arch/x86/kernel/fpu/xstate.c). AMD Zen 4 puts the AVX-512
 * components right after AVX (opmask 832, ZMM_Hi256 896, Hi16_ZMM 1408, PKRU 2432), without the MPX gap Intel keeps
 * (1088, 1152, 1664, 2688). gdb 13 assumes Intel's offsets (gdbsupport/x86-xstate.h) and rejects the shorter note
 * ("Section .reg-xstate too small"), so such a note is moved to Intel's offsets; gdb 14 reads the CPU layout itself.
 */

const XCR0_OFFSET = 464; // fxsave sw_reserved bytes, where Linux stores XCR0 (asm/user.h)
const AVX512_BITS = 0xe0n;
const MPX_BITS = 0x18n;
const PKRU_BIT = 0x200n;

interface Move {
  from: number;
  to: number;
  bytes: number;
}

const AMD_TO_INTEL: readonly Move[] = [
  { from: 832, to: 1088, bytes: 64 }, // opmask k0-k7
  { from: 896, to: 1152, bytes: 512 }, // ZMM_Hi256
  { from: 1408, to: 1664, bytes: 1024 }, // Hi16_ZMM
];
const AMD_PKRU = { from: 2432, to: 2688, bytes: 8 };

/** Returns the note unchanged unless it is exactly AMD's AVX-512 layout (no MPX), which it rewrites. */
export function toGdbXsaveLayout(xstate: Buffer): Buffer {
  if (xstate.length < XCR0_OFFSET + 8) return xstate;
  const xcr0 = xstate.readBigUInt64LE(XCR0_OFFSET);
  if ((xcr0 & AVX512_BITS) !== AVX512_BITS || (xcr0 & MPX_BITS) !== 0n) return xstate;
  const pkru = (xcr0 & PKRU_BIT) !== 0n;
  if (xstate.length !== (pkru ? 2440 : 2432)) return xstate;
  const out = Buffer.alloc(pkru ? 2696 : 2688);
  xstate.copy(out, 0, 0, 832); // legacy area, XSAVE header and AVX sit at the same offsets in both layouts
  for (const m of pkru ? [...AMD_TO_INTEL, AMD_PKRU] : AMD_TO_INTEL) xstate.copy(out, m.to, m.from, m.from + m.bytes);
  return out;
}
