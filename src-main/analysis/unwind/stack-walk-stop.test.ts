import { describe, expect, it } from 'vitest';
import { stopBeforeCaller } from './stack-walk-stop';

describe('stopBeforeCaller', () => {
  it('goes on to a caller above the frame and remembers it', () => {
    const seen = new Set<string>();
    expect(stopBeforeCaller(0x1000n, { pc: 0x401000n, sp: 0x1008n, exact: false }, seen)).toBeNull();
    expect(seen.has(`${0x401000n}:${0x1008n}`)).toBe(true);
  });

  it('stops at a return address below 4096', () => {
    expect(stopBeforeCaller(0x1000n, { pc: 0xfffn, sp: 0x1008n, exact: false }, new Set())).toBe('end of stack: the return address 0xfff is below 4096');
    expect(stopBeforeCaller(0x1000n, { pc: 0x1000n, sp: 0x1008n, exact: false }, new Set())).toBeNull();
  });

  it('stops at a stack pointer that did not grow or was not recovered, unless the caller is exact', () => {
    const grow = 'the stack pointer did not grow: the stack may be truncated';
    expect(stopBeforeCaller(0x1000n, { pc: 0x401000n, sp: 0x1000n, exact: false }, new Set())).toBe(grow);
    expect(stopBeforeCaller(0x1000n, { pc: 0x401000n, sp: 0xff8n, exact: false }, new Set())).toBe(grow);
    expect(stopBeforeCaller(0x1000n, { pc: 0x401000n, sp: undefined, exact: true }, new Set())).toBe(grow);
    expect(stopBeforeCaller(0x1000n, { pc: 0x401000n, sp: 0xff8n, exact: true }, new Set())).toBeNull();
  });

  it('stops when the same caller comes back', () => {
    const seen = new Set<string>();
    const next = { pc: 0x401000n, sp: 0x1008n, exact: true };
    expect(stopBeforeCaller(0x1000n, next, seen)).toBeNull();
    expect(stopBeforeCaller(0x2000n, next, seen)).toBe('a cycle: the same frame came back');
  });
});
