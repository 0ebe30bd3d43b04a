import { describe, expect, it } from 'vitest';
import { countListedModules } from './loader-list';

/** A fake address space of 8-byte little-endian words; reads of anything else fail as ReadProcessMemory would. */
function memory(words: Record<string, bigint>): (address: bigint, bytes: number) => Buffer | null {
  return (address) => {
    const v = words[address.toString(16)];
    if (v === undefined) return null;
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(v);
    return b;
  };
}

const LDR = 0x1000n;
const HEAD = LDR + 0x10n;

describe('countListedModules', () => {
  it('counts nothing while PEB.Ldr is still 0 or the list points back at its own head (Wine, early in its loader)', () => {
    expect(countListedModules(memory({}), 0n, 2)).toBe(0);
    expect(countListedModules(memory({ [HEAD.toString(16)]: HEAD }), LDR, 2)).toBe(0);
  });

  it('counts the image alone as one, so a dump then would miss ntdll', () => {
    expect(countListedModules(memory({ [HEAD.toString(16)]: 0x2000n, '2000': HEAD }), LDR, 2)).toBe(1);
  });

  it('stops at upTo on a full list, and at an unreadable or null link', () => {
    const full = memory({ [HEAD.toString(16)]: 0x2000n, '2000': 0x3000n, '3000': 0x4000n, '4000': HEAD });
    expect(countListedModules(full, LDR, 2)).toBe(2);
    expect(countListedModules(full, LDR, 10)).toBe(3);
    expect(countListedModules(memory({ [HEAD.toString(16)]: 0x2000n }), LDR, 2)).toBe(1);
    expect(countListedModules(memory({ [HEAD.toString(16)]: 0x2000n, '2000': 0n }), LDR, 2)).toBe(1);
    expect(countListedModules(memory({}), LDR, 2)).toBe(0);
  });
});
